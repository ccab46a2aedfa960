// SPDX-License-Identifier: Apache-2.0
// N-API surface of the decode core. Inputs are read in place through the typed arrays' data pointers
// (no copies of the per-frame tensors); only cheap type and length checks live here, the rest is the
// core's. TypeError = wrong JS type; RangeError = a value or shape the core rejects (DecodeError).
#include "decode/decode_binding.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "decode/owl_decode.h"
#include "decode/preprocess.h"

namespace owl {
namespace {

std::string TypedArrayName(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "a typed array";
  }
}

// What a wrong value was, for messages ("but received Float64Array").
std::string Describe(const Napi::Value& value) {
  if (value.IsUndefined()) return "undefined";
  if (value.IsNull()) return "null";
  if (value.IsNumber()) {
    std::string text = std::to_string(value.As<Napi::Number>().DoubleValue());
    text.erase(text.find_last_not_of('0') + 1);
    if (!text.empty() && text.back() == '.') text.pop_back();
    return text;
  }
  if (value.IsString()) return "a string";
  if (value.IsBoolean()) return "a boolean";
  if (value.IsTypedArray()) return TypedArrayName(value.As<Napi::TypedArray>().TypedArrayType());
  if (value.IsArray()) return "an Array";
  if (value.IsFunction()) return "a function";
  return "an object";
}

[[noreturn]] void ThrowType(Napi::Env env, const std::string& expected, const std::string& field,
                            const Napi::Value& received) {
  throw Napi::TypeError::New(env, "Expected " + expected + " for " + field + " but received " + Describe(received));
}

[[noreturn]] void ThrowLength(Napi::Env env, const std::string& expected, const std::string& field,
                              std::size_t received, const char* unit = "elements") {
  throw Napi::RangeError::New(env, "Expected " + expected + " for " + field + " but received " +
                                       std::to_string(received) + " " + unit);
}

Napi::Object ObjectArg(const Napi::CallbackInfo& info, std::size_t index, const char* name) {
  const Napi::Value value = info[index];
  if (!value.IsObject()) ThrowType(info.Env(), "an object", name, value);
  return value.As<Napi::Object>();
}

template <typename Array>
Array TypedArrayField(const Napi::Value& value, napi_typedarray_type type, const std::string& field) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
    ThrowType(value.Env(), "a " + TypedArrayName(type), field, value);
  }
  return value.As<Array>();
}

Napi::Float32Array Float32Field(const Napi::Object& object, const char* key, const std::string& field) {
  return TypedArrayField<Napi::Float32Array>(object.Get(key), napi_float32_array, field);
}

double NumberValue(const Napi::Value& value, const std::string& field) {
  if (!value.IsNumber()) ThrowType(value.Env(), "a number", field, value);
  return value.As<Napi::Number>().DoubleValue();
}

int IntValue(const Napi::Value& value, const std::string& field) {
  const double number = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : std::nan("");
  if (!std::isfinite(number) || number != std::trunc(number) || number < std::numeric_limits<int>::min() ||
      number > std::numeric_limits<int>::max()) {
    ThrowType(value.Env(), "an integer", field, value);
  }
  return static_cast<int>(number);
}

// The image outputs, read in place; each array's length is checked against numPatches/embedDim.
ImageOutputs ReadImage(const Napi::Object& object) {
  const Napi::Env env = object.Env();
  const Napi::Float32Array class_embeds = Float32Field(object, "classEmbeds", "image.classEmbeds");
  const Napi::Float32Array shift = Float32Field(object, "logitShift", "image.logitShift");
  const Napi::Float32Array scale = Float32Field(object, "logitScale", "image.logitScale");
  const Napi::Float32Array boxes = Float32Field(object, "boxes", "image.boxes");
  ImageOutputs image;
  image.num_patches = IntValue(object.Get("numPatches"), "image.numPatches");
  image.embed_dim = IntValue(object.Get("embedDim"), "image.embedDim");
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
  const Napi::Float32Array text = Float32Field(object, "textEmbeds", "prompts.textEmbeds");
  const int num_queries = IntValue(object.Get("numQueries"), "prompts.numQueries");
  const Napi::Float32Array thresholds = Float32Field(object, "thresholds", "prompts.thresholds");
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

// Runs body, turning core errors into JS exceptions with the core's message.
template <typename Body>
Napi::Value Guarded(const Napi::CallbackInfo& info, Body body) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::invalid_argument& e) {  // DecodeError and preprocess's validation
    throw Napi::RangeError::New(info.Env(), e.what());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("owl decode: ") + e.what());
  }
}

