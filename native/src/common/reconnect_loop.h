// SPDX-License-Identifier: Apache-2.0
// What both engines (portable Pipeline, DeepStream DsPipeline) do to keep one GStreamer pipeline playing:
// build it on their loop thread, watch its bus and its frames, and on an error, an end of stream or a
// stall tear it down and build it anew with exponential backoff. State events: connecting, then playing;
// per recovery lost, connecting, reconnected; stopped last. No N-API here (the DeepStream harness uses it).
//
// A camera that comes back is noticed within about a second whatever the backoff: while waiting, a TCP connect
// to its address (`probe_address`) is tried every second; once one is refused and a later one succeeds, the wait
// ends and the next attempt starts. A camera that never answers keeps the long delays (one cheap connect a
// second), and one whose port answers while its stream fails does too (no refusal seen, no shortcut).
//
// Threads: Start and Stop from JS (or the environment's cleanup hook), serialised by the lifecycle lock;
// NoteFrame from streaming threads; everything else, and every Engine call, on the loop thread.
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "gstreamer/main_loop_thread.h"
#include "gstreamer/pipeline_state.h"

namespace owl {

/** Backoff and stall limits (`reconnect` of NativePipelineOptions and NativeDeepStreamOptions). */
struct ReconnectOptions {
  int initial_delay_ms = 500;
  int max_delay_ms = 10000;
  int stall_timeout_ms = 5000;
  /** "host:port" probed while waiting to retry (the camera's address); empty: no probe. Never has credentials. */
  std::string probe_address;
};

/** The wait before the next attempt after `failures` consecutive ones: initial, 2x, 4x ... capped at max. */
int64_t BackoffDelayMs(const ReconnectOptions& options, int failures);

class ReconnectLoop {
 public:
  enum class Phase { kConnecting, kPlaying, kRetryWait, kStopped };

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
  };

  ReconnectLoop(MainLoopThread& loop, Engine& engine, Settings settings,
                std::function<void(const StateEvent&)> on_state);
  ReconnectLoop(const ReconnectLoop&) = delete;
  ReconnectLoop& operator=(const ReconnectLoop&) = delete;
  ~ReconnectLoop();

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
  void NoteFrame();
  uint64_t reconnects() const { return reconnects_.load(); }

  // Loop thread.
  /** Tears the pipeline down and schedules the next attempt; ignored while waiting to retry or stopped. */
  void Fail(const std::string& reason);
  Phase phase() const { return phase_; }
  /** The current pipeline (null between attempts). */
  GstElement* pipeline() const { return pipeline_; }

 private:
  void Begin(const std::string& connecting_reason);
  void Connect();
  void Teardown();
  bool Watchdog();
  void OnFirstFrame(uint64_t generation);
  void StartProbing();
  void StopProbing();
  void Probe();
  void OnProbeResult(bool reachable);
  static void ProbeDone(GObject* client, GAsyncResult* result, gpointer call);
  void Emit(PipelineState state, const std::string& reason) { on_state_({state, reason}); }
  static gboolean BusCallback(GstBus* bus, GstMessage* message, gpointer self);

  MainLoopThread& loop_;
  Engine& engine_;
  const Settings settings_;
  const std::function<void(const StateEvent&)> on_state_;

  std::mutex lifecycle_mutex_;
  enum class Lifecycle { kNew, kStarted, kStopped } lifecycle_ = Lifecycle::kNew;

  // Loop-thread state.
  Phase phase_ = Phase::kConnecting;
  GstElement* pipeline_ = nullptr;
  ScopedSource bus_watch_;
  ScopedSource retry_timer_;
  ScopedSource watchdog_;
  bool ever_played_ = false;
  int failures_ = 0;  // consecutive, for the backoff
  int64_t attempt_started_us_ = 0;
  // The return probe (loop thread): one connect at a time, results of an earlier wait ignored.
  ScopedSource probe_timer_;
  GSocketClient* probe_client_ = nullptr;
  GCancellable* probe_cancellable_ = nullptr;
  uint64_t probe_round_ = 0;
  bool probe_saw_down_ = false;

  // Shared with streaming threads.
  std::atomic<uint64_t> generation_{0};  // bumped by every teardown: stale first-frame notes are ignored
  std::atomic<bool> got_frame_{false};
  std::atomic<int64_t> last_frame_us_{0};
  std::atomic<uint64_t> reconnects_{0};
};

}  // namespace owl
