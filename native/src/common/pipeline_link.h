// SPDX-License-Identifier: Apache-2.0
// What the portable and DeepStream pipeline wraps share between an engine and its JS object:
//   - onEvent and onFrame, reached from pipeline threads through thread-safe functions (bounded queues,
//     NonBlockingCall only: a full queue drops the item, never blocks a GStreamer thread); dropped events are
//     counted (stats().eventsDropped) and the latest state always reaches JS (EventLedger);
//   - the guards of start() and stop(), and the reference that keeps a started JS object alive;
//   - stop() off the JS thread: the engine's stop (pipeline to NULL, thread joins) runs on a thread of its own
//     and a Promise settles once it is done, so a service removing one stream keeps serving meanwhile;
//   - the stop with the JS environment, and freeing the engine at stop rather than at garbage collection.
// Engine: the native pipeline class (Start, Stop, stats, Callbacks {on_state, on_error, on_frame}).
// FrameToJs: calls onFrame with one Frame as JS and owns it from then on (a throw still frees it).
#pragma once

#include <napi.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/coded_error.h"
#include "common/env_cleanup.h"
#include "gstreamer/pipeline_state.h"

namespace owl {

/** A state change or an error, as it waits in the event queue. */
struct PipelineEvent {
  bool is_error;
  StateEvent state;
  ErrorInfo error;
  std::string stream = "";  // the stream it concerns in a shared pipeline (DeepStream); "": the pipeline's own
  uint64_t seq = 0;    // order of queueing (EventLedger)
};

/** A dropped state due for delivery, and whose it is (PipelineEvent::stream). */
struct DueState {
  std::string stream;
  StateEvent state;
};

/**
 * The event queue's bookkeeping, shared by the pipeline threads that queue events and the JS thread that
 * delivers them. A full queue (JS busy) drops an event rather than block a pipeline thread; the drop is counted,
 * and a dropped state is kept (the newest only, per stream of a shared pipeline) and delivered right after the
 * last event queued before it, so the last state JS sees of the pipeline and of each stream is always theirs (a
 * later state of the same one that is queued supersedes it).
 */
class EventLedger {
 public:
  /** [any thread] Queues event through `queue` (true when queued) under the ledger's lock, counting a drop. */
  template <typename Queue>
  void Offer(std::unique_ptr<PipelineEvent> event, Queue&& queue) {
    std::lock_guard<std::mutex> lock(mutex_);
    event->seq = ++seq_;
    const bool is_state = !event->is_error;
    const StateEvent state = event->state;
    const std::string stream = event->stream;
    if (queue(std::move(event))) {
      last_queued_ = seq_;
      if (is_state) pending_.erase(stream);  // superseded by a newer state that will arrive
      return;
    }
    ++dropped_;
    if (is_state) pending_[stream] = {state, last_queued_};
  }

  /** [JS thread] After delivering the event numbered seq: the dropped states that are due now, if any. */
  std::vector<DueState> Delivered(uint64_t seq);

  /** Events dropped so far. */
  uint64_t dropped() const;

 private:
  mutable std::mutex mutex_;
  uint64_t seq_ = 0;
  uint64_t last_queued_ = 0;
  uint64_t dropped_ = 0;
  struct Pending {
    StateEvent state;  // a dropped state no later state of its stream has superseded
    uint64_t after;    // delivered once the event with this seq is (0: at the next delivery)
  };
  std::map<std::string, Pending> pending_;  // by stream ("" the pipeline's own)
};

/**
 * Calls onEvent with {type: "state", state, reason} or {type: "error", message, code, domain, source}, with
 * `stream` when the event is a stream's, then with the dropped states the ledger says are due; frees event.
 */
void DeliverEvent(Napi::Env env, Napi::Function on_event, std::shared_ptr<EventLedger>* ledger, PipelineEvent* event);

/** stats() as JS: {framesIn, framesOut, framesToModel, framesDropped, reconnects, eventsDropped}. */
Napi::Object StatsToJs(Napi::Env env, const PipelineStats& stats, uint64_t events_dropped);

/** How one kind of pipeline appears in JS. */
struct PipelineLinkSpec {
  const char* js_class;      // names the class in ESTATE errors
  const char* events_queue;  // resource names of the thread-safe functions
  const char* frames_queue;
  const char* stopped_queue;
  size_t frame_queue_size;
};

template <typename Engine, typename Frame, void (*FrameToJs)(Napi::Env, Napi::Function, Frame*)>
class PipelineLink {
 public:
  explicit PipelineLink(const PipelineLinkSpec& spec) : spec_(spec) {}

