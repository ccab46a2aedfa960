// SPDX-License-Identifier: Apache-2.0
// What both engines do to keep one whole GStreamer pipeline playing (the portable Pipeline, and the DeepStream
// engine's shared pipeline): build it on their loop thread, watch its bus and its frames, and on an error, an end
// of stream or a stall tear it down and build it anew. When and how often is RetryMachine's (retry_machine.h):
// state events connecting, then playing; per recovery lost, connecting, reconnected; stopped last. No N-API here
// (the DeepStream harness uses it).
//
// Threads: Start and Stop from JS (or the environment's cleanup hook), serialised by the lifecycle lock;
// NoteFrame from streaming threads; everything else, and every Engine call, on the loop thread.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "common/retry_machine.h"
#include "gstreamer/main_loop_thread.h"
#include "gstreamer/pipeline_state.h"

namespace owl {

class ReconnectLoop : private RetryMachine::Target {
 public:
  using Phase = RetryMachine::Phase;

  /** What an engine supplies; called on the loop thread. Reasons are the texts of state events. */
  class Engine {
   public:
    /** A new pipeline (a full reference) with the engine's probes on it; throws what prevents that. */
    virtual GstElement* BuildPipeline() = 0;
    /** A message of the current pipeline's bus (errors and end of stream usually call Fail()). */
    virtual void OnBusMessage(GstMessage* message) = 0;
    /** The current pipeline was freed (its streaming threads joined): forget pointers into it. */
    virtual void OnTeardown() {}
    virtual std::string BuildFailedReason(const std::string& error) const = 0;
    /** The pipeline refused to play and its bus holds no error saying why. */
    virtual std::string StartFailedReason() const = 0;
    virtual std::string ConnectTimeoutReason(int timeout_ms) const = 0;
    virtual std::string RetryReason(int64_t delay_ms, int attempt) const = 0;

   protected:
    ~Engine() = default;
  };

  struct Settings {
    ReconnectOptions reconnect;
    /** A connection attempt may take this many stall timeouts before its first frame. */
    int connect_timeout_stalls = 2;
    /**
     * Starting loads a model (seconds, DeepStream): Start() returns before the first attempt begins, and
     * attempts are timed from the end of the state change rather than from the build.
     */
    bool slow_start = false;
    /** Fail when no frame came for a stall timeout while playing (off where frames are counted elsewhere). */
    bool watch_stalls = true;
  };

  ReconnectLoop(MainLoopThread& loop, Engine& engine, Settings settings,
                std::function<void(const StateEvent&)> on_state);
  ReconnectLoop(const ReconnectLoop&) = delete;
  ReconnectLoop& operator=(const ReconnectLoop&) = delete;

  /**
   * [sync] Under the lifecycle lock: throws CodedError(already_started, "ESTATE") unless new, runs `prepare`
   * (the engine's checks and claims: what it throws leaves this new), starts the loop thread, then the
   * first attempt with a `connecting` event saying `connecting_reason`.
   */
  void Start(const std::string& already_started, const std::function<void()>& prepare,
             const std::string& connecting_reason);
  /**
   * [sync] Ends the attempt or the wait, frees the pipeline, emits `stopped` and joins the loop thread;
   * false (and nothing done) unless it was running, so the engine knows whether to release its claims.
   */
  bool Stop();

  /** Streaming threads, per frame: feeds the stall watchdog; the first one of an attempt means playing. */
  void NoteFrame() { machine_.NoteFrame(); }
  uint64_t reconnects() const { return machine_.reconnects(); }

  // Loop thread.
  /** Tears the pipeline down and schedules the next attempt; ignored while waiting to retry or stopped. */
  void Fail(const std::string& reason) { machine_.Fail(reason); }
  Phase phase() const { return machine_.phase(); }
  /** The current pipeline (null between attempts). */
  GstElement* pipeline() const { return pipeline_; }

 private:
  // RetryMachine::Target (loop thread).
  void Connect() override;
  void Disconnect() override;
  std::string BuildFailedReason(const std::string& error) const override { return engine_.BuildFailedReason(error); }
  std::string ConnectTimeoutReason(int timeout_ms) const override { return engine_.ConnectTimeoutReason(timeout_ms); }
  std::string RetryReason(int64_t delay_ms, int attempt) const override {
    return engine_.RetryReason(delay_ms, attempt);
  }
  static gboolean BusCallback(GstBus* bus, GstMessage* message, gpointer self);

  MainLoopThread& loop_;
  Engine& engine_;
  const bool slow_start_;
  RetryMachine machine_;

  std::mutex lifecycle_mutex_;
  enum class Lifecycle { kNew, kStarted, kStopped } lifecycle_ = Lifecycle::kNew;

  // Loop-thread state.
  GstElement* pipeline_ = nullptr;
  ScopedSource bus_watch_;
};

}  // namespace owl
