// SPDX-License-Identifier: Apache-2.0
// One in-process gst-rtsp-server on host:port, served from its own MainLoopThread. Pipelines mount their
// outputs on it; a mount is a shared media factory (one encoder for all clients of that mount). A mount can be
// held before its pipeline exists (a stream whose input is still being discovered) and handed over to it. With
// credentials, every mount needs them (RTSP basic or digest authentication).
#pragma once

#include <gst/rtsp-server/rtsp-server.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "gstreamer/main_loop_thread.h"

namespace owl {

/** RTSP output credentials; both empty: no authentication. Never logged. */
struct RtspCredentials {
  std::string user;
  std::string password;
  bool enabled() const { return !user.empty(); }
};

class RtspServer {
 public:
  RtspServer(std::string host, int port, RtspCredentials credentials = {});
  ~RtspServer();
  RtspServer(const RtspServer&) = delete;
  RtspServer& operator=(const RtspServer&) = delete;

  /**
   * [sync] Binds host:port and serves. Throws CodedError "EADDRINUSE" / "EACCES" / "EADDRNOTAVAIL" naming
   * host:port, or "ESTATE" if already started or stopped.
   */
  void Start();
  /** [sync] Closes every client, unbinds and joins the server thread; idempotent. */
  void Stop();
  /** The bound port (the kernel's choice when constructed with 0); 0 unless serving. */
  int port() const;
  const std::string& host() const { return host_; }
  /** "rtsp://host:port" for messages. */
  std::string Describe() const;

  /**
   * [sync] Claims `path` (e.g. "/out") for one pipeline, so a clash fails at start. Throws CodedError
   * "EMOUNTINUSE" if taken, "ESTATE" if not serving. Clients get 404 until Publish, unless the path was held:
   * then the pipeline takes it over, and the held launch's intervideo channel is returned ("" otherwise), so the
   * pipeline feeds the clients already watching.
   */
  std::string Reserve(const std::string& path);
  /**
   * [sync] Serves `launch` (reading intervideo channel `channel`) at `path` before any pipeline exists, until a
   * pipeline reserves the path (or Release). Throws "EMOUNTINUSE" if the path is taken, "ESTATE" if not serving.
   */
  void Hold(const std::string& path, const std::string& channel, const std::string& launch);
  /** [sync] Ends a hold no pipeline took over (its clients are disconnected); no-op otherwise. */
  void Release(const std::string& path);
  /**
   * [sync] Serves `launch` (a gst-launch bin description with a payloader named pay0) at a reserved path,
   * one shared media for all its clients. Publishing a path again serves the new launch to new clients; those
   * of the previous one keep their media until they leave. Throws CodedError "ESTATE" if not serving or not
   * reserved.
   */
  void Publish(const std::string& path, const std::string& launch);
  /** [sync] Removes the mount and disconnects the clients playing it; no-op if absent or stopped. */
  void Unmount(const std::string& path);

 private:
  enum class Phase { kNew, kServing, kStopped };

  // Loop thread: adds the shared factory, with the viewer role when credentials are set.
  void AddFactory(const std::string& path, const std::string& launch);
  void RemoveMount(const std::string& path);
  GstRTSPAuth* MakeAuth() const;

  std::string host_;
  int requested_port_;
  const RtspCredentials credentials_;
  MainLoopThread loop_;
  std::mutex ops_mutex_;      // serialises Start/Stop/Mount/Unmount (called from JS and pipeline threads)
  mutable std::mutex mutex_;  // guards phase_ and mounts_
  Phase phase_ = Phase::kNew;
  std::atomic<int> bound_port_{0};
  std::set<std::string> mounts_;               // reserved or held
  std::map<std::string, std::string> held_;     // held path -> its intervideo channel
  // Loop-thread only.
  GstRTSPServer* server_ = nullptr;
  ScopedSource listen_source_;
};

}  // namespace owl
