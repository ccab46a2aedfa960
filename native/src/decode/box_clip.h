// SPDX-License-Identifier: Apache-2.0
// Detections as objects of a frame: each box clipped to the frame, and one with nothing left inside it (wholly
// outside, or no area) dropped. The decode core maps boxes back through the square padding as NanoOWL does,
// so a box may reach into the padding, beyond the frame; metadata and drawing want what the frame shows.
// Pure C++ like the rest of the decode core.
#pragma once

#include <vector>

#include "decode/owl_decode.h"

namespace owl {

/** [sync] Clips every box to [0,width] x [0,height] in place, keeping the order; drops those left empty. */
void ClipToFrame(std::vector<Detection>& detections, float width, float height);

}  // namespace owl
