// SPDX-License-Identifier: Apache-2.0
// The input side's first part: a bin with one "src" pad of decoded raw video, whatever the input kind.
//   rtsp: rtspsrc (tcp or udp, latency) -> decodebin (first video stream only)
//   file: filesrc -> decodebin (first video stream only)
//   test: videotestsrc is-live -> WxH@fps
#pragma once

#include <gst/gst.h>

#include "portable/pipeline_options.h"

namespace owl {

/**
 * [sync] Checks what can be checked before any attempt, so start() fails with a clear message: a missing
 * file ("ENOENT" naming the path), an unknown test pattern ("EINVAL"), missing plugins ("ENOPLUGIN").
 */
void CheckInput(const InputOptions& input);

/** [sync] A new floating bin for the input; throws CodedError "ENOPLUGIN" when an element is missing. */
GstElement* MakeSourceBin(const InputOptions& input, int stall_timeout_ms);

}  // namespace owl
