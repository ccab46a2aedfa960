// SPDX-License-Identifier: Apache-2.0
// The DeepStream engine's one pipeline for every stream. Compiled ONLY where the DeepStream SDK is found
// (OWL_HAVE_DEEPSTREAM), or against the test-only stand-in headers; no N-API here (ds_pipeline_wrap.h binds it to
// JS). TS writes the descriptions (ts/deepstream/pipeline-description.ts):
//
//   shared:      nvstreammux name=mux (batch = maxStreams) -> nvinfer name=infer (tensors) -> [nvtracker] -> tee
//                  tee -> nvmsgconv -> nvmsgbroker (Redis);  tee -> nvstreamdemux name=demux (with outputs)
//   per stream:  source bin -> mux.sink_<slot>;  demux.src_<slot> -> output bin (nvdsosd, encoder, udpsink)
//
// and this class parses the shared part, adds and removes streams while it plays (ds_source.h), serves each
// stream's udpsink RTP on its RTSP mount, and owns the probes that make the pipeline owl-stream's:
//   - after nvinfer, each inferred frame's tensors decoded with its stream's prompts into object metadata
//     (decode_probe.h: one decode core for both engines, per-stream prompts that a bbox parser could not have);
//   - after nvtracker, objects labelled and styled, detections handed to JS, Redis events attached
//     (frame_report.h, event_msg.h: each stream's sensor id, source-frame pixels, tracker ids);
//   - on the demuxer's input, each stream's end of stream, after which its slot can be used again.
//
// Threads and recovery: on a MainLoopThread, a ReconnectLoop owns the shared pipeline (its bus, the retry timer)
// and each stream a RetryMachine. A stream's failure rebuilds that stream alone; a failure of the shared part
// (nvinfer, nvtracker, nvmsgconv, nvmsgbroker) rebuilds everything, the streams rejoining once it plays. JS
// calls (AddSource, RemoveSource, SetPrompts) never wait for the loop thread, which may be busy for minutes
// while nvinfer builds a TensorRT engine: the slot registry is theirs under a mutex, and the loop thread is
// only posted to.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/coded_error.h"
#include "common/reconnect_loop.h"
#include "decode/owl_decode.h"
#include "deepstream/decode_probe.h"
#include "deepstream/ds_source.h"
#include "deepstream/frame_report.h"
#include "deepstream/overlay_style.h"
#include "deepstream/stream_view.h"
#include "gstreamer/main_loop_thread.h"
#include "gstreamer/pipeline_state.h"
#include "gstreamer/rtsp_server.h"

namespace owl::ds {

struct DsPipelineOptions {
  /** The shared part: nvstreammux named "mux", nvinfer "infer", optionally nvtracker "tracker", nvstreamdemux
   *  "demux" (needed by streams with outputs). */
  std::string description;
  int max_streams = 1;
  ReconnectOptions reconnect;
  DecodeOptions decode;
  OverlayStyle overlay;
  /** The metadata branches (none: no event messages). */
  std::vector<DsMessageOutput> messages;
};

/** A stream to add (NativeDeepStreamSource in ts/native.ts). */
struct DsStreamOptions {
  DsSourceOptions source;
  std::string sensor_id;
  /** Output only: the RTSP server, the stream's mount and what it serves (udpsrc name=pay0 reading the udpsink). */
  std::shared_ptr<RtspServer> server;
  std::string mount;
  std::string mount_launch;
};

/** Counters of one stream (NativeDeepStreamStreamStats). */
struct DsStreamStats {
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  uint64_t frames_to_js = 0;
  uint64_t frames_dropped = 0;
  uint64_t reconnects = 0;
};

class DsPipeline : private ReconnectLoop::Engine {
 public:
  struct Callbacks {
    std::function<void(const StateEvent&)> on_state;  // loop thread, in order: the shared pipeline
    std::function<void(const ErrorInfo&)> on_error;   // loop thread: decode, nvinfer, nvtracker, nvmsgconv, broker
    std::function<void(const std::string& stream, const StateEvent&)> on_stream_state;  // loop thread
    std::function<void(const std::string& stream, const ErrorInfo&)> on_stream_error;   // loop thread: its encoder
    // Streaming thread; must not block. Returns false when the frame was dropped (queue full).
    std::function<bool(std::unique_ptr<DsFrame>)> on_frame;
  };

  explicit DsPipeline(DsPipelineOptions options, Callbacks callbacks);
  ~DsPipeline();
  DsPipeline(const DsPipeline&) = delete;
  DsPipeline& operator=(const DsPipeline&) = delete;

