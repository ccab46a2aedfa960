// SPDX-License-Identifier: Apache-2.0
// The parser's view of the process-wide prompt store (the setters are the C API in owl_ds_parser.h).
#pragma once

#include <memory>

#include "decode/owl_decode.h"

namespace owl::ds {

/** What one frame is decoded with. Immutable once published; readers hold it by shared_ptr. */
struct ParserState {
  PromptSet prompts;  // num_queries == 0: no prompts yet (or cleared)
  DecodeOptions options;
};

/** [sync, any thread, lock-free for readers] The current state; never null. */
std::shared_ptr<const ParserState> CurrentState();

}  // namespace owl::ds
