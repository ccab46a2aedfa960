// SPDX-License-Identifier: Apache-2.0
#include "common/retry_machine.h"

#include <algorithm>
#include <exception>
#include <utility>

namespace owl {
namespace {

constexpr unsigned kWatchdogIntervalMs = 100;

int64_t NowUs() { return g_get_monotonic_time(); }

}  // namespace

int64_t BackoffDelayMs(const ReconnectOptions& options, int failures) {
  int64_t delay = std::max(1, options.initial_delay_ms);
  for (int i = 0; i < failures && delay < options.max_delay_ms; ++i) delay *= 2;
  return std::min<int64_t>(delay, std::max(1, options.max_delay_ms));
}

RetryMachine::RetryMachine(MainLoopThread& loop, Target& target, Settings settings,
                           std::function<void(const StateEvent&)> on_state)
    : loop_(loop), target_(target), settings_(std::move(settings)), on_state_(std::move(on_state)) {}

void RetryMachine::NoteFrame() {
  last_frame_us_.store(NowUs());
  if (!got_frame_.exchange(true)) {
    const uint64_t generation = generation_.load();
    loop_.Post([this, alive = alive_, generation] {
      if (alive->load()) OnFirstFrame(generation);
    });
  }
}

// --- loop thread -------------------------------------------------------------------------------

void RetryMachine::Begin(const std::string& reason) {
  if (phase_ != Phase::kIdle) return;
  watchdog_ = loop_.AddTimeout(kWatchdogIntervalMs, [this] { return Watchdog(); });
  Emit(PipelineState::kConnecting, reason);
  Connect();
}

void RetryMachine::Resume(const std::string& reason) {
  if (phase_ != Phase::kSuspended && phase_ != Phase::kIdle) return;
  if (!watchdog_) watchdog_ = loop_.AddTimeout(kWatchdogIntervalMs, [this] { return Watchdog(); });
  Emit(PipelineState::kConnecting, reason);
  Connect();
}

void RetryMachine::Connect() {
  phase_ = Phase::kConnecting;
  attempt_started_us_ = NowUs();
  got_frame_.store(false);
  try {
    target_.Connect();
  } catch (const std::exception& e) {
    Fail(target_.BuildFailedReason(e.what()));
  }
}

void RetryMachine::RestartAttemptClock() { attempt_started_us_ = NowUs(); }

void RetryMachine::Disconnect() {
  target_.Disconnect();
  generation_.fetch_add(1);
}

void RetryMachine::OnFirstFrame(uint64_t generation) {
  if (generation != generation_.load() || phase_ != Phase::kConnecting) return;
  phase_ = Phase::kPlaying;
  failures_ = 0;
  const std::string reason = "first frame after " + std::to_string((NowUs() - attempt_started_us_) / 1000) + " ms";
  if (ever_played_) {
    reconnects_.fetch_add(1);
    Emit(PipelineState::kReconnected, reason);
  } else {
    Emit(PipelineState::kPlaying, reason);
  }
  ever_played_ = true;
}

bool RetryMachine::Watchdog() {
  const int64_t now = NowUs();
  const int stall_ms = settings_.reconnect.stall_timeout_ms;
  if (phase_ == Phase::kConnecting && now - attempt_started_us_ > int64_t{settings_.connect_timeout_ms} * 1000) {
    Fail(target_.ConnectTimeoutReason(settings_.connect_timeout_ms));
  } else if (settings_.watch_stalls && phase_ == Phase::kPlaying &&
             now - last_frame_us_.load() > int64_t{stall_ms} * 1000) {
    Fail("no frame for " + std::to_string(stall_ms) + " ms (stalled)");
  }
  return true;
}

void RetryMachine::Fail(const std::string& reason) {
  if (phase_ != Phase::kConnecting && phase_ != Phase::kPlaying) return;
  Disconnect();
  phase_ = Phase::kRetryWait;
  const int64_t delay = BackoffDelayMs(settings_.reconnect, failures_);
  ++failures_;  // reset by the next first frame
  Emit(PipelineState::kLost, reason);
  retry_timer_ = loop_.AddTimeout(static_cast<unsigned>(delay), [this, delay] {
    Emit(PipelineState::kConnecting, target_.RetryReason(delay, failures_ + 1));
    Connect();
    return false;
  });
}

void RetryMachine::Suspend(const std::string& reason) {
  if (phase_ == Phase::kStopped || phase_ == Phase::kSuspended) return;
  const bool begun = phase_ != Phase::kIdle;
  retry_timer_.Reset();
  if (begun) Disconnect();
  phase_ = Phase::kSuspended;
  if (begun) Emit(PipelineState::kLost, reason);
}

void RetryMachine::End() {
  if (phase_ == Phase::kStopped) return;
  retry_timer_.Reset();
  watchdog_.Reset();
  Disconnect();
  phase_ = Phase::kStopped;
  Emit(PipelineState::kStopped, "stopped");
}

}  // namespace owl
