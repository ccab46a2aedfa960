// SPDX-License-Identifier: Apache-2.0
// The process-wide prompt store: an immutable ParserState swapped with std::atomic_store. Writers
// (the JS thread) build the new state off to the side and serialise on a mutex only among themselves;
// the reader (nvinfer's output thread) never takes it.
#include "deepstream/prompt_store.h"

#include <atomic>
#include <exception>
#include <mutex>
#include <string>
#include <vector>

#include "common/expected.h"
#include "deepstream/owl_ds_parser.h"

namespace owl::ds {
namespace {

std::shared_ptr<const ParserState> g_state = std::make_shared<const ParserState>();
std::mutex g_writers;
thread_local std::string t_last_error;

// Publishes a copy of the current state changed by `edit`; false (state untouched) if `edit` throws.
template <typename Edit>
bool Publish(Edit edit) {
  try {
    std::lock_guard<std::mutex> lock(g_writers);
    auto next = std::make_shared<ParserState>(*std::atomic_load(&g_state));
    edit(*next);
    std::atomic_store(&g_state, std::shared_ptr<const ParserState>(std::move(next)));
    t_last_error.clear();
    return true;
  } catch (const std::exception& e) {
    t_last_error = e.what();
  } catch (...) {
    t_last_error = "unknown error";
  }
  return false;
}

}  // namespace

std::shared_ptr<const ParserState> CurrentState() {
  return std::atomic_load(&g_state);
}

}  // namespace owl::ds

extern "C" bool OwlDsSetPrompts(const float* embeds, int q, int d, const float* thresholds) {
  return owl::ds::Publish([&](owl::ds::ParserState& state) {
    if (q == 0) {
      state.prompts = owl::PromptSet{};
      return;
    }
    if (q < 0) throw owl::DecodeError(owl::ExpectedMessage("a prompt count >= 0", "q", owl::Shown(q)));
    if (thresholds == nullptr) throw owl::DecodeError(owl::ExpectedMessage("a data pointer", "thresholds", "null"));
    state.prompts = owl::MakePromptSet(embeds, q, d, std::vector<float>(thresholds, thresholds + q));
  });
}

extern "C" bool OwlDsSetDecodeOptions(float nms_iou, int max_detections) {
  return owl::ds::Publish([&](owl::ds::ParserState& state) {
    if (!(nms_iou >= 0.f && nms_iou <= 1.f)) {
      throw owl::DecodeError(owl::ExpectedMessage("a number in [0,1]", "nmsIou", owl::Shown(nms_iou)));
    }
    if (max_detections < 1) {
      throw owl::DecodeError(owl::ExpectedMessage("an integer >= 1", "maxDetections", owl::Shown(max_detections)));
    }
    state.options.nms_iou = nms_iou;
    state.options.max_detections = max_detections;
  });
}

extern "C" const char* OwlDsLastError(void) {
  return owl::ds::t_last_error.c_str();
}
