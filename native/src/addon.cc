// SPDX-License-Identifier: Apache-2.0
// Registration only: each concern exports its own functions and classes.
#include <napi.h>

#include "decode/decode_binding.h"
#include "deepstream/ds_binding.h"
#include "gstreamer/log_bridge_binding.h"
#include "gstreamer/rtsp_server_wrap.h"
#include "portable/pipeline_wrap.h"
#include "tracker/tracker_binding.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  owl::InitDecodeBinding(env, exports);
  owl::InitDeepStreamBinding(env, exports);
  owl::InitTrackerBinding(env, exports);
  owl::InitLogBridgeBinding(env, exports);
  owl::RtspServerWrap::Init(env, exports);
  owl::PipelineWrap::Init(env, exports);
  return exports;
}

NODE_API_MODULE(owl_stream, Init)
