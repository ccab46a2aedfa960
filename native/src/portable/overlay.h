// SPDX-License-Identifier: Apache-2.0
// The detections the video branch draws, as an immutable snapshot built once per setDetections on the JS
// thread: boxes in source-frame pixels with their palette colour and track id, and each label pre-rendered by
// cairo (text on a filled background). The streaming thread only reads snapshots (overlay_painter.h); with a
// tracker it draws a tracked item where its track is predicted at each frame's time, else at the item's box.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace owl {

using Rgb = std::array<uint8_t, 3>;

struct OverlayStyle {
  int line_width = 3;
  /** Label text height in output pixels; 0 draws no labels. */
  int font_size = 16;
  /** Box colour of prompt index i is palette[i % size]; never empty. */
  std::vector<Rgb> palette;
};

/** One box as setDetections receives it. */
struct OverlayBoxInput {
  float x0, y0, x1, y1;  // source-frame pixels
  int color;             // palette index (the prompt index)
  std::string text;      // empty: no label
  uint64_t track_id;     // the tracker's id of its object, 0: untracked
};

/** A label rendered once: opaque RGB pixels, even width and height (so chroma planes align). */
struct OverlayLabel {
  int width = 0;
  int height = 0;
  std::vector<Rgb> pixels;  // row-major, width * height
};

struct OverlayItem {
  float x0, y0, x1, y1;  // source-frame pixels
  Rgb color;
  OverlayLabel label;
  uint64_t track_id;  // 0: untracked
};

struct OverlaySnapshot {
  int64_t frame_id = -1;
  int line_width = 0;
  std::vector<OverlayItem> items;
};

/** [sync] Renders the labels and resolves colours. JS thread; throws std::runtime_error if cairo fails. */
std::shared_ptr<const OverlaySnapshot> RenderOverlay(int64_t frame_id, const std::vector<OverlayBoxInput>& boxes,
                                                     const OverlayStyle& style);

}  // namespace owl
