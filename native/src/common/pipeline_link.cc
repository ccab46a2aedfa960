// SPDX-License-Identifier: Apache-2.0
#include "common/pipeline_link.h"

#include "common/js_error.h"

namespace owl {

namespace {

Napi::Object StateToJs(Napi::Env env, const StateEvent& state) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("type", "state");
  object.Set("state", StateName(state.state));
  object.Set("reason", state.reason);
  return object;
}

}  // namespace

std::optional<StateEvent> EventLedger::Delivered(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!pending_ || seq < pending_after_) return std::nullopt;
  std::optional<StateEvent> due = std::move(pending_);
  pending_.reset();
  return due;
}

uint64_t EventLedger::dropped() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_;
}

void DeliverEvent(Napi::Env env, Napi::Function on_event, std::shared_ptr<EventLedger>* ledger, PipelineEvent* event) {
  std::unique_ptr<PipelineEvent> owned(event);
  if (env == nullptr || on_event.IsEmpty()) return;  // the environment is shutting down
  Napi::Object object;
  if (owned->is_error) {
    object = ToJsErrorObject(env, owned->error);
    object.Set("type", "error");
  } else {
    object = StateToJs(env, owned->state);
  }
  on_event.Call({object});
  if (const std::optional<StateEvent> due = (*ledger)->Delivered(owned->seq)) on_event.Call({StateToJs(env, *due)});
}

Napi::Object StatsToJs(Napi::Env env, const PipelineStats& stats, uint64_t events_dropped) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("framesIn", static_cast<double>(stats.frames_in));
  object.Set("framesOut", static_cast<double>(stats.frames_out));
  object.Set("framesToModel", static_cast<double>(stats.frames_to_model));
  object.Set("framesDropped", static_cast<double>(stats.frames_dropped));
  object.Set("reconnects", static_cast<double>(stats.reconnects));
  object.Set("eventsDropped", static_cast<double>(events_dropped));
  return object;
}

}  // namespace owl
