// SPDX-License-Identifier: Apache-2.0
// N-API surface of the tracker core: the Tracker class and trackerDefaults (see ts/native.ts).
#pragma once

#include <napi.h>

namespace owl {

/** Adds Tracker and trackerDefaults to the addon's exports. */
void InitTrackerBinding(Napi::Env env, Napi::Object exports);

}  // namespace owl
