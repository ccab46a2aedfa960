// SPDX-License-Identifier: Apache-2.0
#include "common/retry_machine.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <utility>

namespace owl {
namespace {

constexpr unsigned kWatchdogIntervalMs = 100;
// How often a waiting machine checks whether its camera answers again, and how long one connect may take.
constexpr unsigned kProbeIntervalMs = 1000;
constexpr unsigned kProbeTimeoutS = 1;

int64_t NowUs() { return g_get_monotonic_time(); }

}  // namespace

// One probe connect in flight; owned by its callback. `alive` as for first-frame notes.
struct RetryMachineProbeCall {
  RetryMachine* machine;
  uint64_t round;
  std::shared_ptr<std::atomic<bool>> alive;
};

int64_t BackoffDelayMs(const ReconnectOptions& options, int failures) {
  int64_t delay = std::max(1, options.initial_delay_ms);
  for (int i = 0; i < failures && delay < options.max_delay_ms; ++i) delay *= 2;
  return std::min<int64_t>(delay, std::max(1, options.max_delay_ms));
}

RetryMachine::RetryMachine(MainLoopThread& loop, Target& target, Settings settings,
                           std::function<void(const StateEvent&)> on_state)
    : loop_(loop), target_(target), settings_(std::move(settings)), on_state_(std::move(on_state)) {}

RetryMachine::~RetryMachine() {
  alive_->store(false);
  if (probe_cancellable_ != nullptr) {
    g_cancellable_cancel(probe_cancellable_);
    g_object_unref(probe_cancellable_);
  }
  if (probe_client_ != nullptr) g_object_unref(probe_client_);
}

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
  StopProbing();
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
  if (delay > kProbeIntervalMs) StartProbing();
}

// --- return probe (loop thread) ------------------------------------------------------------------

void RetryMachine::StartProbing() {
  if (settings_.reconnect.probe_address.empty()) return;
  probe_saw_down_ = false;
  probe_timer_ = loop_.AddTimeout(kProbeIntervalMs, [this] {
    Probe();
    return true;
  });
}

void RetryMachine::StopProbing() {
  probe_timer_.Reset();
  ++probe_round_;
  if (probe_cancellable_ != nullptr) {
    g_cancellable_cancel(probe_cancellable_);
    g_object_unref(probe_cancellable_);
    probe_cancellable_ = nullptr;
  }
}

void RetryMachine::Probe() {
  if (probe_cancellable_ != nullptr) return;  // the previous connect has not finished
  if (probe_client_ == nullptr) {
    probe_client_ = g_socket_client_new();
    g_socket_client_set_timeout(probe_client_, kProbeTimeoutS);
  }
  probe_cancellable_ = g_cancellable_new();
  g_socket_client_connect_to_host_async(probe_client_, settings_.reconnect.probe_address.c_str(), 0,
                                        probe_cancellable_, &RetryMachine::ProbeDone,
                                        new RetryMachineProbeCall{this, probe_round_, alive_});
}

void RetryMachine::ProbeDone(GObject* client, GAsyncResult* result, gpointer data) {
  std::unique_ptr<RetryMachineProbeCall> call(static_cast<RetryMachineProbeCall*>(data));
  GError* error = nullptr;
  GSocketConnection* connection =
      g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(client), result, &error);
  // Cancelled: StopProbing ran (the machine may be ending or gone); touch nothing of it.
  const bool cancelled = error != nullptr && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  const bool reachable = connection != nullptr;
  if (connection != nullptr) {
    g_io_stream_close(G_IO_STREAM(connection), nullptr, nullptr);
    g_object_unref(connection);
  }
  g_clear_error(&error);
  if (cancelled || !call->alive->load() || call->round != call->machine->probe_round_) return;
  g_clear_object(&call->machine->probe_cancellable_);
  call->machine->OnProbeResult(reachable);
}

void RetryMachine::OnProbeResult(bool reachable) {
  if (phase_ != Phase::kRetryWait) return;
  if (!reachable) {
    probe_saw_down_ = true;
    return;
  }
  if (!probe_saw_down_) return;  // it answered all along: the failure was not about reaching it
  retry_timer_.Reset();
  Emit(PipelineState::kConnecting, settings_.reconnect.probe_address + " answers again: retrying now (attempt " +
                                       std::to_string(failures_ + 1) + ")");
  Connect();
}

void RetryMachine::Suspend(const std::string& reason) {
  if (phase_ == Phase::kStopped || phase_ == Phase::kSuspended) return;
  const bool begun = phase_ != Phase::kIdle;
  retry_timer_.Reset();
  StopProbing();
  if (begun) Disconnect();
  phase_ = Phase::kSuspended;
  if (begun) Emit(PipelineState::kLost, reason);
}

void RetryMachine::End() {
  if (phase_ == Phase::kStopped) return;
  retry_timer_.Reset();
  StopProbing();
  watchdog_.Reset();
  Disconnect();
  phase_ = Phase::kStopped;
  Emit(PipelineState::kStopped, "stopped");
}

}  // namespace owl
