// SPDX-License-Identifier: Apache-2.0
#include "gstreamer/log_bridge_binding.h"

#include <string>

#include "common/attr.h"
#include "common/env_cleanup.h"
#include "common/js_error.h"
#include "gstreamer/log_bridge.h"

namespace owl {
namespace {

void DeliverRecords(Napi::Env env, Napi::Function on_records, std::nullptr_t*, std::nullptr_t*) {
  if (env == nullptr || on_records.IsEmpty()) return;  // the environment is shutting down
  const LogBatch batch = LogBridge::Instance().Drain();
  if (batch.records.empty() && batch.dropped == 0) return;
  Napi::Array records = Napi::Array::New(env, batch.records.size());
  for (uint32_t i = 0; i < batch.records.size(); ++i) {
    const LogRecord& record = batch.records[i];
    Napi::Object object = Napi::Object::New(env);
    object.Set("level", LogLevelName(record.level));
    object.Set("domain", record.domain);
    object.Set("message", record.message);
    records.Set(i, object);
  }
  on_records.Call({records, Napi::Number::New(env, static_cast<double>(batch.dropped))});
}

using RecordsReady = Napi::TypedThreadSafeFunction<std::nullptr_t, std::nullptr_t, DeliverRecords>;

// The hook that undoes the installation with its environment (JS thread only; made once per process).
EnvCleanup* g_cleanup = nullptr;

LogLevel LevelArg(const Napi::Value& value) {
  const std::string name = value.IsString() ? value.As<Napi::String>().Utf8Value() : "";
  for (LogLevel level : {LogLevel::kError, LogLevel::kWarning, LogLevel::kInfo, LogLevel::kDebug}) {
    if (name == LogLevelName(level)) return level;
  }
  ThrowExpected(value, "'error', 'warning', 'info' or 'debug'", "level");
}

Napi::Value JsInstall(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    const Napi::Env env = info.Env();
    if (!info[0].IsFunction()) ThrowExpected(info[0], "a function", "onRecords");
    const LogLevel level = LevelArg(info[1]);
    RecordsReady ready = RecordsReady::New(env, info[0].As<Napi::Function>(), "owl-log-bridge", 4, 1);
    ready.Unref(env);  // a quiet GStreamer must not keep the process alive
    try {
      // A full queue means a drain is already on its way: nothing is lost by a failed call.
      LogBridge::Instance().Install(level, [ready]() mutable { ready.NonBlockingCall(nullptr); });
    } catch (...) {
      ready.Release();
      throw;
    }
    // Uninstall returns once no handler can call `ready` any more; then it may go.
    g_cleanup = new EnvCleanup(env, [ready]() mutable {
      LogBridge::Instance().Uninstall();
      ready.Release();
    });
    return env.Undefined();
  });
}

Napi::Value JsSetLevel(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    LogBridge::Instance().SetThreshold(LevelArg(info[0]));
    return info.Env().Undefined();
  });
}

}  // namespace

void InitLogBridgeBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("installLogBridge", Napi::Function::New(env, JsInstall, "installLogBridge"));
  exports.Set("setLogBridgeLevel", Napi::Function::New(env, JsSetLevel, "setLogBridgeLevel"));
}

}  // namespace owl
