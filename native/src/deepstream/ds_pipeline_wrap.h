// SPDX-License-Identifier: Apache-2.0
// JS class DeepStreamPipeline (NativeDeepStreamPipeline in ts/native.ts). Compiled ONLY with the DeepStream SDK
// (OWL_HAVE_DEEPSTREAM), or against the test-only stand-ins, like ds_pipeline.h; shares common/pipeline_link.h
// with PipelineWrap:
//   new DeepStreamPipeline(options, onEvent, onFrame); start(); addSource(id, source); removeSource(id);
//   setPrompts(id, prompts, labels); setOverlayStyle(style); stats(); stop() -> Promise
// Events (queue 256; a stream's carry `stream`) and frames (queue 32, dropped and counted when full) reach JS
// through thread-safe functions with NonBlockingCall only. A started pipeline keeps itself alive until stop() has
// finished or environment shutdown.
#pragma once

#include <napi.h>

#include <memory>

#include "common/pipeline_link.h"
#include "deepstream/ds_pipeline.h"

namespace owl::ds {

class DsPipelineWrap : public Napi::ObjectWrap<DsPipelineWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  /** Throws TypeError / RangeError naming the field for malformed options; nothing starts until start(). */
  explicit DsPipelineWrap(const Napi::CallbackInfo& info);

 private:
  /** onFrame({stream, frameId, width, height, labels, scores, boxes, trackIds}) with copies of the detections. */
  static void FrameToJs(Napi::Env env, Napi::Function on_frame, DsFrame* frame);

  /** [sync] DsPipeline::Start (codes ENOPLUGIN / EINVAL / ESTATE). */
  Napi::Value Start(const Napi::CallbackInfo& info);
  /** [sync] addSource(id, {description, probeAddress?, sensorId, output}) (see DsPipeline::AddSource). */
  Napi::Value AddSource(const Napi::CallbackInfo& info);
  Napi::Value RemoveSource(const Napi::CallbackInfo& info);
  /** [sync] setPrompts(id, {textEmbeds, numQueries, thresholds}, labels); RangeError with the decode core's reason. */
  Napi::Value SetPrompts(const Napi::CallbackInfo& info);
  Napi::Value SetOverlayStyle(const Napi::CallbackInfo& info);
  /** Totals plus `streams`: {id: {framesIn, framesOut, framesToJs, framesDropped, reconnects}}. */
  Napi::Value Stats(const Napi::CallbackInfo& info);
  /**
   * [async] Stops every stream and the pipeline and joins off the JS thread; returns a Promise that resolves once
   * done (the final `stopped` events are queued by then). Idempotent. See PipelineLink::Stop.
   */
  Napi::Value Stop(const Napi::CallbackInfo& info);

  /** The engine, or CodedError ESTATE before start() and after stop(). */
  DsPipeline& Running();

  PipelineLink<DsPipeline, DsFrame, &DsPipelineWrap::FrameToJs> link_;
};

}  // namespace owl::ds
