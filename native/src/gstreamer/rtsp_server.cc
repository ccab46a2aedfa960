// SPDX-License-Identifier: Apache-2.0
#include "gstreamer/rtsp_server.h"

#include <gio/gio.h>

#include <utility>

#include "gstreamer/gst_support.h"

namespace owl {
namespace {

struct MountMatch {
  const char* path;
  bool found;
};

GstRTSPFilterResult MarkSessionOnMount(GstRTSPClient*, GstRTSPSession* session, gpointer data) {
  auto* match = static_cast<MountMatch*>(data);
  gint matched = 0;
  if (gst_rtsp_session_get_media(session, match->path, &matched) != nullptr) match->found = true;
  return GST_RTSP_FILTER_KEEP;
}

GstRTSPFilterResult CloseClientOnMount(GstRTSPServer*, GstRTSPClient* client, gpointer data) {
  MountMatch match{static_cast<const char*>(data), false};
  gst_rtsp_client_session_filter(client, MarkSessionOnMount, &match);
  return match.found ? GST_RTSP_FILTER_REMOVE : GST_RTSP_FILTER_KEEP;
}

GstRTSPFilterResult CloseClient(GstRTSPServer*, GstRTSPClient*, gpointer) { return GST_RTSP_FILTER_REMOVE; }

// Node's names for the bind failures people can act on.
std::string BindErrorCode(const GError* error) {
  if (error != nullptr && error->domain == G_IO_ERROR) {
    switch (error->code) {
      case G_IO_ERROR_ADDRESS_IN_USE: return "EADDRINUSE";
      case G_IO_ERROR_PERMISSION_DENIED: return "EACCES";
      default: break;
    }
  }
  return "EADDRNOTAVAIL";
}

std::string BindAdvice(const std::string& code) {
  if (code == "EADDRINUSE") return "stop the other server on that port or choose another port in the output URL";
  if (code == "EACCES") return "ports below 1024 need privileges: choose a port above 1023";
  return "check that the host is an address of this machine (0.0.0.0 for all)";
}

// The role every mount admits when credentials are set; unauthenticated requests have none (401).
constexpr const char* kViewerRole = "owl-viewer";

}  // namespace

RtspServer::RtspServer(std::string host, int port, RtspCredentials credentials)
    : host_(std::move(host)), requested_port_(port), credentials_(std::move(credentials)), loop_("owl-rtsp") {}

RtspServer::~RtspServer() { Stop(); }

std::string RtspServer::Describe() const {
  return "rtsp://" + host_ + ":" + std::to_string(bound_port_.load() != 0 ? bound_port_.load() : requested_port_);
}

int RtspServer::port() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return phase_ == Phase::kServing ? bound_port_.load() : 0;
}

void RtspServer::Start() {
  EnsureGstInit();
  std::lock_guard<std::mutex> ops(ops_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (phase_ != Phase::kNew) {
      throw CodedError("RTSP server " + Describe() + " was already started; create a new one", "ESTATE");
    }
  }
  loop_.Start();
  try {
    loop_.Invoke([this] {
      server_ = gst_rtsp_server_new();
      if (credentials_.enabled()) {
        GstRTSPAuth* auth = MakeAuth();
        gst_rtsp_server_set_auth(server_, auth);
        g_object_unref(auth);
      }
      gst_rtsp_server_set_address(server_, host_.c_str());
      gst_rtsp_server_set_service(server_, std::to_string(requested_port_).c_str());
      GError* error = nullptr;
      GSource* source = gst_rtsp_server_create_source(server_, nullptr, &error);
      if (source == nullptr) {
        std::string code = BindErrorCode(error);
        std::string reason = error ? error->message : "unknown error";
        g_clear_error(&error);
        g_clear_object(&server_);
        throw CodedError("Cannot serve RTSP on " + host_ + ":" + std::to_string(requested_port_) + " (" + reason +
                             "): " + BindAdvice(code),
                         code);
      }
      listen_source_ = loop_.Attach(source);
      std::lock_guard<std::mutex> lock(mutex_);
      bound_port_ = gst_rtsp_server_get_bound_port(server_);
      phase_ = Phase::kServing;
    });
  } catch (...) {
    loop_.Stop();
    std::lock_guard<std::mutex> lock(mutex_);
    phase_ = Phase::kStopped;
    throw;
  }
}

