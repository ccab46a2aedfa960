// SPDX-License-Identifier: Apache-2.0
#include "decode/box_clip.h"

#include <algorithm>

namespace owl {

void ClipToFrame(std::vector<Detection>& detections, float width, float height) {
  auto kept = detections.begin();
  for (Detection d : detections) {
    d.x0 = std::clamp(d.x0, 0.f, width);
    d.x1 = std::clamp(d.x1, 0.f, width);
    d.y0 = std::clamp(d.y0, 0.f, height);
    d.y1 = std::clamp(d.y1, 0.f, height);
    if (d.x1 > d.x0 && d.y1 > d.y0) *kept++ = d;  // NaN coordinates fail this too
  }
  detections.erase(kept, detections.end());
}

}  // namespace owl
