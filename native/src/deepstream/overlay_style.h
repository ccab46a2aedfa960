// SPDX-License-Identifier: Apache-2.0
// How nvdsosd draws a stream's objects: set per object by the report probe (frame_report.h), from one style
// snapshot per frame (the style changes while the pipeline plays: DsPipeline::SetOverlayStyle).
#pragma once

#include <array>
#include <vector>

namespace owl::ds {

struct OverlayStyle {
  unsigned line_width = 3;
  unsigned font_size = 18;  // 0: no labels
  bool show_scores = false;
  std::vector<std::array<double, 3>> palette{{1.0, 0.0, 0.0}};  // RGB in [0,1]; prompt i: palette[i % size]
};

}  // namespace owl::ds
