// SPDX-License-Identifier: Apache-2.0
// The end of the inference branch: an appsink whose newest frame becomes the model's input tensor while
// the model is idle. Frames that arrive while it is busy are dropped and counted; FrameDone() re-arms.
// Runs on the branch's streaming thread (behind a leaky queue), so neither the source nor the video
// branch ever waits for the conversion or for the model.
#pragma once

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "portable/pipeline_options.h"

namespace owl {

/** One frame for the model: the [1,3,S,S] normalised tensor of source frame `frame_id`. */
struct FramePacket {
  int64_t frame_id = 0;
  int64_t timestamp_ms = 0;  // capture time on the pipeline's clock (frame_clock.h), as the video branch's frames
  int width = 0;   // source frame size: detections come back in these pixels
  int height = 0;
  size_t length = 0;  // 3*S*S
  std::unique_ptr<float[]> tensor;
};

class FrameTap {
 public:
  /** Takes ownership of the packet; returns false if it could not be queued (the frame counts as dropped). */
  using Deliver = std::function<bool(std::unique_ptr<FramePacket>)>;

  FrameTap(const InferenceOptions& options, Deliver deliver);

  /**
   * Installs the gate on the branch's entry pad (frames arriving while the model is busy are dropped there,
   * before any scaling or conversion) and the new-sample callback on its appsink (max-buffers=1, drop=true).
   */
  void Attach(GstPad* entry, GstElement* appsink);
  /** Called on the source thread for every source frame, so samples can be traced back to it. */
  void NoteSourceFrame(GstClockTime pts, int64_t frame_id, int width, int height);
  /** The model finished its frame: the next sample is delivered. Any thread. */
  void FrameDone() { idle_.store(true); }

  uint64_t to_model() const { return to_model_.load(); }
  uint64_t dropped() const { return dropped_.load(); }

 private:
  struct SourceFrame {
    GstClockTime pts = GST_CLOCK_TIME_NONE;
    int64_t id = -1;
    int width = 0, height = 0;
  };

  static GstPadProbeReturn OnEntry(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  static GstFlowReturn OnNewSample(GstAppSink* sink, gpointer self);
  void Handle(GstElement* sink, GstSample* sample);
  SourceFrame Lookup(GstClockTime pts);

  InferenceOptions options_;
  Deliver deliver_;
  std::atomic<bool> idle_{true};
  std::atomic<uint64_t> to_model_{0};
  std::atomic<uint64_t> dropped_{0};
  std::mutex recent_mutex_;
  std::array<SourceFrame, 32> recent_{};  // ring of the latest source frames, indexed by id % 32
};

}  // namespace owl
