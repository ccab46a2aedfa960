// SPDX-License-Identifier: Apache-2.0
// The portable engine's pipeline for one camera (no N-API here; pipeline_wrap.h binds it to JS).
//
//   input side (torn down and rebuilt on every reconnect):
//     source bin -> tee -+-> queue(leaky, 1) -> videoscale -> videoconvert -> RGB, long side = S -> appsink
//                        |     (FrameTap: newest frame -> tensor -> JS while the model is idle)
//                        +-> queue(leaky) -> videoscale -> videoconvert -> I420 at the output size
//                        |     -> [overlay probe: newest detections drawn in place, tracked ones where the tracker
//                        |         predicts them at the frame's time] -> tee -+-> intervideosink
//                        |                                                                  +-> JPEG branch
//                        +-> queue(leaky, 1) -> fakesink (headless without inference: paces a file input)
//     JPEG branch (SnapshotTap, for the web page): [gate] -> queue(leaky, 1) -> videoscale (long side <= 1280)
//       -> [levels to full range] -> jpegenc -> appsink. The gate passes <= 10 frames a second, and only while
//       snapshots are asked for. Headless (no RTSP output), the video branch feeds only this, so the gate moves
//       to the video branch's entry.
//   output side (in the RtspServer, lives as long as the pipeline, served from Start):
//     intervideosrc -> videoscale -> x264enc -> rtph264pay at rtsp://host:port/mount (output_launch.h)
//
// Output format: the configured size, else the test source's, else the first source frame's; until a source
// frame says otherwise it is the configured size or 1280x720 at 30 fps, so the mount answers (black) while a
// camera never connects. The first source frame may change it once: the mount is then served anew
// (Republish), and clients that joined earlier keep their stream, scaled.
//
// Tracking: the JS thread updates the stream's tracker (tracker/shared_tracker.h) with each model result and hands
// the result's boxes, with their track ids, to SetOverlay; the video thread asks the tracker where each of those
// tracks is at the frame's capture time (frame_clock.h: the model's frames are timed on the same clock) and draws
// it there, so boxes move on every output frame rather than once per model frame.
//
// Threads: a MainLoopThread runs the ReconnectLoop (common/reconnect_loop.h) that owns the input pipeline, its
// bus watch, the stall watchdog and the reconnect timer; every state change happens there, so state events
// come out in order. Streaming threads only count, draw and convert, and talk to the loop thread through Post().
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/coded_error.h"
#include "common/reconnect_loop.h"
#include "gstreamer/main_loop_thread.h"
#include "gstreamer/pipeline_state.h"
#include "gstreamer/rtsp_server.h"
#include "portable/frame_tap.h"
#include "portable/output_launch.h"
#include "portable/overlay.h"
#include "portable/overlay_painter.h"
#include "portable/pipeline_options.h"
#include "portable/snapshot_tap.h"
#include "tracker/shared_tracker.h"

namespace owl {

class Pipeline : private ReconnectLoop::Engine {
 public:
  struct Callbacks {
    std::function<void(const StateEvent&)> on_state;  // loop thread, in order
    std::function<void(const ErrorInfo&)> on_error;   // loop thread: failures reconnecting cannot fix
    FrameTap::Deliver on_frame;                       // inference streaming thread
  };

  /** `server` may be null only when options.output.enabled is false. */
  Pipeline(PipelineOptions options, std::shared_ptr<RtspServer> server, Callbacks callbacks);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  /**
   * [sync] Checks the input (missing file: "ENOENT" naming it; unknown pattern or preset: "EINVAL"; missing
   * plugin: "ENOPLUGIN"), claims the RTSP mount ("EMOUNTINUSE"), then starts connecting and returns.
   * Connection failures are not thrown: they become `lost` events and retries. "ESTATE" if started twice.
   */
  void Start();
  /** [sync] Stops everything, emits `stopped`, joins the loop thread and frees the mount; idempotent. */
  void Stop();
  /**
   * The newest annotated frame as JPEG (a new reference: unref it), or nullptr before the first; see
   * SnapshotTap::Request (this keeps the JPEG branch encoding for 3 s). Any thread.
   */
  GstBuffer* Snapshot() { return snapshots_.Request(); }
  /** [sync] The detections drawn from the next frame on (null or empty: none). Any thread. */
  void SetOverlay(std::shared_ptr<const OverlaySnapshot> overlay);
  /**
   * [sync] The stream's tracker (null: none). With draw_predicted, items with a track id are drawn where the tracker
   * predicts their track at each frame's time (hidden once the track is gone); else at their own box. Any thread.
   */
  void SetTracker(std::shared_ptr<tracking::SharedTracker> tracker, bool draw_predicted);
  /** The model is idle again. Any thread. */
  void FrameDone() { tap_.FrameDone(); }
  PipelineStats stats() const;

 private:
  // ReconnectLoop::Engine (loop thread).
  GstElement* BuildPipeline() override;
  void OnBusMessage(GstMessage* message) override;
  void OnTeardown() override;
  std::string BuildFailedReason(const std::string& error) const override;
  std::string StartFailedReason() const override;
  std::string ConnectTimeoutReason(int timeout_ms) const override;
  std::string RetryReason(int64_t delay_ms, int attempt) const override;

  // Loop thread.
  void Republish(const OutputFormat& format);
  OutputFormat InitialFormat() const;

  // Streaming threads.
  static GstPadProbeReturn OnSourcePad(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  static GstPadProbeReturn OnVideoPad(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  void OnSourceCaps(GstCaps* caps);
  void OnVideoBuffer(GstPad* pad, GstPadProbeInfo* info);
  /** placements_ for the snapshot's items at time_ms (video thread). */
  void PlaceTracked(const OverlaySnapshot& overlay, const tracking::SharedTracker& tracker, int64_t time_ms);

  const PipelineOptions options_;
  const std::shared_ptr<RtspServer> server_;
  const Callbacks callbacks_;
  std::string channel_;  // intervideo channel, unique per pipeline (a held mount's, taken over at Start)
  MainLoopThread loop_;
  ReconnectLoop runner_;
  FrameTap tap_;
  SnapshotTap snapshots_;

  // Shared with streaming threads.
  std::atomic<uint64_t> frames_in_{0};
  std::atomic<uint64_t> frames_out_{0};
  GstElement* infer_caps_ = nullptr;  // capsfilters of the current input pipeline (owned by it)
  GstElement* video_caps_ = nullptr;
  GstElement* jpeg_caps_ = nullptr;
  std::mutex format_mutex_;  // source size and the output format (final once the first source caps came)
  int source_width_ = 0;
  int source_height_ = 0;
  OutputFormat output_format_;
  bool format_from_source_ = false;
  std::mutex overlay_mutex_;  // overlay_, tracker_, draw_predicted_
  std::shared_ptr<const OverlaySnapshot> overlay_;
  std::shared_ptr<tracking::SharedTracker> tracker_;
  bool draw_predicted_ = false;
  // Video streaming thread only.
  OverlayPainter painter_;
  GstVideoInfo video_info_;
  GstSegment video_segment_;
  std::vector<tracking::TrackView> predicted_;
  std::vector<OverlayPainter::Placement> placements_;
};

}  // namespace owl
