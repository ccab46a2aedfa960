// SPDX-License-Identifier: Apache-2.0
// Compiled only with the DeepStream SDK or the test-only stand-ins (see ds_pipeline_wrap.h).
#include "deepstream/ds_pipeline_wrap.h"

#include <array>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "common/attr.h"
#include "common/js_error.h"
#include "common/uri_guard.h"
#include "portable/pipeline_options.h"
#include "gstreamer/rtsp_server_wrap.h"

namespace owl::ds {
namespace {

// Detections of every inferred frame of every stream go to JS (30 a second per stream); slots for a busy loop.
constexpr PipelineLinkSpec kLinkSpec = {"DeepStreamPipeline", "owl:deepstream-events", "owl:deepstream-frames",
                                         "owl:deepstream-stopped", 32};

std::string StringArg(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (!info[index].IsString()) throw Napi::TypeError::New(info.Env(), std::string("Expected a string for ") + what);
  return info[index].As<Napi::String>().Utf8Value();
}

OverlayStyle ReadStyle(const Napi::Object& object, const std::string& path, OverlayStyle style) {
  const int line_width = AttrAsInt32(object, "lineWidth", path);
  const int font_size = AttrAsInt32(object, "fontSize", path);
  if (line_width < 1 || font_size < 0) {
    throw Napi::RangeError::New(object.Env(), "Expected lineWidth >= 1 and fontSize >= 0 for " + path);
  }
  style.line_width = static_cast<unsigned>(line_width);
  style.font_size = static_cast<unsigned>(font_size);
  style.show_scores = AttrAsBool(object, "showScores", path);
  return style;
}

DsPipelineOptions ReadOptions(const Napi::Object& object) {
  DsPipelineOptions options;
  options.description = AttrAsString(object, "description", "");
  options.max_streams = AttrAsInt32(object, "maxStreams", "");
  if (options.max_streams < 1) throw Napi::RangeError::New(object.Env(), "Expected maxStreams >= 1");
  options.reconnect = ReadReconnectOptions(object);
  Napi::Object decode = AttrAsObject(object, "decode", "");
  options.decode.nms_iou = static_cast<float>(AttrAsDouble(decode, "nmsIou", "decode"));
  options.decode.max_detections = AttrAsInt32(decode, "maxDetections", "decode");
  if (!(options.decode.nms_iou >= 0.f && options.decode.nms_iou <= 1.f) || options.decode.max_detections < 1) {
    throw Napi::RangeError::New(object.Env(), "Expected decode.nmsIou in [0,1] and decode.maxDetections >= 1");
  }
  Napi::Object overlay = AttrAsObject(object, "overlay", "");
  options.overlay = ReadStyle(overlay, "overlay", {});
  Napi::Array palette = AttrAsArray(overlay, "palette", "overlay");
  if (palette.Length() == 0) throw Napi::RangeError::New(object.Env(), "Expected a non-empty overlay.palette");
  options.overlay.palette.clear();
  for (uint32_t i = 0; i < palette.Length(); ++i) {
    Napi::Value rgb = palette.Get(i);
    const std::string path = "overlay.palette[" + std::to_string(i) + "]";
    if (!rgb.IsArray() || rgb.As<Napi::Array>().Length() != 3) {
      throw Napi::TypeError::New(object.Env(), "Expected [r, g, b] for " + path);
    }
    std::array<double, 3> color{};
    for (uint32_t c = 0; c < 3; ++c) color[c] = rgb.As<Napi::Array>().Get(c).ToNumber().DoubleValue() / 255.0;
    options.overlay.palette.push_back(color);
  }
  Napi::Array messages = AttrAsArray(object, "messages", "");
  for (uint32_t i = 0; i < messages.Length(); ++i) {
    const std::string path = "messages[" + std::to_string(i) + "]";
    if (!messages.Get(i).IsObject()) throw Napi::TypeError::New(object.Env(), "Expected an object for " + path);
    const Napi::Object message = messages.Get(i).As<Napi::Object>();
    DsMessageOutput output{AttrAsInt32(message, "componentId", path), AttrAsInt32(message, "interval", path)};
    if (output.component_id < 0 || output.interval < 1) {
      throw Napi::RangeError::New(object.Env(), "Expected componentId >= 0 and interval >= 1 for " + path);
    }
    options.messages.push_back(output);
  }
  return options;
}

DsStreamOptions ReadStream(const std::string& id, const Napi::Object& object) {
  DsStreamOptions stream;
  stream.source.id = id;
  stream.source.description = AttrAsString(object, "description", "source");
  // Optional, as in the portable engine's reconnect options: a camera to probe while a stream waits to retry.
  if (!object.Get("probeAddress").IsUndefined()) {
    stream.source.probe_address = AttrAsString(object, "probeAddress", "source");
    RequireUriText(object.Env(), stream.source.probe_address, "source.probeAddress");
  }
  stream.sensor_id = AttrAsString(object, "sensorId", "source");
  Napi::Object output = AttrAsObjectOrNull(object, "output", "source");
  stream.source.output_enabled = !output.IsEmpty();
  if (stream.source.output_enabled) {
    stream.server = RtspServerWrap::FromValue(output.Get("server"), "source.output.server");
    stream.mount = AttrAsString(output, "mount", "source.output");
    stream.mount_launch = AttrAsString(output, "launch", "source.output");
    stream.source.output_description = AttrAsString(output, "description", "source.output");
  }
  return stream;
}

template <typename T, typename Array>
Array ToTypedArray(Napi::Env env, const std::vector<T>& values) {
  Array array = Array::New(env, values.size());
  if (!values.empty()) std::memcpy(array.Data(), values.data(), values.size() * sizeof(T));
  return array;
}

}  // namespace

void DsPipelineWrap::Init(Napi::Env env, Napi::Object exports) {
  exports.Set("DeepStreamPipeline",
              DefineClass(env, "DeepStreamPipeline",
                          {InstanceMethod<&DsPipelineWrap::Start>("start"),
                           InstanceMethod<&DsPipelineWrap::AddSource>("addSource"),
                           InstanceMethod<&DsPipelineWrap::RemoveSource>("removeSource"),
                           InstanceMethod<&DsPipelineWrap::SetPrompts>("setPrompts"),
                           InstanceMethod<&DsPipelineWrap::SetOverlayStyle>("setOverlayStyle"),
                           InstanceMethod<&DsPipelineWrap::Stats>("stats"),
                           InstanceMethod<&DsPipelineWrap::Stop>("stop")}));
}

DsPipelineWrap::DsPipelineWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<DsPipelineWrap>(info), link_(kLinkSpec) {
  Guarded(info.Env(), [&] {
    DsPipelineOptions options = ReadOptions(link_.Bind(info));
    DsPipeline::Callbacks callbacks = link_.EngineCallbacks();
    callbacks.on_stream_state = [this](const std::string& stream, const StateEvent& state) {
      link_.QueueEvent(std::unique_ptr<PipelineEvent>(new PipelineEvent{false, state, ErrorInfo{}, stream}));
    };
    callbacks.on_stream_error = [this](const std::string& stream, const ErrorInfo& error) {
      link_.QueueEvent(std::unique_ptr<PipelineEvent>(new PipelineEvent{true, StateEvent{}, error, stream}));
    };
    link_.SetEngine(std::make_unique<DsPipeline>(std::move(options), std::move(callbacks)));
  });
}

void DsPipelineWrap::FrameToJs(Napi::Env env, Napi::Function on_frame, DsFrame* frame) {
  std::unique_ptr<DsFrame> owned(frame);
  Napi::Object object = Napi::Object::New(env);
  object.Set("stream", owned->stream);
  object.Set("frameId", Napi::Number::New(env, static_cast<double>(owned->frame_id)));
  object.Set("width", owned->width);
  object.Set("height", owned->height);
  Napi::Array labels = Napi::Array::New(env, owned->labels.size());
  for (size_t i = 0; i < owned->labels.size(); ++i) labels.Set(static_cast<uint32_t>(i), owned->labels[i]);
  object.Set("labels", labels);
  object.Set("scores", ToTypedArray<float, Napi::Float32Array>(env, owned->scores));
  object.Set("boxes", ToTypedArray<float, Napi::Float32Array>(env, owned->boxes));
  object.Set("trackIds", ToTypedArray<double, Napi::Float64Array>(env, owned->track_ids));
  on_frame.Call({object});
}

DsPipeline& DsPipelineWrap::Running() {
  if (!link_.running()) throw CodedError("DeepStreamPipeline is not running: start() it first", codes::kEstate);
  return *link_.engine();
}

Napi::Value DsPipelineWrap::Start(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    link_.Start(info.Env(), *this);
    return info.Env().Undefined();
  });
}

