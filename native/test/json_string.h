// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY: a C string as a JSON string literal, for the tools that print what GLib or GStreamer read
// (keyfile_dump.cc, gst_parse_check.cc) as one JSON line.
#pragma once

#include <cstdio>
#include <string>

inline std::string JsonString(const char* s) {
  std::string out = "\"";
  for (const char* p = s; *p; ++p) {
    const unsigned char ch = static_cast<unsigned char>(*p);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", ch);
      out += buf;
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}
