// SPDX-License-Identifier: Apache-2.0
// The lifecycle vocabulary both engines share (portable Pipeline, DeepStream DsPipeline): state events
// and counters, with no N-API or engine dependency, so the DeepStream engine's test harness can use them.
#pragma once

#include <cstdint>
#include <string>

#include "common/generated/shared_constants.h"  // PipelineState, StateName

namespace owl {

struct StateEvent {
  PipelineState state;
  std::string reason;
};

struct PipelineStats {
  uint64_t frames_in = 0;        // decoded source frames
  uint64_t frames_out = 0;       // frames handed to the video output
  uint64_t frames_to_model = 0;  // tensors handed to JS
  uint64_t frames_dropped = 0;   // inference-branch frames not handed over (model busy or queue full)
  uint64_t reconnects = 0;       // "reconnected" events
};

}  // namespace owl
