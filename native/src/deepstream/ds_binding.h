// SPDX-License-Identifier: Apache-2.0
// Registers the DeepStream part of the addon: always `deepstreamAvailable` and `deepstreamDir`; the
// DeepStreamPipeline class only in builds with the SDK (OWL_HAVE_DEEPSTREAM).
#pragma once

#include <napi.h>

namespace owl {

void InitDeepStreamBinding(Napi::Env env, Napi::Object exports);

}  // namespace owl