Napi::Value DsPipelineWrap::AddSource(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    const std::string id = StringArg(info, 0, "the stream id");
    if (!info[1].IsObject()) throw Napi::TypeError::New(info.Env(), "Expected a source object after the stream id");
    DsStreamOptions stream = ReadStream(id, info[1].As<Napi::Object>());
    Running().AddSource(std::move(stream));
    return info.Env().Undefined();
  });
}

Napi::Value DsPipelineWrap::RemoveSource(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    const std::string id = StringArg(info, 0, "the stream id");
    Running().RemoveSource(id);
    return info.Env().Undefined();
  });
}

Napi::Value DsPipelineWrap::SetPrompts(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    Napi::Env env = info.Env();
    const std::string id = StringArg(info, 0, "the stream id");
    if (!info[1].IsObject()) {
      throw Napi::TypeError::New(env, "Expected a prompt set {textEmbeds, numQueries, thresholds} after the stream id");
    }
    Napi::Object set = info[1].As<Napi::Object>();
    Napi::Float32Array embeds = AttrAsFloat32Array(set, "textEmbeds", "prompts");
    Napi::Float32Array thresholds = AttrAsFloat32Array(set, "thresholds", "prompts");
    const int queries = AttrAsInt32(set, "numQueries", "prompts");
    if (queries < 0 || thresholds.ElementLength() != static_cast<size_t>(queries) ||
        (queries > 0 && embeds.ElementLength() % static_cast<size_t>(queries) != 0)) {
      throw Napi::RangeError::New(env,
                                  "Expected numQueries thresholds and numQueries*D text embedding values for prompts");
    }
    if (!info[2].IsArray()) throw Napi::TypeError::New(env, "Expected an array of labels after the prompts");
    Napi::Array array = info[2].As<Napi::Array>();
    if (array.Length() != static_cast<uint32_t>(queries)) {
      throw Napi::RangeError::New(env, "Expected one label per prompt (" + std::to_string(queries) + "), received " +
                                           std::to_string(array.Length()));
    }
    DsPipeline& pipeline = Running();
    auto prompts = std::make_shared<StreamPrompts>();
    for (uint32_t i = 0; i < array.Length(); ++i) {
      Napi::Value label = array.Get(i);
      if (!label.IsString()) throw Napi::TypeError::New(env, "Expected a string for labels[" + std::to_string(i) + "]");
      prompts->labels.push_back(label.As<Napi::String>().Utf8Value());
      prompts->class_ids.push_back(pipeline.class_ids().IdOf(prompts->labels.back()));
    }
    if (queries > 0) {
      const int dim = static_cast<int>(embeds.ElementLength() / static_cast<size_t>(queries));
      try {
        prompts->set = MakePromptSet(embeds.Data(), queries, dim,
                                     std::vector<float>(thresholds.Data(), thresholds.Data() + queries));
      } catch (const DecodeError& e) {
        throw Napi::RangeError::New(env, e.what());
      }
    }
    pipeline.SetPrompts(id, std::move(prompts));
    return env.Undefined();
  });
}

