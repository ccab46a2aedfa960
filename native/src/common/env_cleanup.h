// SPDX-License-Identifier: Apache-2.0
// Runs a callback when the JS environment shuts down (process exit, worker exit) unless destroyed first:
// how native resources with threads (pipelines, RTSP servers) stop and join before Node tears down.
// Hooks run in reverse order of registration, so register after the resources the callback still uses
// (e.g. thread-safe functions), and they are still valid when it runs.
#pragma once

#include <node_api.h>

#include <functional>
#include <utility>

namespace owl {

class EnvCleanup {
 public:
  EnvCleanup(napi_env env, std::function<void()> fn) : env_(env), fn_(std::move(fn)) {
    napi_add_env_cleanup_hook(env_, &EnvCleanup::Run, this);
  }
  ~EnvCleanup() {
    if (!ran_) napi_remove_env_cleanup_hook(env_, &EnvCleanup::Run, this);
  }
  EnvCleanup(const EnvCleanup&) = delete;
  EnvCleanup& operator=(const EnvCleanup&) = delete;

 private:
  static void Run(void* self) {
    auto* cleanup = static_cast<EnvCleanup*>(self);
    cleanup->ran_ = true;
    cleanup->fn_();
  }

  napi_env env_;
  std::function<void()> fn_;
  bool ran_ = false;
};

}  // namespace owl