  /**
   * [sync] Parses the shared description once (a missing element: "ENOPLUGIN" naming it; a bad property, value
   * or syntax, or no element named "mux" or "infer": "EINVAL"), then queues the start on the loop thread and
   * returns: nvinfer loads its engine there. Later failures become `lost` events and rebuilds. "ESTATE" if
   * started twice.
   */
  void Start();
  /** [sync] Stops every stream (each emits `stopped`), then the pipeline; joins the loop thread; idempotent. */
  void Stop();

  /**
   * [sync, any thread] Adds a stream in the lowest free slot and serves its mount at once; it joins the pipeline
   * when the loop thread gets to it (at once, or when the pipeline plays). Throws CodedError: "ESTATE" unless
   * started and not stopped, "EEXIST" for an id in use, "ENOSPC" when every slot is taken (or still draining),
   * "EINVAL" for a description that does not parse, "EMOUNTINUSE".
   */
  void AddSource(DsStreamOptions stream);
  /** [sync, any thread] Starts removing a stream (see DsSource::End); "EINVAL" for an unknown id. */
  void RemoveSource(const std::string& id);
  /** [sync, any thread] The stream's prompts from its next frame on; "EINVAL" for an unknown id. */
  void SetPrompts(const std::string& id, std::shared_ptr<const StreamPrompts> prompts);
  /** [sync, any thread] The overlay style from the next frame on. */
  void SetOverlayStyle(std::shared_ptr<const OverlayStyle> style) { std::atomic_store(&style_, std::move(style)); }
  std::shared_ptr<const OverlayStyle> style() const { return std::atomic_load(&style_); }
  /** Prompt text -> class id for the whole pipeline (StreamPrompts::class_ids). */
  ClassIds& class_ids() { return class_ids_; }

  /** The shared pipeline's counters (the streams' totals). */
  PipelineStats stats() const;
  std::map<std::string, DsStreamStats> stream_stats() const;

 private:
  // A slot as JS calls see it (under registry_mutex_).
  struct Slot {
    enum class State { kFree, kUsed, kDraining } state = State::kFree;
    std::shared_ptr<const StreamView> view;  // published to the probes while kUsed
    std::shared_ptr<RtspServer> server;      // null without output
    std::string mount;
  };

  // ReconnectLoop::Engine (loop thread).
  GstElement* BuildPipeline() override;
  void OnBusMessage(GstMessage* message) override;
  void OnTeardown() override;
  std::string BuildFailedReason(const std::string& error) const override;
  std::string StartFailedReason() const override;
  std::string ConnectTimeoutReason(int timeout_ms) const override;
  std::string RetryReason(int64_t delay_ms, int attempt) const override;

  // Loop thread.
  void Join(DsStreamOptions stream, int slot, std::shared_ptr<StreamCounters> counters);
  void Leave(int slot);
  void Drained(int slot);
  void ReleaseSlot(int slot);
  DsSource* SourceOwning(GstObject* element);

  // Streaming threads.
  static GstPadProbeReturn OnInferred(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  static GstPadProbeReturn OnTracked(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  static GstPadProbeReturn OnStreamEnd(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  void ReportDecodeError(const std::string& reason);

  const DsPipelineOptions options_;
  const Callbacks callbacks_;
  MainLoopThread loop_;
  ReconnectLoop runner_;
  StreamTable streams_;
  ClassIds class_ids_;
  std::shared_ptr<const OverlayStyle> style_;  // std::atomic_load / atomic_store only

  mutable std::mutex registry_mutex_;  // JS calls and the loop thread
  bool accepting_ = false;     // started and not stopped
  std::vector<Slot> slots_;

  // Loop-thread state.
  GstElement* parsed_ = nullptr;  // parsed by Start() to check it, then the first attempt's pipeline
  DsSource::Host host_;           // the current pipeline's elements while it plays
  bool host_up_ = false;
  std::map<int, std::unique_ptr<DsSource>> sources_;   // by slot, streams in the pipeline
  std::map<int, std::unique_ptr<DsSource>> leaving_;   // by slot, removed streams draining

  // Shared with streaming threads.
  std::atomic<int> mux_width_{0};  // legacy nvstreammux output size (object meta pixels); 0: the new muxer
  std::atomic<int> mux_height_{0};
  std::atomic<uint64_t> frames_reported_{0};
  std::atomic<uint64_t> frames_dropped_{0};
  std::mutex decode_errors_mutex_;
  std::set<std::string> decode_errors_;  // reported once per pipeline attempt
};

}  // namespace owl::ds
