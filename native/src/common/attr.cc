// SPDX-License-Identifier: Apache-2.0
#include "common/attr.h"

#include <cmath>
#include <limits>

#include "common/expected.h"

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

std::string FieldName(const std::string& path, const char* name) {
  return path.empty() ? name : path + "." + name;
}

template <typename Array>
Array ValueAsTypedArray(const Napi::Value& value, napi_typedarray_type type, const std::string& field) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
    ThrowExpected(value, "a " + TypedArrayName(type), field);
  }
  return value.As<Array>();
}

}  // namespace

std::string DescribeValue(const Napi::Value& value) {
  if (value.IsUndefined()) return "undefined";
  if (value.IsNull()) return "null";
  if (value.IsNumber()) {
    std::string text = std::to_string(value.As<Napi::Number>().DoubleValue());
    if (text.find('.') != std::string::npos) {
      text.erase(text.find_last_not_of('0') + 1);
      if (text.back() == '.') text.pop_back();
    }
    return text;
  }
  if (value.IsString()) return "a string";
  if (value.IsBoolean()) return "a boolean";
  if (value.IsTypedArray()) return TypedArrayName(value.As<Napi::TypedArray>().TypedArrayType());
  if (value.IsArray()) return "an Array";
  if (value.IsFunction()) return "a function";
  return "an object";
}

void ThrowExpected(const Napi::Value& value, const std::string& expected, const std::string& field) {
  throw Napi::TypeError::New(value.Env(), ExpectedMessage(expected, field, DescribeValue(value)));
}

int32_t ValueAsInt32(const Napi::Value& value, const std::string& field) {
  const double number = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : NAN;
  if (!std::isfinite(number) || std::trunc(number) != number || number < std::numeric_limits<int32_t>::min() ||
      number > std::numeric_limits<int32_t>::max()) {
    ThrowExpected(value, "a 32-bit integer", field);
  }
  return static_cast<int32_t>(number);
}

double ValueAsDouble(const Napi::Value& value, const std::string& field) {
  if (!value.IsNumber() || !std::isfinite(value.As<Napi::Number>().DoubleValue())) {
    ThrowExpected(value, "a finite number", field);
  }
  return value.As<Napi::Number>().DoubleValue();
}

std::array<float, 3> ValueAsFloat3(const Napi::Value& value, const std::string& field) {
  if (!value.IsArray() || value.As<Napi::Array>().Length() != 3) ThrowExpected(value, "an array of 3 numbers", field);
  const Napi::Array array = value.As<Napi::Array>();
  std::array<float, 3> out{};
  for (uint32_t i = 0; i < 3; ++i) {
    const Napi::Value item = array.Get(i);
    if (!item.IsNumber()) ThrowExpected(value, "an array of 3 numbers", field);
    out[i] = item.As<Napi::Number>().FloatValue();
  }
  return out;
}

Napi::Uint8Array ValueAsUint8Array(const Napi::Value& value, const std::string& field) {
  return ValueAsTypedArray<Napi::Uint8Array>(value, napi_uint8_array, field);
}

Napi::Object AttrAsObject(const Napi::Object& object, const char* name, const std::string& path) {
  const Napi::Value value = object.Get(name);
  if (!value.IsObject() || value.IsArray()) ThrowExpected(value, "an object", FieldName(path, name));
  return value.As<Napi::Object>();
}

Napi::Object AttrAsObjectOrNull(const Napi::Object& object, const char* name, const std::string& path) {
  const Napi::Value value = object.Get(name);
  if (value.IsNull()) return Napi::Object();
  if (!value.IsObject() || value.IsArray()) ThrowExpected(value, "an object or null", FieldName(path, name));
  return value.As<Napi::Object>();
}

std::string AttrAsString(const Napi::Object& object, const char* name, const std::string& path) {
  const Napi::Value value = object.Get(name);
  if (!value.IsString()) ThrowExpected(value, "a string", FieldName(path, name));
  return value.As<Napi::String>().Utf8Value();
}

int32_t AttrAsInt32(const Napi::Object& object, const char* name, const std::string& path) {
  return ValueAsInt32(object.Get(name), FieldName(path, name));
}

double AttrAsDouble(const Napi::Object& object, const char* name, const std::string& path) {
  return ValueAsDouble(object.Get(name), FieldName(path, name));
}

bool AttrAsBool(const Napi::Object& object, const char* name, const std::string& path) {
  const Napi::Value value = object.Get(name);
  if (!value.IsBoolean()) ThrowExpected(value, "a boolean", FieldName(path, name));
  return value.As<Napi::Boolean>().Value();
}

std::array<float, 3> AttrAsFloat3(const Napi::Object& object, const char* name, const std::string& path) {
  return ValueAsFloat3(object.Get(name), FieldName(path, name));
}

Napi::Array AttrAsArray(const Napi::Object& object, const char* name, const std::string& path) {
  const Napi::Value value = object.Get(name);
  if (!value.IsArray()) ThrowExpected(value, "an array", FieldName(path, name));
  return value.As<Napi::Array>();
}

Napi::Float32Array AttrAsFloat32Array(const Napi::Object& object, const char* name, const std::string& path) {
  return ValueAsTypedArray<Napi::Float32Array>(object.Get(name), napi_float32_array, FieldName(path, name));
}

}  // namespace owl
