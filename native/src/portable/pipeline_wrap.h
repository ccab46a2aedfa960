// SPDX-License-Identifier: Apache-2.0
// JS class Pipeline (NativePipeline in ts/native.ts), held privately by ts/pipeline.ts.
//   new Pipeline(options, onEvent, onFrame); start(); setDetections(frameId, boxes); setOverlayStyle(style);
//   setTracker(tracker, drawPredicted); snapshot(); frameDone(); stats(); stop()
// Events and frames reach JS through thread-safe functions (bounded queues, NonBlockingCall only): state
// events in order (queue 256), frames while the model is idle (queue 2). A frame's Float32Array owns its
// native buffer (external ArrayBuffer whose finalizer frees it). A started pipeline keeps itself and the
// process alive until stop() has finished; it also stops with the JS environment (common/pipeline_link.h).
#pragma once

#include <napi.h>

#include <memory>

#include "common/pipeline_link.h"
#include "portable/frame_tap.h"
#include "portable/overlay.h"
#include "portable/pipeline.h"

namespace owl {

class PipelineWrap : public Napi::ObjectWrap<PipelineWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  /** Throws TypeError naming the field for malformed options; nothing starts until start(). */
  explicit PipelineWrap(const Napi::CallbackInfo& info);

 private:
  /** onFrame({frameId, timestampMs, width, height, tensor}): the Float32Array's external buffer owns the packet. */
  static void FrameToJs(Napi::Env env, Napi::Function on_frame, FramePacket* packet);

  /** [sync] Throws with code ENOENT / EINVAL / ENOPLUGIN / EMOUNTINUSE / ESTATE (see Pipeline::Start). */
  Napi::Value Start(const Napi::CallbackInfo& info);
  /** [sync] setDetections(frameId, [{x0, y0, x1, y1, text, color, trackId}]); ignored once stopped. */
  Napi::Value SetDetections(const Napi::CallbackInfo& info);
  /**
   * [sync] setOverlayStyle({lineWidth, fontSize}): the style of detections set from now on (setDetections renders
   * labels once, so send the current ones again to restyle them). TypeError/RangeError naming the field.
   */
  Napi::Value SetOverlayStyle(const Napi::CallbackInfo& info);
  /**
   * [sync] setTracker(tracker | null, drawPredicted): the stream's Tracker (shared: JS keeps updating it), whose
   * predictions place the boxes with a trackId on every frame while drawPredicted (see Pipeline::SetTracker).
   * TypeError naming the argument; ignored once stopped.
   */
  Napi::Value SetTracker(const Napi::CallbackInfo& info);
  /**
   * [sync] The newest annotated frame as a JPEG Buffer (a copy), or null before the first, before start and after
   * stop. Keeps the JPEG branch encoding for 3 s; see SnapshotTap::Request.
   */
  Napi::Value Snapshot(const Napi::CallbackInfo& info);
  Napi::Value FrameDone(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  /**
   * [async] Stops and joins off the JS thread; returns a Promise that resolves once done (the final `stopped`
   * event is queued by then). Idempotent. See PipelineLink::Stop.
   */
  Napi::Value Stop(const Napi::CallbackInfo& info);

  PipelineLink<Pipeline, FramePacket, &PipelineWrap::FrameToJs> link_;
  OverlayStyle style_;
};

}  // namespace owl
