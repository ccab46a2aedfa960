// SPDX-License-Identifier: Apache-2.0
// The DeepStream engine's pipeline. Compiled ONLY where the DeepStream SDK is found (OWL_HAVE_DEEPSTREAM);
// no N-API here (ds_pipeline_wrap.h binds it to JS). It cannot run on machines without the SDK (only be
// compiled against its headers: native/tools/ds-compile-check.sh), so it is kept small: TS writes the whole
// pipeline as a gst-launch description
// (ts/deepstream/pipeline-description.ts), roughly
//
//   nvurisrcbin -> nvstreammux name=mux -> nvinfer name=infer (NvDsInferParseOwl) -> tee
//     tee -> nvvideoconvert -> nvdsosd -> nvvideoconvert -> encoder name=enc -> rtph264pay -> udpsink
//     tee -> nvmsgconv (minimal schema) -> nvmsgbroker (Redis)
//
// and this class parses it, serves the udpsink's RTP on the RtspServer mount, and owns one buffer probe
// on infer's src pad. Per frame the probe (1) writes the current prompt text into each object's
// obj_label and display_text (nvinfer read its label file once; prompts change live) before nvdsosd
// and nvmsgconv read them, and (2) copies the detections into a POD DsFrame for JS.
//
// Threads and recovery are the portable Pipeline's (common/reconnect_loop.h): on a MainLoopThread, the
// ReconnectLoop owns the GStreamer pipeline, its bus watch, a stall watchdog and the retry timer. Any error
// or stall tears the pipeline down and rebuilds it from the description with exponential backoff. Errors of
// the model, the encoder or the broker (named elements: usually a config or model problem) are also reported
// as error events.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/coded_error.h"
#include "common/reconnect_loop.h"
#include "gstreamer/main_loop_thread.h"
#include "gstreamer/pipeline_state.h"
#include "gstreamer/rtsp_server.h"

namespace owl::ds {

struct DsPipelineOptions {
  /** gst-launch description; nvinfer must be named "infer" (and nvstreammux "mux"). */
  std::string description;
  /** Serve the video: the description ends in a udpsink whose RTP `mount_launch` (udpsrc name=pay0) reads. */
  bool output_enabled = false;
  std::string mount;
  std::string mount_launch;
  ReconnectOptions reconnect;
};

/** Detections of one frame, in source-frame pixels (flat, as NativeDeepStreamFrame in ts/native.ts). */
struct DsFrame {
  uint64_t frame_id = 0;
  int width = 0;
  int height = 0;
  std::vector<int32_t> labels;
  std::vector<float> scores;
  std::vector<float> boxes;  // [N*4] x0, y0, x1, y1
};

class DsPipeline : private ReconnectLoop::Engine {
 public:
  struct Callbacks {
    std::function<void(const StateEvent&)> on_state;  // loop thread, in order
    std::function<void(const ErrorInfo&)> on_error;   // loop thread: model / encoder / broker errors
    // Streaming thread; must not block. Returns false when the frame was dropped (queue full).
    std::function<bool(std::unique_ptr<DsFrame>)> on_frame;
  };

  /** `server` may be null only when options.output_enabled is false. */
  DsPipeline(DsPipelineOptions options, std::shared_ptr<RtspServer> server, Callbacks callbacks);
  ~DsPipeline();
  DsPipeline(const DsPipeline&) = delete;
  DsPipeline& operator=(const DsPipeline&) = delete;

  /**
   * [sync] Parses the description once (a missing element: "ENOPLUGIN" naming it; a bad property, value or
   * syntax, or no element named "infer": "EINVAL"), claims and publishes the RTSP mount ("EMOUNTINUSE"),
   * then queues the start on the loop thread and returns: nvinfer loads its engine there. Later failures
   * become `lost` events and rebuilds. "ESTATE" if started twice.
   */
  void Start();
  /** [sync] Stops everything, emits `stopped`, joins the loop thread and frees the mount; idempotent. */
  void Stop();
  /** The labels written into obj_label / display_text from the next frame on, by class id. Any thread. */
  void SetLabels(std::shared_ptr<const std::vector<std::string>> labels);
  PipelineStats stats() const;

 private:
  // ReconnectLoop::Engine (loop thread).
  GstElement* BuildPipeline() override;
  void OnBusMessage(GstMessage* message) override;
  std::string BuildFailedReason(const std::string& error) const override;
  std::string StartFailedReason() const override;
  std::string ConnectTimeoutReason(int timeout_ms) const override;
  std::string RetryReason(int64_t delay_ms, int attempt) const override;

  // Streaming threads.
  static GstPadProbeReturn OnInferBuffer(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  static GstPadProbeReturn OnEncodedBuffer(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  void OnInferred(GstBuffer* buffer);

  const DsPipelineOptions options_;
  const std::shared_ptr<RtspServer> server_;
  const Callbacks callbacks_;
  MainLoopThread loop_;
  ReconnectLoop runner_;
  GstElement* parsed_ = nullptr;  // parsed by Start() to check it, then the first attempt's pipeline

  // Shared with streaming threads.
  std::shared_ptr<const std::vector<std::string>> labels_;  // std::atomic_load / atomic_store only
  std::atomic<int> mux_width_{0};  // legacy nvstreammux output size (object meta pixels); 0: the new muxer
  std::atomic<int> mux_height_{0};
  std::atomic<uint64_t> next_frame_id_{0};
  std::atomic<uint64_t> frames_in_{0};
  std::atomic<uint64_t> frames_out_{0};
  std::atomic<uint64_t> frames_to_js_{0};
  std::atomic<uint64_t> frames_dropped_{0};
};

}  // namespace owl::ds
