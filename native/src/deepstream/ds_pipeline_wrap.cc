// SPDX-License-Identifier: Apache-2.0
// Compiled only with the DeepStream SDK (see ds_pipeline_wrap.h).
#include "deepstream/ds_pipeline_wrap.h"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "common/attr.h"
#include "common/js_error.h"
#include "deepstream/owl_ds_parser.h"
#include "gstreamer/rtsp_server_wrap.h"
#include "portable/pipeline_options.h"

namespace owl::ds {
namespace {

// Detections of every frame go to JS (30-60 a second); a few slots absorb a busy event loop.
constexpr PipelineLinkSpec kLinkSpec = {"DeepStreamPipeline", "owl:deepstream-events", "owl:deepstream-frames",
                                         "owl:deepstream-stopped", 8};

DsPipelineOptions ReadOptions(const Napi::Object& object) {
  DsPipelineOptions options;
  options.description = AttrAsString(object, "description", "");
  Napi::Object output = AttrAsObjectOrNull(object, "output", "");
  options.output_enabled = !output.IsEmpty();
  if (options.output_enabled) {
    options.mount = AttrAsString(output, "mount", "output");
    options.mount_launch = AttrAsString(output, "launch", "output");
  }
  options.reconnect = ReadReconnectOptions(object);
  return options;
}

Napi::Float32Array ToFloat32Array(Napi::Env env, const std::vector<float>& values) {
  Napi::Float32Array array = Napi::Float32Array::New(env, values.size());
  if (!values.empty()) std::memcpy(array.Data(), values.data(), values.size() * sizeof(float));
  return array;
}

}  // namespace

void DsPipelineWrap::Init(Napi::Env env, Napi::Object exports) {
  exports.Set("DeepStreamPipeline", DefineClass(env, "DeepStreamPipeline",
                                                {InstanceMethod<&DsPipelineWrap::Start>("start"),
                                                 InstanceMethod<&DsPipelineWrap::SetPrompts>("setPrompts"),
                                                 InstanceMethod<&DsPipelineWrap::Stats>("stats"),
                                                 InstanceMethod<&DsPipelineWrap::Stop>("stop")}));
}

DsPipelineWrap::DsPipelineWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<DsPipelineWrap>(info), link_(kLinkSpec) {
  Guarded(info.Env(), [&] {
    Napi::Object object = link_.Bind(info);
    DsPipelineOptions options = ReadOptions(object);
    std::shared_ptr<RtspServer> server;
    if (options.output_enabled) {
      server = RtspServerWrap::FromValue(AttrAsObject(object, "output", "").Get("server"), "output.server");
    }
    Napi::Object decode = AttrAsObject(object, "decode", "");
    nms_iou_ = static_cast<float>(AttrAsDouble(decode, "nmsIou", "decode"));
    max_detections_ = AttrAsInt32(decode, "maxDetections", "decode");
    link_.SetEngine(std::make_unique<DsPipeline>(std::move(options), std::move(server), link_.EngineCallbacks()));
  });
}

void DsPipelineWrap::FrameToJs(Napi::Env env, Napi::Function on_frame, DsFrame* frame) {
  std::unique_ptr<DsFrame> owned(frame);
  Napi::Object object = Napi::Object::New(env);
  object.Set("frameId", Napi::Number::New(env, static_cast<double>(owned->frame_id)));
  object.Set("width", owned->width);
  object.Set("height", owned->height);
  Napi::Int32Array labels = Napi::Int32Array::New(env, owned->labels.size());
  if (!owned->labels.empty()) std::memcpy(labels.Data(), owned->labels.data(), owned->labels.size() * sizeof(int32_t));
  object.Set("labels", labels);
  object.Set("scores", ToFloat32Array(env, owned->scores));
  object.Set("boxes", ToFloat32Array(env, owned->boxes));
  on_frame.Call({object});
}

Napi::Value DsPipelineWrap::Start(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    link_.Start(info.Env(), *this, [&] {
      if (!OwlDsSetDecodeOptions(nms_iou_, max_detections_)) throw Napi::RangeError::New(info.Env(), OwlDsLastError());
    });
    return info.Env().Undefined();
  });
}

Napi::Value DsPipelineWrap::SetPrompts(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) {
      throw Napi::TypeError::New(env, "Expected a prompt set {textEmbeds, numQueries, thresholds}");
    }
    Napi::Object prompts = info[0].As<Napi::Object>();
    Napi::Float32Array embeds = AttrAsFloat32Array(prompts, "textEmbeds", "prompts");
    Napi::Float32Array thresholds = AttrAsFloat32Array(prompts, "thresholds", "prompts");
    const int queries = AttrAsInt32(prompts, "numQueries", "prompts");
    if (queries < 0 || thresholds.ElementLength() != static_cast<size_t>(queries) ||
        (queries > 0 && embeds.ElementLength() % static_cast<size_t>(queries) != 0)) {
      throw Napi::RangeError::New(env,
                                  "Expected numQueries thresholds and numQueries*D text embedding values for prompts");
    }
    if (!info[1].IsArray()) throw Napi::TypeError::New(env, "Expected an array of labels after the prompts");
    Napi::Array array = info[1].As<Napi::Array>();
    if (array.Length() != static_cast<uint32_t>(queries)) {
      throw Napi::RangeError::New(env, "Expected one label per prompt (" + std::to_string(queries) + "), received " +
                                           std::to_string(array.Length()));
    }
    auto labels = std::make_shared<std::vector<std::string>>();
    for (uint32_t i = 0; i < array.Length(); ++i) {
      Napi::Value label = array.Get(i);
      if (!label.IsString()) throw Napi::TypeError::New(env, "Expected a string for labels[" + std::to_string(i) + "]");
      labels->push_back(label.As<Napi::String>().Utf8Value());
    }
    const int dim = queries > 0 ? static_cast<int>(embeds.ElementLength() / static_cast<size_t>(queries)) : 0;
    // Prompts first, labels next: a frame parsed in between is labelled with the previous text once.
    if (!OwlDsSetPrompts(embeds.Data(), queries, dim, thresholds.Data())) {
      throw Napi::RangeError::New(env, OwlDsLastError());
    }
    if (DsPipeline* pipeline = link_.engine()) pipeline->SetLabels(std::move(labels));
    return env.Undefined();
  });
}

Napi::Value DsPipelineWrap::Stats(const Napi::CallbackInfo& info) { return link_.Stats(info.Env()); }

Napi::Value DsPipelineWrap::Stop(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value { return link_.Stop(info.Env()); });
}

}  // namespace owl::ds
