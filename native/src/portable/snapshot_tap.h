// SPDX-License-Identifier: Apache-2.0
// The web page's view of the annotated video: the video branch's drawn frames, encoded as JPEG by a branch of
// their own (leaky queue -> videoscale -> jpegenc -> appsink), at most 10 a second and only while someone asks.
// A gate probe at the branch's entry drops every frame unless Request() was called in the last 3 s, so nobody
// watching costs no CPU. JPEG (JFIF) means full-range YCbCr while video is usually limited range (16-235), so
// a probe before the encoder stretches the levels; without it every JPEG would look washed out. The newest
// JPEG is kept (one refcounted GstBuffer) for the JS thread to copy out.
#pragma once

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <utility>

namespace owl {

class SnapshotTap {
 public:
  /** No request for this long closes the gate. */
  static constexpr int64_t kIdleUs = 3'000'000;
  /** At most one frame per interval passes the gate (10 fps, what the MJPEG view shows at most). */
  static constexpr int64_t kIntervalUs = 100'000;
  /** Longest JPEG side: larger outputs are scaled down for the page. */
  static constexpr int kMaxSide = 1280;
  static constexpr int kQuality = 75;

  SnapshotTap() = default;
  ~SnapshotTap();
  SnapshotTap(const SnapshotTap&) = delete;
  SnapshotTap& operator=(const SnapshotTap&) = delete;

  /**
   * Installs the gate on `gate` (the entry of the frames to encode), the level stretch on `encoder_input` (the
   * encoder's sink pad, I420 frames) and the new-sample callback on `appsink`.
   */
  void Attach(GstPad* gate, GstPad* encoder_input, GstElement* appsink);
  /**
   * The newest JPEG as a new reference (the caller unrefs it), or nullptr before the first. Keeps the encoder
   * running for kIdleUs. The first call after an idle spell drops the stale JPEG and returns nullptr: a fresh one
   * follows within about one frame. Any thread.
   */
  GstBuffer* Request();

  /** The JPEG size for frames of width x height: the same, or scaled so the long side is kMaxSide (even sides). */
  static std::pair<int, int> JpegSize(int width, int height);

 private:
  static GstPadProbeReturn OnGate(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  static GstPadProbeReturn OnEncoderInput(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  static GstFlowReturn OnNewSample(GstAppSink* sink, gpointer self);

  std::atomic<int64_t> last_request_us_{INT64_MIN / 2};  // never: the gate starts closed
  std::atomic<int64_t> next_due_us_{0};
  std::mutex mutex_;  // guards latest_
  GstBuffer* latest_ = nullptr;
  // The encoder's streaming thread only.
  GstVideoInfo encoder_info_{};
  bool limited_range_ = false;
};

}  // namespace owl
