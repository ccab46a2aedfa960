// SPDX-License-Identifier: Apache-2.0
// N-API surface of the decode core. Inputs are read in place through the typed arrays' data pointers
// (no copies of the per-frame tensors); only cheap type and length checks live here (common/attr.h), the rest
// is the core's. TypeError = wrong JS type; RangeError = a value or shape the core rejects (DecodeError).
#include "decode/decode_binding.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/attr.h"
#include "common/expected.h"
#include "common/js_error.h"
#include "decode/owl_decode.h"
#include "decode/preprocess.h"

namespace owl {
namespace {

[[noreturn]] void ThrowLength(Napi::Env env, const std::string& expected, const std::string& field,
                              std::size_t received, const char* unit = "elements") {
  throw Napi::RangeError::New(env, ExpectedMessage(expected, field, std::to_string(received) + " " + unit));
}

Napi::Object ObjectArg(const Napi::CallbackInfo& info, std::size_t index, const char* name) {
  const Napi::Value value = info[index];
  if (!value.IsObject()) ThrowExpected(value, "an object", name);
  return value.As<Napi::Object>();
}

// The image outputs, read in place; each array's length is checked against numPatches/embedDim.
ImageOutputs ReadImage(const Napi::Object& object) {
  const Napi::Env env = object.Env();
  const Napi::Float32Array class_embeds = AttrAsFloat32Array(object, "classEmbeds", "image");
  const Napi::Float32Array shift = AttrAsFloat32Array(object, "logitShift", "image");
  const Napi::Float32Array scale = AttrAsFloat32Array(object, "logitScale", "image");
  const Napi::Float32Array boxes = AttrAsFloat32Array(object, "boxes", "image");
  ImageOutputs image;
  image.num_patches = AttrAsInt32(object, "numPatches", "image");
  image.embed_dim = AttrAsInt32(object, "embedDim", "image");
  if (image.num_patches > 0 && image.embed_dim > 0) {  // otherwise the core names the bad count
    const std::size_t p = image.num_patches;
    const std::string patches = "numPatches " + std::to_string(p);
    if (class_embeds.ElementLength() != p * image.embed_dim) {
      ThrowLength(env, std::to_string(p * image.embed_dim) + " elements (" + patches + " * embedDim " +
                           std::to_string(image.embed_dim) + ")",
                  "image.classEmbeds", class_embeds.ElementLength());
    }
    if (shift.ElementLength() != p) ThrowLength(env, std::to_string(p) + " elements (" + patches + ")",
                                                "image.logitShift", shift.ElementLength());
    if (scale.ElementLength() != p) ThrowLength(env, std::to_string(p) + " elements (" + patches + ")",
                                                "image.logitScale", scale.ElementLength());
    if (boxes.ElementLength() != p * 4) ThrowLength(env, std::to_string(p * 4) + " elements (" + patches + " * 4)",
                                                    "image.boxes", boxes.ElementLength());
  }
  image.class_embeds = class_embeds.Data();
  image.logit_shift = shift.Data();
  image.logit_scale = scale.Data();
  image.boxes = boxes.Data();
  return image;
}

PromptSet ReadPrompts(const Napi::Object& object) {
  const Napi::Float32Array text = AttrAsFloat32Array(object, "textEmbeds", "prompts");
  const int num_queries = AttrAsInt32(object, "numQueries", "prompts");
  const Napi::Float32Array thresholds = AttrAsFloat32Array(object, "thresholds", "prompts");
  int embed_dim = 0;
  if (num_queries > 0) {
    if (text.ElementLength() % num_queries != 0) {
      ThrowLength(object.Env(), "a multiple of numQueries " + std::to_string(num_queries), "prompts.textEmbeds",
                  text.ElementLength());
    }
    embed_dim = static_cast<int>(text.ElementLength() / num_queries);
  }
  const std::vector<float> threshold_values(thresholds.Data(), thresholds.Data() + thresholds.ElementLength());
  return MakePromptSet(text.Data(), num_queries, embed_dim, threshold_values);
}

Napi::Value JsDecode(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    const Napi::Env env = info.Env();
    const ImageOutputs image = ReadImage(ObjectArg(info, 0, "image"));
    const PromptSet prompts = ReadPrompts(ObjectArg(info, 1, "prompts"));
    const Napi::Object options = ObjectArg(info, 2, "options");
    FrameGeometry geometry;
    geometry.frame_width = AttrAsInt32(options, "frameWidth", "options");
    geometry.frame_height = AttrAsInt32(options, "frameHeight", "options");
    geometry.input_size = AttrAsInt32(options, "inputSize", "options");
    DecodeOptions decode_options;
    decode_options.nms_iou = static_cast<float>(AttrAsDouble(options, "nmsIou", "options"));
    decode_options.max_detections = AttrAsInt32(options, "maxDetections", "options");

    const std::vector<Detection> detections = owl::Decode(image, prompts, geometry, decode_options);
    const std::size_t n = detections.size();
    Napi::Int32Array labels = Napi::Int32Array::New(env, n);
    Napi::Float32Array scores = Napi::Float32Array::New(env, n);
    Napi::Float32Array boxes = Napi::Float32Array::New(env, n * 4);
    for (std::size_t i = 0; i < n; ++i) {
      const Detection& d = detections[i];
      labels[i] = d.label;
      scores[i] = d.score;
      float* box = boxes.Data() + i * 4;
      box[0] = d.x0;
      box[1] = d.y0;
      box[2] = d.x1;
      box[3] = d.y1;
    }
    Napi::Object result = Napi::Object::New(env);
    result.Set("labels", labels);
    result.Set("scores", scores);
    result.Set("boxes", boxes);
    return result;
  });
}

