// SPDX-License-Identifier: Apache-2.0
#include "portable/pipeline_wrap.h"

#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/attr.h"
#include "common/js_error.h"
#include "gstreamer/rtsp_server_wrap.h"
#include "portable/pipeline_options.h"
#include "tracker/tracker_binding.h"

namespace owl {
namespace {

// One frame is with the model at a time; the second slot absorbs a frameDone() racing a new sample.
constexpr PipelineLinkSpec kLinkSpec = {"Pipeline", "owl:pipeline-events", "owl:pipeline-frames",
                                         "owl:pipeline-stopped", 2};

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
    OverlayBoxInput input{coordinate("x0"), coordinate("y0"), coordinate("x1"), coordinate("y1"),
                          AttrAsInt32(box, "color", path), AttrAsString(box, "text", path), 0};
    const double track_id = AttrAsDouble(box, "trackId", path);
    if (track_id < 0 || track_id > kMaxSafeInteger || std::trunc(track_id) != track_id) {
      ThrowExpected(box.Get("trackId"), "an integer from 0 (untracked) to 2^53 - 1", path + ".trackId");
    }
    input.track_id = static_cast<uint64_t>(track_id);
    boxes.push_back(std::move(input));
  }
  return boxes;
}

}  // namespace

void PipelineWrap::Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Pipeline", DefineClass(env, "Pipeline",
                                      {InstanceMethod<&PipelineWrap::Start>("start"),
                                       InstanceMethod<&PipelineWrap::SetDetections>("setDetections"),
                                       InstanceMethod<&PipelineWrap::SetOverlayStyle>("setOverlayStyle"),
                                       InstanceMethod<&PipelineWrap::SetTracker>("setTracker"),
                                       InstanceMethod<&PipelineWrap::Snapshot>("snapshot"),
                                       InstanceMethod<&PipelineWrap::FrameDone>("frameDone"),
                                       InstanceMethod<&PipelineWrap::Stats>("stats"),
                                       InstanceMethod<&PipelineWrap::Stop>("stop")}));
}

PipelineWrap::PipelineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PipelineWrap>(info), link_(kLinkSpec) {
  Guarded(info.Env(), [&] {
    Napi::Object object = link_.Bind(info);
    PipelineOptions options = ReadPipelineOptions(object);
    std::shared_ptr<RtspServer> server;
    if (options.output.enabled) {
      server = RtspServerWrap::FromValue(AttrAsObject(object, "output", "").Get("server"), "output.server");
    }
    style_ = options.overlay;
    link_.SetEngine(std::make_unique<Pipeline>(std::move(options), std::move(server), link_.EngineCallbacks()));
  });
}

void PipelineWrap::FrameToJs(Napi::Env env, Napi::Function on_frame, FramePacket* packet) {
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
  frame.Set("timestampMs", Napi::Number::New(env, static_cast<double>(packet->timestamp_ms)));
  frame.Set("width", packet->width);
  frame.Set("height", packet->height);
  frame.Set("tensor", Napi::Float32Array::New(env, length, buffer, 0));
  on_frame.Call({frame});
}

Napi::Value PipelineWrap::Start(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    link_.Start(info.Env(), *this);
    return info.Env().Undefined();
  });
}

Napi::Value PipelineWrap::SetDetections(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "Expected a number for frameId");
    std::vector<OverlayBoxInput> boxes = ReadBoxes(info[1]);
    if (Pipeline* pipeline = link_.engine()) {
      pipeline->SetOverlay(RenderOverlay(info[0].As<Napi::Number>().Int64Value(), boxes, style_));
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

Napi::Value PipelineWrap::SetTracker(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    std::shared_ptr<tracking::SharedTracker> tracker;
    if (!info[0].IsNull()) tracker = TrackerFromValue(info[0], "tracker");
    if (!info[1].IsBoolean()) ThrowExpected(info[1], "a boolean", "drawPredicted");
    if (Pipeline* pipeline = link_.engine()) pipeline->SetTracker(std::move(tracker), info[1].As<Napi::Boolean>());
    return info.Env().Undefined();
  });
}

Napi::Value PipelineWrap::Snapshot(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    if (!link_.running()) return info.Env().Null();
    std::unique_ptr<GstBuffer, decltype(&gst_buffer_unref)> jpeg(link_.engine()->Snapshot(), &gst_buffer_unref);
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
  if (Pipeline* pipeline = link_.engine()) pipeline->FrameDone();
  return info.Env().Undefined();
}

Napi::Value PipelineWrap::Stats(const Napi::CallbackInfo& info) { return link_.Stats(info.Env()); }

Napi::Value PipelineWrap::Stop(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value { return link_.Stop(info.Env()); });
}

}  // namespace owl
