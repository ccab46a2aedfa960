// SPDX-License-Identifier: Apache-2.0
// JS class RtspServer (NativeRtspServer in ts/native.ts): one in-process RTSP server that pipelines mount
// their outputs on. Stops with the JS environment if not stopped before.
#pragma once

#include <napi.h>

#include <memory>
#include <string>

#include "common/env_cleanup.h"
#include "gstreamer/rtsp_server.h"

namespace owl {

class RtspServerWrap : public Napi::ObjectWrap<RtspServerWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  /** The server behind a JS RtspServer; throws TypeError "Expected an RtspServer for <what> ..." otherwise. */
  static std::shared_ptr<RtspServer> FromValue(const Napi::Value& value, const std::string& what);

  /** new RtspServer({host, port, auth: {user, password} | null}) */
  explicit RtspServerWrap(const Napi::CallbackInfo& info);

 private:
  /** [sync] Binds; throws Error with code EADDRINUSE / EACCES / EADDRNOTAVAIL naming host:port. */
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Port(const Napi::CallbackInfo& info);
  /**
   * [sync] hold(mount, {preset, bitrateKbps, width, height}): serves black at `mount` until a pipeline started
   * with that mount takes it over (its clients then see that pipeline's video); returns the intervideo channel the
   * held media reads. Throws EMOUNTINUSE, EINVAL (preset).
   */
  Napi::Value Hold(const Napi::CallbackInfo& info);
  /** [sync] release(mount): ends a hold no pipeline took over; no-op otherwise. */
  Napi::Value Release(const Napi::CallbackInfo& info);
  /** [sync] Disconnects every client and joins the server thread; idempotent. */
  Napi::Value Stop(const Napi::CallbackInfo& info);

  std::shared_ptr<RtspServer> server_;
  std::unique_ptr<EnvCleanup> cleanup_;
};

}  // namespace owl
