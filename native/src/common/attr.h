// SPDX-License-Identifier: Apache-2.0
// Typed reads of the values TS hands to the addon. TS validates and fills defaults (ts/pipeline/options.ts);
// these are the cheap guards that remain, with field names identical on both sides. Each throws
// Napi::TypeError "Expected <kind> for <field> but received <value>" (common/expected.h), naming the field
// as path.name for the Attr* forms.
#pragma once

#include <napi.h>

#include <array>
#include <cstdint>
#include <string>

namespace owl {

/** 2^53 - 1: the largest integer a JS number holds exactly (ids and times in ms stay below it). */
inline constexpr double kMaxSafeInteger = 9007199254740991.0;

/** What a refused value was, for messages: undefined, null, 1.5, a string, Float64Array, an Array, an object. */
std::string DescribeValue(const Napi::Value& value);

/** Throws Napi::TypeError "Expected <expected> for <field> but received <DescribeValue(value)>". */
[[noreturn]] void ThrowExpected(const Napi::Value& value, const std::string& expected, const std::string& field);

int32_t ValueAsInt32(const Napi::Value& value, const std::string& field);
double ValueAsDouble(const Napi::Value& value, const std::string& field);
std::array<float, 3> ValueAsFloat3(const Napi::Value& value, const std::string& field);
Napi::Uint8Array ValueAsUint8Array(const Napi::Value& value, const std::string& field);

Napi::Object AttrAsObject(const Napi::Object& object, const char* name, const std::string& path);
/** Also accepts null, returned as an empty Napi::Object (IsEmpty()). */
Napi::Object AttrAsObjectOrNull(const Napi::Object& object, const char* name, const std::string& path);
std::string AttrAsString(const Napi::Object& object, const char* name, const std::string& path);
int32_t AttrAsInt32(const Napi::Object& object, const char* name, const std::string& path);
double AttrAsDouble(const Napi::Object& object, const char* name, const std::string& path);
bool AttrAsBool(const Napi::Object& object, const char* name, const std::string& path);
std::array<float, 3> AttrAsFloat3(const Napi::Object& object, const char* name, const std::string& path);
Napi::Array AttrAsArray(const Napi::Object& object, const char* name, const std::string& path);
/** A Float32Array, read in place (no copy). */
Napi::Float32Array AttrAsFloat32Array(const Napi::Object& object, const char* name, const std::string& path);

}  // namespace owl