  /** [sync] Checks the constructor's (options, onEvent, onFrame) and keeps the callbacks; returns options. */
  Napi::Object Bind(const Napi::CallbackInfo& info) {
    if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "Expected an options object for the pipeline");
    if (!info[1].IsFunction() || !info[2].IsFunction()) {
      throw Napi::TypeError::New(info.Env(), "Expected functions onEvent and onFrame after the options");
    }
    on_event_ = Napi::Persistent(info[1].As<Napi::Function>());
    on_frame_ = Napi::Persistent(info[2].As<Napi::Function>());
    return info[0].As<Napi::Object>();
  }

  /** The engine's callbacks: into the queues, from any thread, never blocking. */
  typename Engine::Callbacks EngineCallbacks() {
    typename Engine::Callbacks callbacks;
    callbacks.on_state = [this](const StateEvent& state) {
      ledger_->Offer(std::unique_ptr<PipelineEvent>(new PipelineEvent{false, state, ErrorInfo{}}),
                     [this](std::unique_ptr<PipelineEvent> event) { return HandOver(events_, std::move(event)); });
    };
    callbacks.on_error = [this](const ErrorInfo& error) {
      ledger_->Offer(std::unique_ptr<PipelineEvent>(new PipelineEvent{true, StateEvent{}, error}),
                     [this](std::unique_ptr<PipelineEvent> event) { return HandOver(events_, std::move(event)); });
    };
    callbacks.on_frame = [this](std::unique_ptr<Frame> frame) { return HandOver(frames_, std::move(frame)); };
    return callbacks;
  }
  /** Queues an event the wrap makes (e.g. one of a stream), from any thread, never blocking. */
  void QueueEvent(std::unique_ptr<PipelineEvent> event) {
    ledger_->Offer(std::move(event), [this](std::unique_ptr<PipelineEvent> e) { return HandOver(events_, std::move(e)); });
  }
  void SetEngine(std::unique_ptr<Engine> engine) { engine_ = std::move(engine); }
  /** The engine until stop() or the environment's shutdown, then null (freed). */
  Engine* engine() const { return engine_.get(); }
  /** Started and no stop() asked for yet. */
  bool running() const { return started_ && !stop_requested_; }

  /**
   * [sync] start(): throws ESTATE once started or stopped; then `prepare` (the wrap's own step), opens the
   * queues and starts the engine. From then on `self` stays referenced and stops with the environment.
   */
  void Start(Napi::Env env, Napi::Reference<Napi::Object>& self, const std::function<void()>& prepare = nullptr) {
    self_ = &self;
    const std::string name = spec_.js_class;
    if (stop_requested_) throw CodedError(name + " was stopped: create a new one to start again", codes::kEstate);
    if (started_) throw CodedError(name + " was already started", codes::kEstate);
    if (prepare) prepare();
    // The queue owns a reference to the ledger: it delivers after stop(), until drained.
    events_ = EventQueue::New(env, on_event_.Value(), spec_.events_queue, kEventQueueSize, 1,
                              new std::shared_ptr<EventLedger>(ledger_), ReleaseLedger, static_cast<void*>(nullptr));
    frames_ = FrameQueue::New(env, on_frame_.Value(), spec_.frames_queue, spec_.frame_queue_size, 1);
    stopped_ = StoppedQueue::New(env, spec_.stopped_queue, 1, 1, this);
    try {
      engine_->Start();
    } catch (...) {
      events_.Release();
      frames_.Release();
      stopped_.Release();
      throw;
    }
    started_ = true;
    self.Ref();
    // After the queues: hooks run in reverse order, so they are still open when this one stops the engine.
    cleanup_ = std::make_unique<EnvCleanup>(env, [this] { Shutdown(); });
  }

  /**
   * [async] stop(): a Promise that resolves once the engine has stopped and joined its threads (its last event
   * is `stopped`) and the JS object is released. The engine stops on a thread of its own (the "stopper"), never
   * on the JS thread and not on the libuv pool (fs, dns, crypto share it); calls while it runs get a Promise of the
   * same stop, later ones a resolved one. Rejects only if the engine's own stop threw (a bug), with its message.
   */
  Napi::Promise Stop(Napi::Env env) {
    Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
    Napi::Promise promise = deferred.Promise();
    if (finished_) {
      deferred.Resolve(env.Undefined());
      return promise;
    }
    waiting_.push_back(deferred);
    if (stop_requested_) return promise;
    stop_requested_ = true;
    if (!started_) {
      Finish();  // never started: no thread to join
      return promise;
    }
    stopper_ = std::thread([this] {
      try {
        StopEngine();
      } catch (const std::exception& e) {
        stop_failure_ = e.what();  // read on the JS thread after the call below (the queue orders them)
      }
      stopped_.NonBlockingCall();  // napi_closing while the environment shuts down: its cleanup finishes then
    });
    return promise;
  }

