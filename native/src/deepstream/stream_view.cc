// SPDX-License-Identifier: Apache-2.0
#include "deepstream/stream_view.h"

#include <utility>

namespace owl::ds {

int StreamPrompts::IndexOfClass(int class_id) const {
  for (size_t i = 0; i < class_ids.size(); ++i) {
    if (class_ids[i] == class_id) return static_cast<int>(i);
  }
  return -1;
}

void StreamTable::Publish(int slot, std::shared_ptr<const StreamView> view) {
  std::atomic_store(&views_.at(static_cast<size_t>(slot)), std::move(view));
}

std::shared_ptr<const StreamView> StreamTable::Get(unsigned slot) const {
  if (slot >= views_.size()) return nullptr;
  return std::atomic_load(&views_[slot]);
}

int ClassIds::IdOf(const std::string& text) {
  std::lock_guard<std::mutex> lock(mutex_);
  return ids_.emplace(text, static_cast<int>(ids_.size())).first->second;
}

}  // namespace owl::ds
