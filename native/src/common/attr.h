// SPDX-License-Identifier: Apache-2.0
// Typed reads of the normalised option objects that TS hands to the addon. TS validates and fills
// defaults (ts/pipeline/options.ts); these are the cheap guards that remain, with field names identical
// on both sides. Each throws Napi::TypeError "Expected <kind> for <path> but received <type>".
#pragma once

#include <napi.h>

#include <array>
#include <cstdint>
#include <string>

namespace owl {

Napi::Object AttrAsObject(const Napi::Object& object, const char* name, const std::string& path);
/** Also accepts null, returned as an empty Napi::Object (IsEmpty()). */
Napi::Object AttrAsObjectOrNull(const Napi::Object& object, const char* name, const std::string& path);
std::string AttrAsString(const Napi::Object& object, const char* name, const std::string& path);
int32_t AttrAsInt32(const Napi::Object& object, const char* name, const std::string& path);
double AttrAsDouble(const Napi::Object& object, const char* name, const std::string& path);
bool AttrAsBool(const Napi::Object& object, const char* name, const std::string& path);
std::array<float, 3> AttrAsFloat3(const Napi::Object& object, const char* name, const std::string& path);
Napi::Array AttrAsArray(const Napi::Object& object, const char* name, const std::string& path);

}  // namespace owl
