// SPDX-License-Identifier: Apache-2.0
// One stream of the shared DeepStream pipeline (ds_pipeline.h): its source bin on nvstreammux's sink pad of its
// slot and, with a video output, its output bin on nvstreamdemux's src pad of the same slot, added and removed
// while the pipeline plays. It keeps itself going with its own RetryMachine: an error, end of stream or stall of
// its source (or an error of its encoder) tears down and rebuilds this stream alone, with backoff, while the
// other streams play on.
//
// Taking a stream out follows the SDK's runtime_source_add_delete sample (source bin to NULL, EOS and
// FLUSH_STOP on its muxer pad, release the pad, remove the bin) and deepstream-demuxer-dynamic (the output
// branch goes once the stream's EOS has come out of the demuxer, then the demuxer pad is released). Until that
// EOS has drained (OnDrained, or a timeout) the slot is not used again: a new attempt of this stream waits for
// it, so its frames never meet the old output branch and a new output branch always gets the stream's caps.
//
// Threads: everything on the shared pipeline's loop thread, except the pad probes (streaming threads), which
// only count and post.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/coded_error.h"
#include "common/retry_machine.h"
#include "deepstream/stream_view.h"
#include "gstreamer/main_loop_thread.h"
#include "gstreamer/pipeline_state.h"

namespace owl::ds {

/** A stream as the native side takes it (NativeDeepStreamSource in ts/native.ts, less what the probes read). */
struct DsSourceOptions {
  std::string id;
  /** Source bin: one unlinked src pad. */
  std::string description;
  /** "host:port" of an RTSP camera, probed while waiting to retry (RetryMachine); empty: none. */
  std::string probe_address;
  bool output_enabled = false;
  /** Output bin: one unlinked sink pad; its encoder, if any, named "enc". */
  std::string output_description;
};

class DsSource : private RetryMachine::Target {
 public:
  /** The shared pipeline's elements a stream links to, while it plays. */
  struct Host {
    GstElement* pipeline = nullptr;
    GstElement* mux = nullptr;
    GstElement* demux = nullptr;  // null without video outputs
  };
  struct Callbacks {
    std::function<void(const StateEvent&)> on_state;  // loop thread
    std::function<void(const ErrorInfo&)> on_error;   // loop thread: encoder errors
    std::function<void()> on_drained;                  // loop thread: Drained() became true
  };

  DsSource(DsSourceOptions options, int slot, MainLoopThread& loop, const ReconnectOptions& reconnect,
           std::shared_ptr<StreamCounters> counters, Callbacks callbacks);
  ~DsSource();
  DsSource(const DsSource&) = delete;
  DsSource& operator=(const DsSource&) = delete;

  const std::string& id() const { return options_.id; }
  int slot() const { return slot_; }

  // Loop thread.
  /** The shared pipeline plays: connect (now, or once the slot has drained). */
  void HostUp(const Host& host, const std::string& reason);
  /** The shared pipeline is gone (torn down to be rebuilt): forget its elements, wait for HostUp. */
  void HostDown(const std::string& reason);
  /** Removal: disconnect for good and emit `stopped`. The slot is free once Drained(). */
  void End();
  /** Whether `element` is one of this stream's (its bins, or the output bin still draining). */
  bool Owns(GstObject* element) const;
  /** An error message of one of its elements: the stream is rebuilt (an encoder error is also reported). */
  void OnError(GstMessage* message);
  /** The stream's EOS came out of the shared part (or it never will): the slot can be used again. */
  void OnDrained();
  /** Nothing of an earlier attempt is left in the pipeline. */
  bool Drained() const { return !draining_; }

 private:
  // RetryMachine::Target.
  void Connect() override;
  void Disconnect() override;
  std::string BuildFailedReason(const std::string& error) const override;
  std::string ConnectTimeoutReason(int timeout_ms) const override;
  std::string RetryReason(int64_t delay_ms, int attempt) const override;

  void Build();
  void BuildOutput();
  void BuildSource();
  void FinishDrain();
  void RemoveOutput(GstElement* bin, GstPad* pad);

  // Streaming threads.
  static GstPadProbeReturn OnSourcePad(GstPad* pad, GstPadProbeInfo* info, gpointer self);
  static GstPadProbeReturn OnEncoded(GstPad* pad, GstPadProbeInfo* info, gpointer self);

  const DsSourceOptions options_;
  const int slot_;
  MainLoopThread& loop_;
  const std::shared_ptr<StreamCounters> counters_;
  const Callbacks callbacks_;
  RetryMachine machine_;
  // Cleared by the destructor: a probe's post must not reach a freed source.
  const std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);

  // Loop-thread state.
  Host host_;
  std::atomic<uint64_t> attempt_{0};  // bumped by every Disconnect: stale end-of-stream posts are ignored
  bool connect_pending_ = false;  // Connect came while the slot was draining
  GstElement* source_bin_ = nullptr;
  GstPad* mux_pad_ = nullptr;
  GstElement* output_bin_ = nullptr;
  GstPad* demux_pad_ = nullptr;
  bool draining_ = false;              // an earlier attempt's EOS is on its way through the shared part
  GstElement* draining_output_ = nullptr;  // ... and the output branch that waits for it
  GstPad* draining_pad_ = nullptr;
  ScopedSource drain_timeout_;
};

}  // namespace owl::ds
