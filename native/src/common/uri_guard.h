// SPDX-License-Identifier: Apache-2.0
// The native side's last guard on text that GStreamer writes into requests to other servers (rtspsrc puts its
// location into the RTSP request line): no control character and no whitespace, whatever TS let through. TS
// validates every URL first (ts/config/url-policy.ts); this is defence in depth, not the policy.
#pragma once

#include <napi.h>

#include <string>

namespace owl {

/** The 0-based index of the first byte below 0x21 or equal to 0x7f in `text`, or npos when there is none. */
size_t FindUnsafeUriByte(const std::string& text);

/** [sync] Throws Napi::TypeError naming `field` and the byte's position when FindUnsafeUriByte finds one. */
void RequireUriText(Napi::Env env, const std::string& text, const std::string& field);

}  // namespace owl
