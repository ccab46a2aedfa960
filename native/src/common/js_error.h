// SPDX-License-Identifier: Apache-2.0
// Turning native failures into JS exceptions at N-API entry points (C++ exceptions mode is on).
#pragma once

#include <napi.h>

#include <exception>
#include <stdexcept>

#include "common/coded_error.h"

namespace owl {

/** A JS Error carrying info.message, with `code` and `domain` properties. */
Napi::Error ToJsError(Napi::Env env, const ErrorInfo& info);

/** The plain object {message, code, domain, source} used for error events. */
Napi::Object ToJsErrorObject(Napi::Env env, const ErrorInfo& info);

/**
 * Runs an entry point's body and rethrows anything it throws as a JS exception: Napi::Error as is,
 * CodedError with its code and domain, std::invalid_argument (a value or shape a pure C++ core refuses, e.g.
 * owl::DecodeError) as a RangeError, any other std::exception as a plain Error with its message.
 */
template <typename Body>
auto Guarded(Napi::Env env, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const CodedError& e) {
    throw ToJsError(env, e.info());
  } catch (const std::invalid_argument& e) {
    throw Napi::RangeError::New(env, e.what());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
}

}  // namespace owl
