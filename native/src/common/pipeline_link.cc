// SPDX-License-Identifier: Apache-2.0
#include "common/pipeline_link.h"

#include "common/js_error.h"

namespace owl {

namespace {

Napi::Object StateToJs(Napi::Env env, const StateEvent& state, const std::string& stream) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("type", "state");
  object.Set("state", StateName(state.state));
  object.Set("reason", state.reason);
  if (!stream.empty()) object.Set("stream", stream);
  return object;
}

}  // namespace

std::vector<DueState> EventLedger::Delivered(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<DueState> due;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (seq < it->second.after) {
      ++it;
      continue;
    }
    due.push_back({it->first, std::move(it->second.state)});
    it = pending_.erase(it);
  }
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
    if (!owned->stream.empty()) object.Set("stream", owned->stream);
  } else {
    object = StateToJs(env, owned->state, owned->stream);
  }
  on_event.Call({object});
  for (const DueState& due : (*ledger)->Delivered(owned->seq)) on_event.Call({StateToJs(env, due.state, due.stream)});
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
