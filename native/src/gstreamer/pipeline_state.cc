// SPDX-License-Identifier: Apache-2.0
#include "gstreamer/pipeline_state.h"

namespace owl {

const char* StateName(PipelineState state) {
  switch (state) {
    case PipelineState::kConnecting: return "connecting";
    case PipelineState::kPlaying: return "playing";
    case PipelineState::kLost: return "lost";
    case PipelineState::kReconnected: return "reconnected";
    case PipelineState::kStopped: return "stopped";
  }
  return "unknown";
}

}  // namespace owl
