// SPDX-License-Identifier: Apache-2.0
#include "common/attr.h"

#include <cmath>
#include <limits>

namespace owl {
namespace {

std::string TypeName(const Napi::Value& value) {
  if (value.IsUndefined()) return "undefined";
  if (value.IsNull()) return "null";
  if (value.IsArray()) return "array";
  if (value.IsNumber()) return "number " + std::to_string(value.As<Napi::Number>().DoubleValue());
  if (value.IsString()) return "string";
  if (value.IsBoolean()) return "boolean";
  if (value.IsFunction()) return "function";
  return "object";
}

[[noreturn]] void ThrowExpected(Napi::Env env, const char* kind, const std::string& path, const char* name,
                                const Napi::Value& value) {
  std::string full = path.empty() ? name : path + "." + name;
  throw Napi::TypeError::New(env, std::string("Expected ") + kind + " for " + full + " but received " +
                                      TypeName(value));
}

}  // namespace

Napi::Object AttrAsObject(const Napi::Object& object, const char* name, const std::string& path) {
  Napi::Value value = object.Get(name);
  if (!value.IsObject() || value.IsArray()) ThrowExpected(object.Env(), "an object", path, name, value);
  return value.As<Napi::Object>();
}

Napi::Object AttrAsObjectOrNull(const Napi::Object& object, const char* name, const std::string& path) {
  Napi::Value value = object.Get(name);
  if (value.IsNull()) return Napi::Object();
  if (!value.IsObject() || value.IsArray()) ThrowExpected(object.Env(), "an object or null", path, name, value);
  return value.As<Napi::Object>();
}

std::string AttrAsString(const Napi::Object& object, const char* name, const std::string& path) {
  Napi::Value value = object.Get(name);
  if (!value.IsString()) ThrowExpected(object.Env(), "a string", path, name, value);
  return value.As<Napi::String>().Utf8Value();
}

int32_t AttrAsInt32(const Napi::Object& object, const char* name, const std::string& path) {
  Napi::Value value = object.Get(name);
  double number = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : NAN;
  if (!std::isfinite(number) || std::trunc(number) != number ||
      number < std::numeric_limits<int32_t>::min() || number > std::numeric_limits<int32_t>::max()) {
    ThrowExpected(object.Env(), "a 32-bit integer", path, name, value);
  }
  return static_cast<int32_t>(number);
}

double AttrAsDouble(const Napi::Object& object, const char* name, const std::string& path) {
  Napi::Value value = object.Get(name);
  if (!value.IsNumber() || !std::isfinite(value.As<Napi::Number>().DoubleValue())) {
    ThrowExpected(object.Env(), "a finite number", path, name, value);
  }
  return value.As<Napi::Number>().DoubleValue();
}

bool AttrAsBool(const Napi::Object& object, const char* name, const std::string& path) {
  Napi::Value value = object.Get(name);
  if (!value.IsBoolean()) ThrowExpected(object.Env(), "a boolean", path, name, value);
  return value.As<Napi::Boolean>().Value();
}

std::array<float, 3> AttrAsFloat3(const Napi::Object& object, const char* name, const std::string& path) {
  Napi::Value value = object.Get(name);
  if (!value.IsArray() || value.As<Napi::Array>().Length() != 3) {
    ThrowExpected(object.Env(), "an array of 3 numbers", path, name, value);
  }
  Napi::Array array = value.As<Napi::Array>();
  std::array<float, 3> out{};
  for (uint32_t i = 0; i < 3; ++i) {
    Napi::Value item = array.Get(i);
    if (!item.IsNumber()) ThrowExpected(object.Env(), "an array of 3 numbers", path, name, value);
    out[i] = item.As<Napi::Number>().FloatValue();
  }
  return out;
}

Napi::Array AttrAsArray(const Napi::Object& object, const char* name, const std::string& path) {
  Napi::Value value = object.Get(name);
  if (!value.IsArray()) ThrowExpected(object.Env(), "an array", path, name, value);
  return value.As<Napi::Array>();
}

}  // namespace owl
