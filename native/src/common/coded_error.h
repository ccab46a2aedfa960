// SPDX-License-Identifier: Apache-2.0
// The native layer's one error type: a message for people plus a stable code and the domain that raised
// it (a GError quark name, or "owl" for our own checks). Plain C++ so core classes can throw it; entry
// points turn it into a JS Error with `code` and `domain` properties (js_error.h).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace owl {

/** What crosses threads and the JS boundary for a failure. */
struct ErrorInfo {
  std::string message;
  std::string code;
  std::string domain;
  /**
   * The part of a running pipeline that failed: the name of the element that posted the error (e.g. "broker",
   * "infer", "enc" in the DeepStream description) or "output" (the RTSP mount); "" for failures of a call.
   */
  std::string source = "";
};

/** Domain of errors raised by owl-stream's own checks (as opposed to GLib/GStreamer domains). */
inline constexpr const char* kOwlErrorDomain = "owl";

class CodedError : public std::runtime_error {
 public:
  explicit CodedError(ErrorInfo info) : std::runtime_error(info.message), info_(std::move(info)) {}
  CodedError(std::string message, std::string code, std::string domain = kOwlErrorDomain)
      : CodedError(ErrorInfo{std::move(message), std::move(code), std::move(domain)}) {}
  const ErrorInfo& info() const { return info_; }

 private:
  ErrorInfo info_;
};

}  // namespace owl
