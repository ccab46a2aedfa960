// SPDX-License-Identifier: Apache-2.0
#include "common/reconnect_loop.h"

#include <utility>

#include "common/coded_error.h"

namespace owl {

ReconnectLoop::ReconnectLoop(MainLoopThread& loop, Engine& engine, Settings settings,
                             std::function<void(const StateEvent&)> on_state)
    : loop_(loop),
      engine_(engine),
      slow_start_(settings.slow_start),
      machine_(loop, *this,
               {settings.reconnect, settings.connect_timeout_stalls * settings.reconnect.stall_timeout_ms,
                settings.watch_stalls},
               std::move(on_state)) {}

void ReconnectLoop::Start(const std::string& already_started, const std::function<void()>& prepare,
                          const std::string& connecting_reason) {
  std::lock_guard<std::mutex> lock(lifecycle_mutex_);
  if (lifecycle_ != Lifecycle::kNew) throw CodedError(already_started, codes::kEstate);
  prepare();
  lifecycle_ = Lifecycle::kStarted;
  loop_.Start();
  if (slow_start_) {
    // Posted, not invoked: JS (the REST API among it) must not wait for a model to load.
    loop_.Post([this, connecting_reason] { machine_.Begin(connecting_reason); });
  } else {
    loop_.Invoke([this, &connecting_reason] { machine_.Begin(connecting_reason); });
  }
}

bool ReconnectLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(lifecycle_mutex_);
    const bool started = lifecycle_ == Lifecycle::kStarted;
    lifecycle_ = Lifecycle::kStopped;
    if (!started) return false;
  }
  // A queued slow start that Stop overtook ends here too: End() moves an idle machine to stopped.
  loop_.Invoke([this] { machine_.End(); });
  loop_.Stop();
  return true;
}

// --- loop thread -------------------------------------------------------------------------------

void ReconnectLoop::Connect() {
  pipeline_ = engine_.BuildPipeline();
  GstBus* bus = gst_element_get_bus(pipeline_);
  GSource* watch = gst_bus_create_watch(bus);
  g_source_set_callback(watch, reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(&ReconnectLoop::BusCallback)),
                        this, nullptr);
  bus_watch_ = loop_.Attach(watch);
  const GstStateChangeReturn started = gst_element_set_state(pipeline_, GST_STATE_PLAYING);
  if (slow_start_) machine_.RestartAttemptClock();
  if (started == GST_STATE_CHANGE_FAILURE) {
    if (GstMessage* error = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
      engine_.OnBusMessage(error);  // the engine words the error and fails
      gst_message_unref(error);
    } else {
      machine_.Fail(engine_.StartFailedReason());
    }
  }
  gst_object_unref(bus);
}

gboolean ReconnectLoop::BusCallback(GstBus*, GstMessage* message, gpointer self) {
  static_cast<ReconnectLoop*>(self)->engine_.OnBusMessage(message);
  return G_SOURCE_CONTINUE;
}

void ReconnectLoop::Disconnect() {
  bus_watch_.Reset();
  if (pipeline_ != nullptr) {
    // Joins the pipeline's streaming threads: no probe or appsink callback of it runs after this.
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(pipeline_);
    pipeline_ = nullptr;
    engine_.OnTeardown();
  }
}

}  // namespace owl
