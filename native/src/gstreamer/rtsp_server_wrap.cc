// SPDX-License-Identifier: Apache-2.0
#include "gstreamer/rtsp_server_wrap.h"

#include <atomic>

#include "common/attr.h"
#include "common/js_error.h"
#include "portable/output_launch.h"

namespace owl {
namespace {

// Marks JS objects made by this class, so FromValue never unwraps a stranger.
constexpr napi_type_tag kRtspServerTag = {0x6f776c2d72747370ULL, 0x2d7365727665720aULL};

// `auth` is optional (absent or null: no authentication).
RtspCredentials ReadCredentials(const Napi::Object& options) {
  if (options.Get("auth").IsUndefined()) return {};
  const Napi::Object auth = AttrAsObjectOrNull(options, "auth", "");
  if (auth.IsEmpty()) return {};
  RtspCredentials credentials{AttrAsString(auth, "user", "auth"), AttrAsString(auth, "password", "auth")};
  if (credentials.user.empty() || credentials.password.empty() || credentials.user.find(':') != std::string::npos) {
    throw Napi::TypeError::New(options.Env(), "Expected a user without ':' and a password for auth");
  }
  return credentials;
}

std::string NextHeldChannel() {
  static std::atomic<unsigned> counter{0};
  return "owl-held-" + std::to_string(counter.fetch_add(1));
}

}  // namespace

void RtspServerWrap::Init(Napi::Env env, Napi::Object exports) {
  exports.Set("RtspServer", DefineClass(env, "RtspServer",
                                        {InstanceMethod<&RtspServerWrap::Start>("start"),
                                         InstanceMethod<&RtspServerWrap::Port>("port"),
                                         InstanceMethod<&RtspServerWrap::Hold>("hold"),
                                         InstanceMethod<&RtspServerWrap::Release>("release"),
                                         InstanceMethod<&RtspServerWrap::Stop>("stop")}));
}

std::shared_ptr<RtspServer> RtspServerWrap::FromValue(const Napi::Value& value, const std::string& what) {
  if (!value.IsObject() || !value.As<Napi::Object>().CheckTypeTag(&kRtspServerTag)) {
    throw Napi::TypeError::New(value.Env(), "Expected an RtspServer for " + what);
  }
  return Unwrap(value.As<Napi::Object>())->server_;
}

RtspServerWrap::RtspServerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RtspServerWrap>(info) {
  Guarded(info.Env(), [&] {
    if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "Expected an options object {host, port}");
    Napi::Object options = info[0].As<Napi::Object>();
    const int port = AttrAsInt32(options, "port", "");
    if (port < 0 || port > 65535) throw Napi::RangeError::New(info.Env(), "Expected 0-65535 for port");
    server_ = std::make_shared<RtspServer>(AttrAsString(options, "host", ""), port, ReadCredentials(options));
    info.This().As<Napi::Object>().TypeTag(&kRtspServerTag);
  });
}

Napi::Value RtspServerWrap::Start(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    server_->Start();
    std::shared_ptr<RtspServer> server = server_;
    cleanup_ = std::make_unique<EnvCleanup>(info.Env(), [server] { server->Stop(); });
    return info.Env().Undefined();
  });
}

Napi::Value RtspServerWrap::Port(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), server_->port());
}

Napi::Value RtspServerWrap::Hold(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    if (!info[0].IsString() || !info[1].IsObject()) {
      throw Napi::TypeError::New(info.Env(), "Expected (mount, {preset, bitrateKbps, width, height})");
    }
    const std::string mount = info[0].As<Napi::String>().Utf8Value();
    const Napi::Object encoder = info[1].As<Napi::Object>();
    OutputOptions output;
    output.enabled = true;
    output.mount = mount;
    output.preset = AttrAsString(encoder, "preset", "encoder");
    output.bitrate_kbps = AttrAsInt32(encoder, "bitrateKbps", "encoder");
    output.width = AttrAsInt32(encoder, "width", "encoder");
    output.height = AttrAsInt32(encoder, "height", "encoder");
    CheckEncoderOptions(output);
    const std::string channel = NextHeldChannel();
    server_->Hold(mount, channel, OutputLaunch(channel, DefaultOutputFormat(output), output));
    return Napi::String::New(info.Env(), channel);
  });
}

Napi::Value RtspServerWrap::Release(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "Expected a mount path");
    server_->Release(info[0].As<Napi::String>().Utf8Value());
    return info.Env().Undefined();
  });
}

Napi::Value RtspServerWrap::Stop(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    server_->Stop();
    cleanup_.reset();
    return info.Env().Undefined();
  });
}

}  // namespace owl
