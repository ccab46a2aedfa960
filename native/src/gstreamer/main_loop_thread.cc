// SPDX-License-Identifier: Apache-2.0
#include "gstreamer/main_loop_thread.h"

#include <pthread.h>

#include <exception>
#include <future>
#include <utility>

namespace owl {
namespace {

using Task = std::function<bool()>;

gboolean RunTask(gpointer data) { return (*static_cast<Task*>(data))() ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE; }
void DeleteTask(gpointer data) { delete static_cast<Task*>(data); }

GSource* AttachTask(GMainContext* context, GSource* source, Task task) {
  g_source_set_callback(source, RunTask, new Task(std::move(task)), DeleteTask);
  g_source_attach(source, context);
  return source;
}

void AttachIdle(GMainContext* context, int priority, Task task) {
  GSource* idle = g_idle_source_new();
  g_source_set_priority(idle, priority);
  AttachTask(context, idle, std::move(task));
  g_source_unref(idle);
}

}  // namespace

ScopedSource& ScopedSource::operator=(ScopedSource&& other) noexcept {
  if (this != &other) {
    Reset();
    source_ = other.source_;
    other.source_ = nullptr;
  }
  return *this;
}

void ScopedSource::Reset() {
  if (source_ == nullptr) return;
  g_source_destroy(source_);
  g_source_unref(source_);
  source_ = nullptr;
}

MainLoopThread::MainLoopThread(std::string name)
    : name_(std::move(name)), context_(g_main_context_new()), loop_(g_main_loop_new(context_, FALSE)) {}

MainLoopThread::~MainLoopThread() {
  Stop();
  g_main_loop_unref(loop_);
  g_main_context_unref(context_);
}

void MainLoopThread::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_) return;
  std::promise<void> running;
  std::future<void> started = running.get_future();
  // Fires from inside g_main_loop_run: once it has, g_main_loop_quit() cannot be lost.
  AttachIdle(context_, G_PRIORITY_HIGH, [&running] {
    running.set_value();
    return false;
  });
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
    g_main_context_push_thread_default(context_);
    g_main_loop_run(loop_);
    g_main_context_pop_thread_default(context_);
  });
  loop_thread_id_ = thread_.get_id();
  started.wait();
  running_ = true;
}

void MainLoopThread::Stop() {
  std::thread thread;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!running_) return;
    running_ = false;
    g_main_loop_quit(loop_);
    thread = std::move(thread_);
  }
  thread.join();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    loop_thread_id_ = std::thread::id();
  }
  while (g_main_context_pending(context_)) g_main_context_iteration(context_, FALSE);
}

void MainLoopThread::Post(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!running_) return;
  AttachIdle(context_, G_PRIORITY_DEFAULT, [fn = std::move(fn)] {
    fn();
    return false;
  });
}

void MainLoopThread::Invoke(const std::function<void()>& fn) {
  std::promise<void> done;
  std::future<void> result = done.get_future();
  bool queued = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_ && !IsLoopThread()) {
      AttachIdle(context_, G_PRIORITY_HIGH, [&fn, &done] {
        try {
          fn();
          done.set_value();
        } catch (...) {
          done.set_exception(std::current_exception());
        }
        return false;
      });
      queued = true;
    }
  }
  if (!queued) {
    fn();
    return;
  }
  result.get();
}

ScopedSource MainLoopThread::AddTimeout(unsigned interval_ms, std::function<bool()> fn) {
  return ScopedSource(AttachTask(context_, g_timeout_source_new(interval_ms), std::move(fn)));
}

ScopedSource MainLoopThread::Attach(GSource* source) {
  g_source_attach(source, context_);
  return ScopedSource(source);
}

}  // namespace owl
