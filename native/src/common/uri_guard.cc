// SPDX-License-Identifier: Apache-2.0
#include "common/uri_guard.h"

#include <cstdio>

#include "common/expected.h"

namespace owl {

size_t FindUnsafeUriByte(const std::string& text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte <= 0x20 || byte == 0x7f) return i;
  }
  return std::string::npos;
}

void RequireUriText(Napi::Env env, const std::string& text, const std::string& field) {
  const size_t at = FindUnsafeUriByte(text);
  if (at == std::string::npos) return;
  char byte[8];
  std::snprintf(byte, sizeof(byte), "0x%02X", static_cast<unsigned char>(text[at]));
  // The byte's value, never the byte: the message may reach a log.
  throw Napi::TypeError::New(env, ExpectedMessage("text without control characters or whitespace", field,
                                                  "byte " + std::to_string(at + 1) + " = " + byte));
}

}  // namespace owl
