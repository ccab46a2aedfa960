// SPDX-License-Identifier: Apache-2.0
// JS class DeepStreamPipeline (NativeDeepStreamPipeline in ts/native.ts). Compiled ONLY with the
// DeepStream SDK (OWL_HAVE_DEEPSTREAM), like ds_pipeline.h; shares common/pipeline_link.h with PipelineWrap:
//   new DeepStreamPipeline(options, onEvent, onFrame); start(); setPrompts(prompts, labels); stats(); stop()
// Events (queue 256) and frames (queue 8, dropped and counted when full) reach JS through thread-safe
// functions with NonBlockingCall only. Prompts go to the parser library's store (OwlDsSetPrompts), labels
// to the relabel probe. A started pipeline keeps itself alive until stop() has finished or environment shutdown.
#pragma once

#include <napi.h>

#include <memory>

#include "common/pipeline_link.h"
#include "deepstream/ds_pipeline.h"

namespace owl::ds {

class DsPipelineWrap : public Napi::ObjectWrap<DsPipelineWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  /** Throws TypeError naming the field for malformed options; nothing starts until start(). */
  explicit DsPipelineWrap(const Napi::CallbackInfo& info);

 private:
  /** onFrame({frameId, width, height, labels, scores, boxes}) with copies of the detections. */
  static void FrameToJs(Napi::Env env, Napi::Function on_frame, DsFrame* frame);

  /** [sync] Sets the parser's decode options, then DsPipeline::Start (codes ENOPLUGIN / EMOUNTINUSE / ESTATE). */
  Napi::Value Start(const Napi::CallbackInfo& info);
  /** [sync] setPrompts({textEmbeds, numQueries, thresholds}, labels); RangeError with the store's reason. */
  Napi::Value SetPrompts(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  /**
   * [async] Stops and joins off the JS thread; returns a Promise that resolves once done (the final `stopped`
   * event is queued by then). Idempotent. See PipelineLink::Stop.
   */
  Napi::Value Stop(const Napi::CallbackInfo& info);

  PipelineLink<DsPipeline, DsFrame, &DsPipelineWrap::FrameToJs> link_;
  float nms_iou_ = 0.f;
  int max_detections_ = 100;
};

}  // namespace owl::ds
