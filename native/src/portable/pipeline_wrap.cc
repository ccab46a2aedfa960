// SPDX-License-Identifier: Apache-2.0
#include "portable/pipeline_wrap.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/attr.h"
#include "common/js_error.h"
#include "portable/pipeline_options.h"
#include "portable/rtsp_server_wrap.h"

namespace owl {
namespace {

constexpr size_t kEventQueueSize = 256;
// One frame is with the model at a time; the second slot absorbs a frameDone() racing a new sample.
constexpr size_t kFrameQueueSize = 2;

std::vector<OverlayBoxInput> ReadBoxes(const Napi::Value& value) {
  if (!value.IsArray()) throw Napi::TypeError::New(value.Env(), "Expected an array of boxes for detections");
  Napi::Array array = value.As<Napi::Array>();
  std::vector<OverlayBoxInput> boxes;
  boxes.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    const std::string path = "detections[" + std::to_string(i) + "]";
    if (!item.IsObject()) throw Napi::TypeError::New(value.Env(), "Expected an object for " + path);
    Napi::Object box = item.As<Napi::Object>();
    const auto coordinate = [&](const char* name) { return static_cast<float>(AttrAsDouble(box, name, path)); };
    boxes.push_back({coordinate("x0"), coordinate("y0"), coordinate("x1"), coordinate("y1"),
                     AttrAsInt32(box, "color", path), AttrAsString(box, "text", path)});
  }
  return boxes;
}

}  // namespace

void PipelineWrap::Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Pipeline", DefineClass(env, "Pipeline",
                                      {InstanceMethod<&PipelineWrap::Start>("start"),
                                       InstanceMethod<&PipelineWrap::SetDetections>("setDetections"),
                                       InstanceMethod<&PipelineWrap::SetOverlayStyle>("setOverlayStyle"),
                                       InstanceMethod<&PipelineWrap::Snapshot>("snapshot"),
                                       InstanceMethod<&PipelineWrap::FrameDone>("frameDone"),
                                       InstanceMethod<&PipelineWrap::Stats>("stats"),
                                       InstanceMethod<&PipelineWrap::Stop>("stop")}));
}

PipelineWrap::PipelineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PipelineWrap>(info) {
  Guarded(info.Env(), [&] {
    if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "Expected an options object for the pipeline");
    if (!info[1].IsFunction() || !info[2].IsFunction()) {
      throw Napi::TypeError::New(info.Env(), "Expected functions onEvent and onFrame after the options");
    }
    Napi::Object object = info[0].As<Napi::Object>();
    PipelineOptions options = ReadPipelineOptions(object);
    std::shared_ptr<RtspServer> server;
    if (options.output.enabled) {
      server = RtspServerWrap::FromValue(AttrAsObject(object, "output", "").Get("server"), "output.server");
    }
    style_ = options.overlay;
    on_event_ = Napi::Persistent(info[1].As<Napi::Function>());
    on_frame_ = Napi::Persistent(info[2].As<Napi::Function>());
    Pipeline::Callbacks callbacks;
    callbacks.on_state = [this](const StateEvent& state) { PushEvent(new Event{false, state, {}}); };
    callbacks.on_error = [this](const ErrorInfo& error) { PushEvent(new Event{true, {}, error}); };
    callbacks.on_frame = [this](std::unique_ptr<FramePacket> packet) { return PushFrame(std::move(packet)); };
    pipeline_ = std::make_unique<Pipeline>(std::move(options), std::move(server), std::move(callbacks));
  });
}

void PipelineWrap::PushEvent(Event* event) {
  // Full only if JS has not run for 256 events; dropping beats blocking the pipeline thread.
  if (events_.NonBlockingCall(event) != napi_ok) delete event;
}

bool PipelineWrap::PushFrame(std::unique_ptr<FramePacket> packet) {
  FramePacket* raw = packet.release();
  if (frames_.NonBlockingCall(raw) == napi_ok) return true;
  delete raw;
  return false;
}

void PipelineWrap::CallOnEvent(Napi::Env env, Napi::Function callback, std::nullptr_t*, Event* event) {
  std::unique_ptr<Event> owned(event);
  if (env == nullptr || callback.IsEmpty()) return;  // the environment is shutting down
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
  callback.Call({object});
}

void PipelineWrap::CallOnFrame(Napi::Env env, Napi::Function callback, std::nullptr_t*, FramePacket* packet) {
  if (env == nullptr || callback.IsEmpty()) {
    delete packet;
    return;
  }
  // Ownership handover: from here the ArrayBuffer owns the packet and frees it when collected.
  const size_t length = packet->length;
  Napi::ArrayBuffer buffer;
  try {
    buffer = Napi::ArrayBuffer::New(
        env, packet->tensor.get(), length * sizeof(float), [](Napi::Env, void*, FramePacket* p) { delete p; }, packet);
  } catch (...) {
    delete packet;
    throw;
  }
  Napi::Object frame = Napi::Object::New(env);
  frame.Set("frameId", Napi::Number::New(env, static_cast<double>(packet->frame_id)));
  frame.Set("width", packet->width);
  frame.Set("height", packet->height);
  frame.Set("tensor", Napi::Float32Array::New(env, length, buffer, 0));
  callback.Call({frame});
}

