// SPDX-License-Identifier: Apache-2.0
#include "common/js_error.h"

namespace owl {

Napi::Error ToJsError(Napi::Env env, const ErrorInfo& info) {
  Napi::Error error = Napi::Error::New(env, info.message);
  error.Set("code", Napi::String::New(env, info.code));
  error.Set("domain", Napi::String::New(env, info.domain));
  return error;
}

Napi::Object ToJsErrorObject(Napi::Env env, const ErrorInfo& info) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("message", Napi::String::New(env, info.message));
  object.Set("code", Napi::String::New(env, info.code));
  object.Set("domain", Napi::String::New(env, info.domain));
  object.Set("source", Napi::String::New(env, info.source));
  return object;
}

}  // namespace owl
