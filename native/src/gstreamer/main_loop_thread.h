// SPDX-License-Identifier: Apache-2.0
// An addon-owned thread running a GMainLoop on a private GMainContext. The RTSP server, bus watches and
// the reconnect timers of the portable engine run here: never on the libuv pool (shared with fs, dns,
// crypto) and never on the JS thread.
#pragma once

#include <glib.h>

#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace owl {

/** A GSource attached to a MainLoopThread's context; destroyed (detached) with this handle. */
class ScopedSource {
 public:
  ScopedSource() = default;
  explicit ScopedSource(GSource* source) : source_(source) {}
  ScopedSource(ScopedSource&& other) noexcept : source_(other.source_) { other.source_ = nullptr; }
  ScopedSource& operator=(ScopedSource&& other) noexcept;
  ScopedSource(const ScopedSource&) = delete;
  ScopedSource& operator=(const ScopedSource&) = delete;
  ~ScopedSource() { Reset(); }
  void Reset();
  explicit operator bool() const { return source_ != nullptr; }

 private:
  GSource* source_ = nullptr;
};

class MainLoopThread {
 public:
  explicit MainLoopThread(std::string name);
  ~MainLoopThread();
  MainLoopThread(const MainLoopThread&) = delete;
  MainLoopThread& operator=(const MainLoopThread&) = delete;

  /** [sync] Starts the thread and returns once its loop runs. */
  void Start();
  /**
   * [sync] Quits the loop and joins the thread; idempotent. Not from the loop thread itself. Tasks queued
   * before Stop still run (on the caller's thread, after the join), so no Invoke() waits forever.
   */
  void Stop();
  bool IsLoopThread() const { return std::this_thread::get_id() == loop_thread_id_; }
  GMainContext* context() const { return context_; }

  /** [async] Queues fn on the loop thread (dropped once Stop() has begun). Any thread. */
  void Post(std::function<void()> fn);
  /**
   * [sync] Runs fn on the loop thread and waits; rethrows what fn throws. Runs inline on the loop thread,
   * and on the caller's thread when the loop is not running.
   */
  void Invoke(const std::function<void()>& fn);
  /** A repeating (fn returns true) or one-shot timer on the loop thread. Call on the loop thread. */
  ScopedSource AddTimeout(unsigned interval_ms, std::function<bool()> fn);
  /** Attaches a source made elsewhere (e.g. a bus watch) to this context; takes the reference. */
  ScopedSource Attach(GSource* source);

 private:
  std::string name_;
  GMainContext* context_;
  GMainLoop* loop_;
  std::mutex mutex_;  // guards running_ and thread_ against Post/Invoke from other threads
  bool running_ = false;
  std::thread thread_;
  std::thread::id loop_thread_id_;
};

}  // namespace owl
