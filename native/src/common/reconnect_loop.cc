// SPDX-License-Identifier: Apache-2.0
#include "common/reconnect_loop.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "common/coded_error.h"

namespace owl {
namespace {

constexpr unsigned kWatchdogIntervalMs = 100;
// How often a waiting loop checks whether its camera answers again, and how long one connect may take.
constexpr unsigned kProbeIntervalMs = 1000;
constexpr unsigned kProbeTimeoutS = 1;

int64_t NowUs() { return g_get_monotonic_time(); }

// One probe connect in flight; owned by its callback.
struct ProbeCall {
  ReconnectLoop* loop;
  uint64_t round;
};

}  // namespace

int64_t BackoffDelayMs(const ReconnectOptions& options, int failures) {
  int64_t delay = std::max(1, options.initial_delay_ms);
  for (int i = 0; i < failures && delay < options.max_delay_ms; ++i) delay *= 2;
  return std::min<int64_t>(delay, std::max(1, options.max_delay_ms));
}

ReconnectLoop::ReconnectLoop(MainLoopThread& loop, Engine& engine, Settings settings,
                             std::function<void(const StateEvent&)> on_state)
    : loop_(loop), engine_(engine), settings_(std::move(settings)), on_state_(std::move(on_state)) {}

ReconnectLoop::~ReconnectLoop() {
  if (probe_cancellable_ != nullptr) g_object_unref(probe_cancellable_);
  if (probe_client_ != nullptr) g_object_unref(probe_client_);
}

void ReconnectLoop::Start(const std::string& already_started, const std::function<void()>& prepare,
                          const std::string& connecting_reason) {
  std::lock_guard<std::mutex> lock(lifecycle_mutex_);
  if (lifecycle_ != Lifecycle::kNew) throw CodedError(already_started, "ESTATE");
  prepare();
  lifecycle_ = Lifecycle::kStarted;
  loop_.Start();
  if (settings_.slow_start) {
    // Posted, not invoked: JS (the REST API among it) must not wait for a model to load.
    loop_.Post([this, connecting_reason] { Begin(connecting_reason); });
  } else {
    loop_.Invoke([this, &connecting_reason] { Begin(connecting_reason); });
  }
}

bool ReconnectLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(lifecycle_mutex_);
    const bool started = lifecycle_ == Lifecycle::kStarted;
    lifecycle_ = Lifecycle::kStopped;
    if (!started) return false;
  }
  loop_.Invoke([this] {
    retry_timer_.Reset();
    StopProbing();
    watchdog_.Reset();
    Teardown();
    phase_ = Phase::kStopped;
    Emit(PipelineState::kStopped, "stopped");
  });
  loop_.Stop();
  return true;
}

void ReconnectLoop::NoteFrame() {
  last_frame_us_.store(NowUs());
  if (!got_frame_.exchange(true)) {
    const uint64_t generation = generation_.load();
    loop_.Post([this, generation] { OnFirstFrame(generation); });
  }
}

// --- loop thread -------------------------------------------------------------------------------

void ReconnectLoop::Begin(const std::string& connecting_reason) {
  if (phase_ == Phase::kStopped) return;  // a queued start that Stop() overtook
  watchdog_ = loop_.AddTimeout(kWatchdogIntervalMs, [this] { return Watchdog(); });
  Emit(PipelineState::kConnecting, connecting_reason);
  Connect();
}

void ReconnectLoop::Connect() {
  StopProbing();
  phase_ = Phase::kConnecting;
  attempt_started_us_ = NowUs();
  got_frame_.store(false);
  try {
    pipeline_ = engine_.BuildPipeline();
  } catch (const std::exception& e) {
    Fail(engine_.BuildFailedReason(e.what()));
    return;
  }
  GstBus* bus = gst_element_get_bus(pipeline_);
  GSource* watch = gst_bus_create_watch(bus);
  g_source_set_callback(watch, reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(&ReconnectLoop::BusCallback)),
                        this, nullptr);
  bus_watch_ = loop_.Attach(watch);
  const GstStateChangeReturn started = gst_element_set_state(pipeline_, GST_STATE_PLAYING);
  if (settings_.slow_start) attempt_started_us_ = NowUs();
  if (started == GST_STATE_CHANGE_FAILURE) {
    if (GstMessage* error = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
      engine_.OnBusMessage(error);  // the engine words the error and fails
      gst_message_unref(error);
    } else {
      Fail(engine_.StartFailedReason());
    }
  }
  gst_object_unref(bus);
}

