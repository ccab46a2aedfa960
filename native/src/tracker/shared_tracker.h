// SPDX-License-Identifier: Apache-2.0
// One stream's tracker shared by two threads: the JS thread feeds it the model's results and changes its settings
// (tracker_binding.cc), and the portable pipeline's video streaming thread asks it where each track is at every
// output frame's time (portable/pipeline.cc). One mutex, held for one call at a time: Update takes well under a
// millisecond and Predict allocates nothing once its vector has the capacity, so the video thread never waits
// for long, and never for JS itself.
#pragma once

#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

#include "tracker/tracker.h"

namespace owl::tracking {

class SharedTracker {
 public:
  /** @throws std::invalid_argument naming the option out of range. */
  explicit SharedTracker(const TrackerOptions& options) : tracker_(options) {}

  /** [sync] Runs fn(Tracker&) with the lock held (JS thread: Update, settings). Returns what fn returns. */
  template <typename Fn>
  auto With(Fn&& fn) -> decltype(std::forward<Fn>(fn)(std::declval<Tracker&>())) {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::forward<Fn>(fn)(tracker_);
  }

  /** [sync] Tracker::Predict with the lock held (any thread). */
  void Predict(int64_t timestamp_ms, std::vector<TrackView>* out) const {
    std::lock_guard<std::mutex> lock(mutex_);
    tracker_.Predict(timestamp_ms, out);
  }

 private:
  mutable std::mutex mutex_;
  Tracker tracker_;
};

}  // namespace owl::tracking
