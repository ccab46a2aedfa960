// SPDX-License-Identifier: Apache-2.0
#include "deepstream/ds_binding.h"

#ifdef OWL_HAVE_DEEPSTREAM
#include "deepstream/ds_pipeline_wrap.h"
#endif

namespace owl {

void InitDeepStreamBinding(Napi::Env env, Napi::Object exports) {
  // Where the build looked for the SDK: TS names it when engine "deepstream" is asked for without it.
  exports.Set("deepstreamDir", Napi::String::New(env, OWL_DEEPSTREAM_DIR));
#ifdef OWL_HAVE_DEEPSTREAM
  exports.Set("deepstreamAvailable", Napi::Boolean::New(env, true));
  ds::DsPipelineWrap::Init(env, exports);
#else
  exports.Set("deepstreamAvailable", Napi::Boolean::New(env, false));
#endif
}

}  // namespace owl