void RtspServer::Stop() {
  std::lock_guard<std::mutex> ops(ops_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (phase_ == Phase::kStopped) return;
    phase_ = Phase::kStopped;
    mounts_.clear();
    held_.clear();
  }
  loop_.Invoke([this] {
    listen_source_.Reset();
    if (server_ != nullptr) {
      gst_rtsp_server_client_filter(server_, CloseClient, nullptr);
      g_clear_object(&server_);
    }
  });
  loop_.Stop();
}

std::string RtspServer::Reserve(const std::string& path) {
  std::lock_guard<std::mutex> ops(ops_mutex_);
  std::lock_guard<std::mutex> lock(mutex_);
  if (phase_ != Phase::kServing) {
    throw CodedError("RTSP server " + Describe() + " is not serving: start it before mounting " + path, "ESTATE");
  }
  const auto held = held_.find(path);
  if (held != held_.end()) {
    std::string channel = held->second;
    held_.erase(held);
    return channel;
  }
  if (!mounts_.insert(path).second) {
    throw CodedError("RTSP mount " + Describe() + path + " is already in use: give each pipeline its own mount",
                     "EMOUNTINUSE");
  }
  return "";
}

void RtspServer::Hold(const std::string& path, const std::string& channel, const std::string& launch) {
  std::lock_guard<std::mutex> ops(ops_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (phase_ != Phase::kServing) {
      throw CodedError("RTSP server " + Describe() + " is not serving: start it before holding " + path, "ESTATE");
    }
    if (!mounts_.insert(path).second) {
      throw CodedError("RTSP mount " + Describe() + path + " is already in use: give each stream its own mount",
                       "EMOUNTINUSE");
    }
    held_[path] = channel;
  }
  loop_.Invoke([this, &path, &launch] { AddFactory(path, launch); });
}

void RtspServer::Release(const std::string& path) {
  std::lock_guard<std::mutex> ops(ops_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (phase_ != Phase::kServing || held_.erase(path) == 0) return;
    mounts_.erase(path);
  }
  loop_.Invoke([this, &path] { RemoveMount(path); });
}

void RtspServer::Publish(const std::string& path, const std::string& launch) {
  std::lock_guard<std::mutex> ops(ops_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (phase_ != Phase::kServing || mounts_.count(path) == 0) {
      throw CodedError("RTSP server " + Describe() + " stopped before " + path + " could be served", "ESTATE");
    }
  }
  loop_.Invoke([this, &path, &launch] { AddFactory(path, launch); });
}

void RtspServer::Unmount(const std::string& path) {
  std::lock_guard<std::mutex> ops(ops_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (phase_ != Phase::kServing || mounts_.erase(path) == 0) return;
    held_.erase(path);
  }
  loop_.Invoke([this, &path] { RemoveMount(path); });
}

// --- loop thread -------------------------------------------------------------------------------

void RtspServer::AddFactory(const std::string& path, const std::string& launch) {
  GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
  gst_rtsp_media_factory_set_launch(factory, launch.c_str());
  gst_rtsp_media_factory_set_shared(factory, TRUE);
  if (credentials_.enabled()) {
    gst_rtsp_media_factory_add_role(factory, kViewerRole, GST_RTSP_PERM_MEDIA_FACTORY_ACCESS, G_TYPE_BOOLEAN, TRUE,
                                    GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, G_TYPE_BOOLEAN, TRUE, nullptr);
  }
  GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server_);
  gst_rtsp_mount_points_add_factory(mounts, path.c_str(), factory);
  g_object_unref(mounts);
}

void RtspServer::RemoveMount(const std::string& path) {
  GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server_);
  gst_rtsp_mount_points_remove_factory(mounts, path.c_str());
  g_object_unref(mounts);
  gst_rtsp_server_client_filter(server_, CloseClientOnMount, const_cast<char*>(path.c_str()));
}

// Basic and digest: clients pick what they support (digest keeps the password off the wire). Requests without
// valid credentials get no role, hence 401 on every mount.
GstRTSPAuth* RtspServer::MakeAuth() const {
  GstRTSPAuth* auth = gst_rtsp_auth_new();
  GstRTSPToken* token = gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, kViewerRole, nullptr);
  gchar* basic = gst_rtsp_auth_make_basic(credentials_.user.c_str(), credentials_.password.c_str());
  gst_rtsp_auth_add_basic(auth, basic, token);
  g_free(basic);
  gst_rtsp_auth_add_digest(auth, credentials_.user.c_str(), credentials_.password.c_str(), token);
  gst_rtsp_token_unref(token);
  gst_rtsp_auth_set_supported_methods(auth, static_cast<GstRTSPAuthMethod>(GST_RTSP_AUTH_BASIC | GST_RTSP_AUTH_DIGEST));
  return auth;
}

}  // namespace owl
