// SPDX-License-Identifier: Apache-2.0
// The one rendering of a refused value in the native code: "Expected <what> for <field> but received <value>"
// (the template the TS side renders with ts/errors/expected.ts). Plain C++ (no Node, no GLib): the decode core
// and the DeepStream parser use it as well as the N-API guards (common/attr.h).
#pragma once

#include <sstream>
#include <string>

namespace owl {

/** "Expected <expected> for <field> but received <received>". */
inline std::string ExpectedMessage(const std::string& expected, const std::string& field,
                                   const std::string& received) {
  return "Expected " + expected + " for " + field + " but received " + received;
}

/** A number or other streamable value as text for `received` (1.5, nan, -5). */
template <typename T>
std::string Shown(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace owl