  Napi::Object Stats(Napi::Env env) const {
    return StatsToJs(env, engine_ ? engine_->stats() : final_stats_, ledger_->dropped());
  }

 private:
  static constexpr size_t kEventQueueSize = 256;

  static void ReleaseLedger(Napi::Env, void*, std::shared_ptr<EventLedger>* ledger) { delete ledger; }

  static void DeliverFrame(Napi::Env env, Napi::Function on_frame, std::nullptr_t*, Frame* frame) {
    if (env == nullptr || on_frame.IsEmpty()) {  // the environment is shutting down
      delete frame;
      return;
    }
    FrameToJs(env, on_frame, frame);
  }
  static void DeliverStopped(Napi::Env env, Napi::Function, PipelineLink* link, void*) {
    if (env != nullptr) link->Finish();  // null: the environment is shutting down, and its cleanup finishes
  }
  using EventQueue = Napi::TypedThreadSafeFunction<std::shared_ptr<EventLedger>, PipelineEvent, DeliverEvent>;
  using FrameQueue = Napi::TypedThreadSafeFunction<std::nullptr_t, Frame, DeliverFrame>;
  using StoppedQueue = Napi::TypedThreadSafeFunction<PipelineLink, void, DeliverStopped>;

  /** Queues item for the JS thread; a full queue (JS busy) frees it: dropping beats blocking the pipeline. */
  template <typename Queue, typename Item>
  static bool HandOver(Queue& queue, std::unique_ptr<Item> item) {
    Item* raw = item.release();
    if (queue.NonBlockingCall(raw) == napi_ok) return true;
    delete raw;
    return false;
  }

  /**
   * Stops and joins the engine once (the stopper, or the environment's cleanup); a second caller waits for the
   * first to finish, so the cleanup hook never frees an engine that the stopper is still stopping.
   */
  void StopEngine() {
    std::lock_guard<std::mutex> lock(engine_stop_mutex_);
    if (engine_stopped_) return;
    engine_->Stop();  // joins: no callback runs after this, and `stopped` is queued
    engine_stopped_ = true;
  }

  /** JS thread, once the engine stopped: frees it, releases the JS object, settles stop()'s Promises. */
  void Finish() {
    if (finished_) return;
    finished_ = true;
    Shutdown();
    cleanup_.reset();
    if (started_) self_->Unref();
    for (Napi::Promise::Deferred& deferred : waiting_) {
      if (stop_failure_.empty()) {
        deferred.Resolve(deferred.Env().Undefined());
      } else {
        const std::string message = std::string(spec_.js_class) + ".stop: " + stop_failure_;
        deferred.Reject(Napi::Error::New(deferred.Env(), message).Value());
      }
    }
    waiting_.clear();
  }

  /** From Finish or the environment's cleanup: stops the engine, closes the queues and frees the engine. */
  void Shutdown() {
    if (shut_down_) return;
    shut_down_ = true;
    StopEngine();
    // The stopper has stopped the engine and queued its call by now (or the engine was stopped here): it only
    // returns, so this join does not wait for any work.
    if (stopper_.joinable()) stopper_.join();
    if (started_) {
      events_.Release();
      frames_.Release();
      stopped_.Release();
    }
    // A service that removes streams while it runs must not keep each one's main context (an eventfd) and
    // elements until a garbage collection that may never come: the callbacks reference the JS object that
    // holds this wrap, a cycle through persistent handles.
    final_stats_ = engine_->stats();
    engine_.reset();
    on_event_.Reset();
    on_frame_.Reset();
  }

  const PipelineLinkSpec spec_;
  const std::shared_ptr<EventLedger> ledger_ = std::make_shared<EventLedger>();
  std::unique_ptr<Engine> engine_;
  PipelineStats final_stats_;  // stats() once the engine is freed
  Napi::FunctionReference on_event_;
  Napi::FunctionReference on_frame_;
  EventQueue events_;
  FrameQueue frames_;
  StoppedQueue stopped_;  // the stopper's "done", to the JS thread
  Napi::Reference<Napi::Object>* self_ = nullptr;  // the wrap holding this link, referenced while started
  bool started_ = false;
  bool stop_requested_ = false;  // JS thread
  bool finished_ = false;        // JS thread: stopped, engine freed, Promises settled
  bool shut_down_ = false;       // JS thread (Finish or the environment's cleanup)
  std::vector<Napi::Promise::Deferred> waiting_;  // stop()'s Promises, until Finish
  std::thread stopper_;
  std::string stop_failure_;  // written by the stopper before its call, read by Finish after it
  std::mutex engine_stop_mutex_;
  bool engine_stopped_ = false;  // guarded by engine_stop_mutex_
  std::unique_ptr<EnvCleanup> cleanup_;
};

}  // namespace owl
