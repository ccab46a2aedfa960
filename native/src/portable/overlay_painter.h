// SPDX-License-Identifier: Apache-2.0
// Draws an overlay snapshot straight into planar 4:2:0 frames (I420) on the video branch's streaming
// thread: box bands and pre-rendered labels are written into the Y, U and V planes, so there is no
// per-frame colourspace round trip. Labels are converted to YUV once per snapshot and frame format.
#pragma once

#include <gst/video/video.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "portable/overlay.h"

namespace owl {

/** Used by one streaming thread at a time (not thread-safe). */
class OverlayPainter {
 public:
  /** The colour matrix and range of the frames to come, from their caps. */
  void SetFormat(const GstVideoInfo& info);
  /** Where one item is drawn this frame: x0, y0, x1, y1 in source-frame pixels; a NaN x0 hides it. */
  using Placement = std::array<float, 4>;

  /**
   * Draws the snapshot into a mapped, writable 4:2:0 frame; coordinates are scaled by (sx, sy). `placements`,
   * when given, has one entry per item and moves it there (the tracker's prediction for this frame).
   */
  void Paint(GstVideoFrame* frame, const std::shared_ptr<const OverlaySnapshot>& snapshot, double sx, double sy,
             const std::vector<Placement>* placements = nullptr);

 private:
  struct Yuv {
    uint8_t y, u, v;
  };
  struct LabelPlanes {
    int width, height;
    std::vector<uint8_t> y, u, v;  // full resolution, then half in each direction
  };

  Yuv ToYuv(const Rgb& rgb) const;
  void ConvertLabels(const OverlaySnapshot& snapshot);
  static void FillRect(GstVideoFrame* frame, int x0, int y0, int x1, int y1, const Yuv& color);
  static void PutLabel(GstVideoFrame* frame, int x, int y, const LabelPlanes& label);

  double kr_ = 0.299;
  double kb_ = 0.114;
  bool full_range_ = false;
  std::shared_ptr<const OverlaySnapshot> converted_for_;  // pins the snapshot whose labels_ are cached
  std::vector<LabelPlanes> labels_;                       // one per snapshot item
};

}  // namespace owl
