// SPDX-License-Identifier: Apache-2.0
// What the probes of the shared DeepStream pipeline know of each stream, by slot (the frame's source_id =
// nvstreammux sink pad index): its id, sensor id and Redis interval, its prompts, its counters. A view is
// immutable once published and swapped whole (std::atomic_store of a shared_ptr), so a streaming thread reads
// one consistent view per frame without a lock, and a prompt change applies from one frame to the next.
// No GStreamer and no DeepStream types here.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "decode/owl_decode.h"

namespace owl::ds {

/** A stream's prompt set as the probes use it. */
struct StreamPrompts {
  PromptSet set;                    // decode; num_queries == 0: nothing is detected
  std::vector<std::string> labels;  // by prompt index
  /**
   * The object class id of each prompt (NvDsObjectMeta.class_id): one per prompt text for the whole pipeline,
   * never reused, so nvtracker's per-class matching and label cache stay right across prompt changes.
   */
  std::vector<int> class_ids;

  /** The prompt index of a class id, or -1 when the stream no longer has that prompt. */
  int IndexOfClass(int class_id) const;
};

/** Counters of one stream, shared by its probes and its owner. */
struct StreamCounters {
  std::atomic<uint64_t> frames_in{0};      // into nvstreammux
  std::atomic<uint64_t> frames_out{0};     // encoded for its output
  std::atomic<uint64_t> frames_to_js{0};   // inferred frames handed to JS
  std::atomic<uint64_t> frames_dropped{0}; // ... not handed over: JS was busy
  std::atomic<uint64_t> frame_number{0};   // every frame after the tracker: the Redis entry id
  std::atomic<uint64_t> inferred{0};       // inferred frames, for the Redis interval
  std::atomic<uint64_t> reconnects{0};     // "reconnected" events of the stream
};

/**
 * One nvmsgconv -> nvmsgbroker branch of the shared part, as the report probe feeds it: every `interval` inferred
 * frames of a stream, that frame's objects as event messages for the converter with comp-id `component_id`
 * (0 with a single branch; 1.. with several, each converter and broker paired by it).
 */
struct DsMessageOutput {
  int component_id = 0;
  int interval = 1;
};

/** One stream as the probes see it. */
struct StreamView {
  std::string id;
  std::string sensor_id;
  std::shared_ptr<const StreamPrompts> prompts;  // never null
  std::shared_ptr<StreamCounters> counters;      // never null
};

/** The views by slot. Publish from any thread; Get from streaming threads (lock-free). */
class StreamTable {
 public:
  explicit StreamTable(int slots) : views_(static_cast<size_t>(slots)) {}
  int slots() const { return static_cast<int>(views_.size()); }
  /** Null clears the slot. */
  void Publish(int slot, std::shared_ptr<const StreamView> view);
  /** The slot's view, or null (free slot, or a source id beyond the table). */
  std::shared_ptr<const StreamView> Get(unsigned slot) const;

 private:
  std::vector<std::shared_ptr<const StreamView>> views_;  // std::atomic_load / atomic_store only
};

/** Prompt text -> class id, for the whole pipeline (see StreamPrompts::class_ids). Thread-safe. */
class ClassIds {
 public:
  int IdOf(const std::string& text);

 private:
  std::mutex mutex_;
  std::map<std::string, int> ids_;
};

}  // namespace owl::ds
