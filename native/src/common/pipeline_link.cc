// SPDX-License-Identifier: Apache-2.0
#include "common/pipeline_link.h"

#include "common/js_error.h"

namespace owl {

void DeliverEvent(Napi::Env env, Napi::Function on_event, std::nullptr_t*, PipelineEvent* event) {
  std::unique_ptr<PipelineEvent> owned(event);
  if (env == nullptr || on_event.IsEmpty()) return;  // the environment is shutting down
  Napi::Object object;
  if (owned->is_error) {
    object = ToJsErrorObject(env, owned->error);
    object.Set("type", "error");
  } else {
    object = Napi::Object::New(env);
    object.Set("type", "state");
    object.Set("state", StateName(owned->state.state));
    object.Set("reason", owned->state.reason);
  }
  on_event.Call({object});
}

Napi::Object StatsToJs(Napi::Env env, const PipelineStats& stats) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("framesIn", static_cast<double>(stats.frames_in));
  object.Set("framesOut", static_cast<double>(stats.frames_out));
  object.Set("framesToModel", static_cast<double>(stats.frames_to_model));
  object.Set("framesDropped", static_cast<double>(stats.frames_dropped));
  object.Set("reconnects", static_cast<double>(stats.reconnects));
  return object;
}

}  // namespace owl