Napi::Value PipelineWrap::Start(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    if (stopped_) throw CodedError("Pipeline was stopped: create a new one to start again", "ESTATE");
    if (started_) throw CodedError("Pipeline was already started", "ESTATE");
    Napi::Env env = info.Env();
    events_ = EventQueue::New(env, on_event_.Value(), "owl:pipeline-events", kEventQueueSize, 1);
    frames_ = FrameQueue::New(env, on_frame_.Value(), "owl:pipeline-frames", kFrameQueueSize, 1);
    try {
      pipeline_->Start();
    } catch (...) {
      events_.Release();
      frames_.Release();
      throw;
    }
    started_ = true;
    Ref();
    // After the queues: hooks run in reverse order, so they are still open when this one stops the pipeline.
    cleanup_ = std::make_unique<EnvCleanup>(env, [this] { Shutdown(); });
    return env.Undefined();
  });
}

Napi::Value PipelineWrap::SetDetections(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "Expected a number for frameId");
    std::vector<OverlayBoxInput> boxes = ReadBoxes(info[1]);
    if (!stopped_) {
      pipeline_->SetOverlay(RenderOverlay(info[0].As<Napi::Number>().Int64Value(), boxes, style_));
    }
    return info.Env().Undefined();
  });
}

Napi::Value PipelineWrap::SetOverlayStyle(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "Expected an object {lineWidth, fontSize}");
    Napi::Object style = info[0].As<Napi::Object>();
    const int line_width = AttrAsInt32(style, "lineWidth", "overlay");
    const int font_size = AttrAsInt32(style, "fontSize", "overlay");
    if (line_width < 1 || font_size < 0) {
      throw Napi::RangeError::New(info.Env(), "Expected overlay.lineWidth >= 1 and overlay.fontSize >= 0 but received " +
                                                  std::to_string(line_width) + " and " + std::to_string(font_size));
    }
    style_.line_width = line_width;
    style_.font_size = font_size;
    return info.Env().Undefined();
  });
}

Napi::Value PipelineWrap::Snapshot(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    if (!started_ || stopped_) return info.Env().Null();
    std::unique_ptr<GstBuffer, decltype(&gst_buffer_unref)> jpeg(pipeline_->Snapshot(), &gst_buffer_unref);
    if (jpeg == nullptr) return info.Env().Null();
    GstMapInfo map;
    if (!gst_buffer_map(jpeg.get(), &map, GST_MAP_READ)) {
      throw CodedError("could not read the newest JPEG snapshot (mapping its buffer failed)", "EIO");
    }
    Napi::Value copy;
    try {
      copy = Napi::Buffer<uint8_t>::Copy(info.Env(), map.data, map.size);
    } catch (...) {
      gst_buffer_unmap(jpeg.get(), &map);
      throw;
    }
    gst_buffer_unmap(jpeg.get(), &map);
    return copy;
  });
}

Napi::Value PipelineWrap::FrameDone(const Napi::CallbackInfo& info) {
  if (!stopped_) pipeline_->FrameDone();
  return info.Env().Undefined();
}

Napi::Value PipelineWrap::Stats(const Napi::CallbackInfo& info) {
  const PipelineStats stats = pipeline_ ? pipeline_->stats() : final_stats_;
  Napi::Object object = Napi::Object::New(info.Env());
  object.Set("framesIn", static_cast<double>(stats.frames_in));
  object.Set("framesOut", static_cast<double>(stats.frames_out));
  object.Set("framesToModel", static_cast<double>(stats.frames_to_model));
  object.Set("framesDropped", static_cast<double>(stats.frames_dropped));
  object.Set("reconnects", static_cast<double>(stats.reconnects));
  return object;
}

Napi::Value PipelineWrap::Stop(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    const bool was_running = started_ && !stopped_;
    Shutdown();
    cleanup_.reset();
    if (was_running) Unref();
    return info.Env().Undefined();
  });
}

void PipelineWrap::Shutdown() {
  if (stopped_) return;
  stopped_ = true;
  pipeline_->Stop();  // joins: no callback runs after this, and `stopped` is queued
  if (started_) {
    events_.Release();
    frames_.Release();
  }
  // A service that removes streams while it runs must not keep each one's main context (an eventfd) and
  // elements until a garbage collection that may never come: the callbacks below reference the JS object
  // that holds this wrap, a cycle through persistent handles.
  final_stats_ = pipeline_->stats();
  pipeline_.reset();
  on_event_.Reset();
  on_frame_.Reset();
}

}  // namespace owl