gboolean ReconnectLoop::BusCallback(GstBus*, GstMessage* message, gpointer self) {
  static_cast<ReconnectLoop*>(self)->engine_.OnBusMessage(message);
  return G_SOURCE_CONTINUE;
}

void ReconnectLoop::OnFirstFrame(uint64_t generation) {
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

bool ReconnectLoop::Watchdog() {
  const int64_t now = NowUs();
  const int stall_ms = settings_.reconnect.stall_timeout_ms;
  const int64_t stall_us = static_cast<int64_t>(stall_ms) * 1000;
  if (phase_ == Phase::kConnecting && now - attempt_started_us_ > settings_.connect_timeout_stalls * stall_us) {
    Fail(engine_.ConnectTimeoutReason(settings_.connect_timeout_stalls * stall_ms));
  } else if (phase_ == Phase::kPlaying && now - last_frame_us_.load() > stall_us) {
    Fail("no frame for " + std::to_string(stall_ms) + " ms (stalled)");
  }
  return true;
}

void ReconnectLoop::Fail(const std::string& reason) {
  if (phase_ == Phase::kRetryWait || phase_ == Phase::kStopped) return;
  Teardown();
  phase_ = Phase::kRetryWait;
  const int64_t delay = BackoffDelayMs(settings_.reconnect, failures_);
  ++failures_;  // reset by the next first frame
  Emit(PipelineState::kLost, reason);
  retry_timer_ = loop_.AddTimeout(static_cast<unsigned>(delay), [this, delay] {
    Emit(PipelineState::kConnecting, engine_.RetryReason(delay, failures_ + 1));
    Connect();
    return false;
  });
  if (delay > kProbeIntervalMs) StartProbing();
}

// --- return probe (loop thread) ------------------------------------------------------------------

void ReconnectLoop::StartProbing() {
  if (settings_.reconnect.probe_address.empty()) return;
  probe_saw_down_ = false;
  probe_timer_ = loop_.AddTimeout(kProbeIntervalMs, [this] {
    Probe();
    return true;
  });
}

void ReconnectLoop::StopProbing() {
  probe_timer_.Reset();
  ++probe_round_;
  if (probe_cancellable_ != nullptr) {
    g_cancellable_cancel(probe_cancellable_);
    g_object_unref(probe_cancellable_);
    probe_cancellable_ = nullptr;
  }
}

void ReconnectLoop::Probe() {
  if (probe_cancellable_ != nullptr) return;  // the previous connect has not finished
  if (probe_client_ == nullptr) {
    probe_client_ = g_socket_client_new();
    g_socket_client_set_timeout(probe_client_, kProbeTimeoutS);
  }
  probe_cancellable_ = g_cancellable_new();
  g_socket_client_connect_to_host_async(probe_client_, settings_.reconnect.probe_address.c_str(), 0,
                                        probe_cancellable_, &ReconnectLoop::ProbeDone,
                                        new ProbeCall{this, probe_round_});
}

void ReconnectLoop::ProbeDone(GObject* client, GAsyncResult* result, gpointer data) {
  std::unique_ptr<ProbeCall> call(static_cast<ProbeCall*>(data));
  GError* error = nullptr;
  GSocketConnection* connection =
      g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(client), result, &error);
  // Cancelled: StopProbing ran (the loop may be stopping); touch nothing of it.
  const bool cancelled = error != nullptr && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  if (connection != nullptr) {
    g_io_stream_close(G_IO_STREAM(connection), nullptr, nullptr);
    g_object_unref(connection);
  }
  g_clear_error(&error);
  if (cancelled || call->round != call->loop->probe_round_) return;
  g_clear_object(&call->loop->probe_cancellable_);
  call->loop->OnProbeResult(connection != nullptr);
}

void ReconnectLoop::OnProbeResult(bool reachable) {
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

void ReconnectLoop::Teardown() {
  bus_watch_.Reset();
  if (pipeline_ != nullptr) {
    // Joins the pipeline's streaming threads: no probe or appsink callback of it runs after this.
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(pipeline_);
    pipeline_ = nullptr;
  }
  engine_.OnTeardown();
  generation_.fetch_add(1);
}

}  // namespace owl