Napi::Value JsDecode(const Napi::CallbackInfo& info) {
  return Guarded(info, [&]() -> Napi::Value {
    const Napi::Env env = info.Env();
    const ImageOutputs image = ReadImage(ObjectArg(info, 0, "image"));
    const PromptSet prompts = ReadPrompts(ObjectArg(info, 1, "prompts"));
    const Napi::Object options = ObjectArg(info, 2, "options");
    FrameGeometry geometry;
    geometry.frame_width = IntValue(options.Get("frameWidth"), "options.frameWidth");
    geometry.frame_height = IntValue(options.Get("frameHeight"), "options.frameHeight");
    DecodeOptions decode_options;
    decode_options.nms_iou = static_cast<float>(NumberValue(options.Get("nmsIou"), "options.nmsIou"));
    decode_options.max_detections = IntValue(options.Get("maxDetections"), "options.maxDetections");

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
  return Guarded(info, [&]() -> Napi::Value {
    const ImageOutputs image = ReadImage(ObjectArg(info, 0, "image"));
    const PromptSet prompts = ReadPrompts(ObjectArg(info, 1, "prompts"));
    const std::vector<float> logits = owl::ComputeLogits(image, prompts);
    Napi::Float32Array out = Napi::Float32Array::New(info.Env(), logits.size());
    std::copy(logits.begin(), logits.end(), out.Data());
    return out;
  });
}

void ReadTriple(const Napi::Value& value, const char* field, float out[3]) {
  if (!value.IsArray() || value.As<Napi::Array>().Length() != 3) ThrowType(value.Env(), "3 numbers", field, value);
  const Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < 3; ++i) {
    out[i] = static_cast<float>(NumberValue(array.Get(i), std::string(field) + "[" + std::to_string(i) + "]"));
  }
}

Napi::Value JsPreprocess(const Napi::CallbackInfo& info) {
  return Guarded(info, [&]() -> Napi::Value {
    const Napi::Env env = info.Env();
    const Napi::Uint8Array rgb = TypedArrayField<Napi::Uint8Array>(info[0], napi_uint8_array, "rgb");
    const int width = IntValue(info[1], "width");
    const int height = IntValue(info[2], "height");
    const int input_size = IntValue(info[3], "inputSize");
    float mean[3];
    float std[3];
    ReadTriple(info[4], "mean", mean);
    ReadTriple(info[5], "std", std);
    if (width > 0 && height > 0 && rgb.ElementLength() != static_cast<std::size_t>(width) * height * 3) {
      ThrowLength(env, std::to_string(static_cast<std::size_t>(width) * height * 3) + " bytes (width * height * 3)",
                  "rgb", rgb.ElementLength(), "bytes");
    }
    if (input_size <= 0) throw Napi::RangeError::New(env, "Expected a positive integer for inputSize but received " +
                                                              std::to_string(input_size));
    // A V8-owned buffer (not an external one) so the caller can transfer it to a worker.
    Napi::Float32Array out = Napi::Float32Array::New(env, 3 * static_cast<std::size_t>(input_size) * input_size);
    PreprocessInto(rgb.Data(), width, height, width * 3, input_size, mean, std, out.Data());
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
