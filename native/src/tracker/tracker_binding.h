// SPDX-License-Identifier: Apache-2.0
// N-API surface of the tracker core: the Tracker class and trackerDefaults (see ts/native.ts).
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "tracker/shared_tracker.h"

namespace owl {

/** Adds Tracker and trackerDefaults to the addon's exports. */
void InitTrackerBinding(Napi::Env env, Napi::Object exports);

/**
 * The tracker behind a JS Tracker, shared with its wrap (the portable pipeline's video branch predicts with it).
 * @throws Napi::TypeError "Expected a Tracker for <field> but received <value>" for anything else.
 */
std::shared_ptr<tracking::SharedTracker> TrackerFromValue(const Napi::Value& value, const std::string& field);

}  // namespace owl