Napi::Value JsComputeLogits(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    const ImageOutputs image = ReadImage(ObjectArg(info, 0, "image"));
    const PromptSet prompts = ReadPrompts(ObjectArg(info, 1, "prompts"));
    const std::vector<float> logits = owl::ComputeLogits(image, prompts);
    Napi::Float32Array out = Napi::Float32Array::New(info.Env(), logits.size());
    std::copy(logits.begin(), logits.end(), out.Data());
    return out;
  });
}

Napi::Value JsPreprocess(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    const Napi::Env env = info.Env();
    const Napi::Uint8Array rgb = ValueAsUint8Array(info[0], "rgb");
    const int width = ValueAsInt32(info[1], "width");
    const int height = ValueAsInt32(info[2], "height");
    const int input_size = ValueAsInt32(info[3], "inputSize");
    const std::array<float, 3> mean = ValueAsFloat3(info[4], "mean");
    const std::array<float, 3> std = ValueAsFloat3(info[5], "std");
    if (width > 0 && height > 0 && rgb.ElementLength() != static_cast<std::size_t>(width) * height * 3) {
      ThrowLength(env, std::to_string(static_cast<std::size_t>(width) * height * 3) + " bytes (width * height * 3)",
                  "rgb", rgb.ElementLength(), "bytes");
    }
    if (input_size <= 0) {
      throw Napi::RangeError::New(env, ExpectedMessage("a positive integer", "inputSize", std::to_string(input_size)));
    }
    // A V8-owned buffer (not an external one) so the caller can transfer it to a worker.
    Napi::Float32Array out = Napi::Float32Array::New(env, 3 * static_cast<std::size_t>(input_size) * input_size);
    PreprocessInto(rgb.Data(), width, height, width * 3, input_size, mean.data(), std.data(), out.Data());
    return out;
  });
}

}  // namespace

void InitDecodeBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("decode", Napi::Function::New(env, JsDecode, "decode"));
  exports.Set("computeLogits", Napi::Function::New(env, JsComputeLogits, "computeLogits"));
  exports.Set("preprocess", Napi::Function::New(env, JsPreprocess, "preprocess"));
}

}  // namespace owl
