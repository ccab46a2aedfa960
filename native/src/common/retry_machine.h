// SPDX-License-Identifier: Apache-2.0
// The recovery state machine both engines use for anything that has to keep producing frames: one GStreamer
// pipeline (ReconnectLoop, portable engine and the DeepStream engine's shared pipeline) or one source inside a
// shared pipeline (a DeepStream stream). A Target connects and disconnects itself; this class decides when:
// on a failure, an end of stream or a stall it disconnects and retries with exponential backoff, and it says
// what happens as state events: connecting, then playing; per recovery lost, connecting, reconnected; stopped
// last. No N-API and no GStreamer pipeline here.
//
// A camera that comes back is noticed within about a second whatever the backoff: while waiting, a TCP connect
// to its address (`probe_address`) is tried every second; once one is refused and a later one succeeds, the wait
// ends and the next attempt starts. A camera that never answers keeps the long delays (one cheap connect a
// second), and one whose port answers while its stream fails does too (no refusal seen, no shortcut).
//
// Threads: NoteFrame from any thread (streaming threads, per frame); everything else, and every Target call,
// on the MainLoopThread given at construction.
#pragma once

#include <gio/gio.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
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

class RetryMachine {
 public:
  enum class Phase { kIdle, kConnecting, kPlaying, kRetryWait, kSuspended, kStopped };

  /** What is retried; every call on the loop thread. Reasons are the texts of state events. */
  class Target {
   public:
    /** Builds and starts one attempt; throws what prevents it (the attempt then fails with BuildFailedReason). */
    virtual void Connect() = 0;
    /** Ends the current attempt, if any: afterwards none of its streaming threads runs. */
    virtual void Disconnect() = 0;
    virtual std::string BuildFailedReason(const std::string& error) const = 0;
    virtual std::string ConnectTimeoutReason(int timeout_ms) const = 0;
    virtual std::string RetryReason(int64_t delay_ms, int attempt) const = 0;

   protected:
    ~Target() = default;
  };

  struct Settings {
    ReconnectOptions reconnect;
    /** An attempt may take this long before its first frame (NoteFrame) or it fails. */
    int connect_timeout_ms = 10000;
    /** Fail when no frame came for reconnect.stall_timeout_ms while playing. */
    bool watch_stalls = true;
  };

  RetryMachine(MainLoopThread& loop, Target& target, Settings settings,
               std::function<void(const StateEvent&)> on_state);
  ~RetryMachine();
  RetryMachine(const RetryMachine&) = delete;
  RetryMachine& operator=(const RetryMachine&) = delete;

  // Loop thread.
  /** The first attempt, with a `connecting` event saying `reason`; ignored unless idle. */
  void Begin(const std::string& reason);
  /** Disconnects and schedules the next attempt (`lost`); ignored while waiting, suspended or stopped. */
  void Fail(const std::string& reason);
  /**
   * Disconnects (`lost`, unless not yet begun) and waits without a timer for Resume: what the target runs in
   * is gone (a DeepStream stream while its shared pipeline is rebuilt). Ignored once stopped.
   */
  void Suspend(const std::string& reason);
  /** After Suspend (or before Begin): `connecting` and an attempt at once. */
  void Resume(const std::string& reason);
  /** Ends the attempt or the wait, disconnects and emits `stopped` once; idempotent. */
  void End();
  Phase phase() const { return phase_; }
  /** The current attempt's connect timeout counts from now (a slow start just ended). */
  void RestartAttemptClock();

  /** Any thread, per frame: feeds the stall watchdog; the first one of an attempt means playing. */
  void NoteFrame();
  uint64_t reconnects() const { return reconnects_.load(); }

 private:
  void Connect();
  void Disconnect();
  bool Watchdog();
  void OnFirstFrame(uint64_t generation);
  void StartProbing();
  void StopProbing();
  void Probe();
  void OnProbeResult(bool reachable);
  static void ProbeDone(GObject* client, GAsyncResult* result, gpointer call);
  void Emit(PipelineState state, const std::string& reason) { on_state_({state, reason}); }

  MainLoopThread& loop_;
  Target& target_;
  const Settings settings_;
  const std::function<void(const StateEvent&)> on_state_;

  // Loop-thread state.
  Phase phase_ = Phase::kIdle;
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
  std::atomic<uint64_t> generation_{0};  // bumped by every disconnect: stale first-frame notes are ignored
  std::atomic<bool> got_frame_{false};
  std::atomic<int64_t> last_frame_us_{0};
  std::atomic<uint64_t> reconnects_{0};
  // Cleared by the destructor (on the loop thread): a first-frame note posted earlier must not reach a freed object.
  const std::shared_ptr<std::atomic<bool>> alive_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace owl