Napi::Value DsPipelineWrap::SetOverlayStyle(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "Expected a style {lineWidth, fontSize, showScores}");
    DsPipeline& pipeline = Running();
    const OverlayStyle current = *pipeline.style();
    pipeline.SetOverlayStyle(std::make_shared<const OverlayStyle>(ReadStyle(info[0].As<Napi::Object>(), "style", current)));
    return info.Env().Undefined();
  });
}

Napi::Value DsPipelineWrap::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object stats = link_.Stats(env);
  Napi::Object streams = Napi::Object::New(env);
  if (DsPipeline* pipeline = link_.engine()) {
    for (const auto& [id, s] : pipeline->stream_stats()) {
      Napi::Object stream = Napi::Object::New(env);
      stream.Set("framesIn", static_cast<double>(s.frames_in));
      stream.Set("framesOut", static_cast<double>(s.frames_out));
      stream.Set("framesToJs", static_cast<double>(s.frames_to_js));
      stream.Set("framesDropped", static_cast<double>(s.frames_dropped));
      stream.Set("reconnects", static_cast<double>(s.reconnects));
      streams.Set(id, stream);
    }
  }
  stats.Set("streams", streams);
  return stats;
}

Napi::Value DsPipelineWrap::Stop(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value { return link_.Stop(info.Env()); });
}

}  // namespace owl::ds
