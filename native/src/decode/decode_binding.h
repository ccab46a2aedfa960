// SPDX-License-Identifier: Apache-2.0
// N-API surface of the decode core: decode(), computeLogits(), preprocess() (see ts/native.ts).
#pragma once

#include <napi.h>

namespace owl {

/** Adds decode, computeLogits and preprocess to the addon's exports. */
void InitDecodeBinding(Napi::Env env, Napi::Object exports);

}  // namespace owl
