// SPDX-License-Identifier: Apache-2.0
#include "portable/overlay_painter.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace owl {
namespace {

uint8_t Clamp8(double value) { return static_cast<uint8_t>(std::clamp(std::lround(value), 0L, 255L)); }

// A coordinate in output pixels, bounded first: a box extrapolated far off the frame must not overflow an int.
int ToPixel(float value, double scale) { return static_cast<int>(std::lround(std::clamp(value * scale, -1e6, 1e6))); }

}  // namespace

void OverlayPainter::SetFormat(const GstVideoInfo& info) {
  double kr = 0.299, kb = 0.114;  // BT.601 when the caps do not say
  if (gst_video_color_matrix_get_Kr_Kb(info.colorimetry.matrix, &kr, &kb)) {
    kr_ = kr;
    kb_ = kb;
  } else {
    kr_ = 0.299;
    kb_ = 0.114;
  }
  full_range_ = info.colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;
  converted_for_.reset();  // labels must be converted again with the new matrix
}

OverlayPainter::Yuv OverlayPainter::ToYuv(const Rgb& rgb) const {
  const double r = rgb[0] / 255.0, g = rgb[1] / 255.0, b = rgb[2] / 255.0;
  const double y = kr_ * r + (1 - kr_ - kb_) * g + kb_ * b;
  const double u = (b - y) / (2 * (1 - kb_));
  const double v = (r - y) / (2 * (1 - kr_));
  if (full_range_) return {Clamp8(y * 255), Clamp8(128 + u * 255), Clamp8(128 + v * 255)};
  return {Clamp8(16 + y * 219), Clamp8(128 + u * 224), Clamp8(128 + v * 224)};
}

void OverlayPainter::ConvertLabels(const OverlaySnapshot& snapshot) {
  labels_.clear();
  labels_.reserve(snapshot.items.size());
  for (const OverlayItem& item : snapshot.items) {
    const OverlayLabel& src = item.label;
    LabelPlanes planes{src.width, src.height, {}, {}, {}};
    planes.y.resize(static_cast<size_t>(src.width) * src.height);
    planes.u.resize(static_cast<size_t>(src.width / 2) * (src.height / 2));
    planes.v.resize(planes.u.size());
    for (int y = 0; y < src.height; ++y) {
      for (int x = 0; x < src.width; ++x) {
        planes.y[static_cast<size_t>(y) * src.width + x] = ToYuv(src.pixels[static_cast<size_t>(y) * src.width + x]).y;
      }
    }
    // Chroma of each 2x2 block from the block's mean colour.
    for (int y = 0; y < src.height / 2; ++y) {
      for (int x = 0; x < src.width / 2; ++x) {
        int sum[3] = {0, 0, 0};
        for (int dy = 0; dy < 2; ++dy) {
          for (int dx = 0; dx < 2; ++dx) {
            const Rgb& p = src.pixels[static_cast<size_t>(2 * y + dy) * src.width + 2 * x + dx];
            for (int c = 0; c < 3; ++c) sum[c] += p[c];
          }
        }
        const Yuv mean = ToYuv({static_cast<uint8_t>(sum[0] / 4), static_cast<uint8_t>(sum[1] / 4),
                                static_cast<uint8_t>(sum[2] / 4)});
        planes.u[static_cast<size_t>(y) * (src.width / 2) + x] = mean.u;
        planes.v[static_cast<size_t>(y) * (src.width / 2) + x] = mean.v;
      }
    }
    labels_.push_back(std::move(planes));
  }
}

void OverlayPainter::FillRect(GstVideoFrame* frame, int x0, int y0, int x1, int y1, const Yuv& color) {
  const int w = GST_VIDEO_FRAME_WIDTH(frame), h = GST_VIDEO_FRAME_HEIGHT(frame);
  x0 = std::max(x0, 0);
  y0 = std::max(y0, 0);
  x1 = std::min(x1, w);
  y1 = std::min(y1, h);
  if (x0 >= x1 || y0 >= y1) return;
  uint8_t* luma = static_cast<uint8_t*>(GST_VIDEO_FRAME_COMP_DATA(frame, 0));
  const int luma_stride = GST_VIDEO_FRAME_COMP_STRIDE(frame, 0);
  for (int y = y0; y < y1; ++y) std::memset(luma + static_cast<size_t>(y) * luma_stride + x0, color.y, x1 - x0);
  // Chroma covers every 2x2 block the rectangle touches.
  const int cx0 = x0 / 2, cx1 = (x1 + 1) / 2, cy0 = y0 / 2, cy1 = (y1 + 1) / 2;
  const uint8_t values[2] = {color.u, color.v};
  for (int c = 1; c <= 2; ++c) {
    uint8_t* plane = static_cast<uint8_t*>(GST_VIDEO_FRAME_COMP_DATA(frame, c));
    const int stride = GST_VIDEO_FRAME_COMP_STRIDE(frame, c);
    for (int y = cy0; y < cy1; ++y) {
      std::memset(plane + static_cast<size_t>(y) * stride + cx0, values[c - 1], cx1 - cx0);
    }
  }
}

void OverlayPainter::PutLabel(GstVideoFrame* frame, int x, int y, const LabelPlanes& label) {
  uint8_t* luma = static_cast<uint8_t*>(GST_VIDEO_FRAME_COMP_DATA(frame, 0));
  const int luma_stride = GST_VIDEO_FRAME_COMP_STRIDE(frame, 0);
  for (int row = 0; row < label.height; ++row) {
    std::memcpy(luma + static_cast<size_t>(y + row) * luma_stride + x,
                label.y.data() + static_cast<size_t>(row) * label.width, label.width);
  }
  const std::vector<uint8_t>* chroma[2] = {&label.u, &label.v};
  for (int c = 1; c <= 2; ++c) {
    uint8_t* plane = static_cast<uint8_t*>(GST_VIDEO_FRAME_COMP_DATA(frame, c));
    const int stride = GST_VIDEO_FRAME_COMP_STRIDE(frame, c);
    for (int row = 0; row < label.height / 2; ++row) {
      std::memcpy(plane + static_cast<size_t>(y / 2 + row) * stride + x / 2,
                  chroma[c - 1]->data() + static_cast<size_t>(row) * (label.width / 2), label.width / 2);
    }
  }
}

void OverlayPainter::Paint(GstVideoFrame* frame, const std::shared_ptr<const OverlaySnapshot>& snapshot, double sx,
                           double sy, const std::vector<Placement>* placements) {
  if (snapshot != converted_for_) {
    ConvertLabels(*snapshot);
    converted_for_ = snapshot;
  }
  const int w = GST_VIDEO_FRAME_WIDTH(frame), h = GST_VIDEO_FRAME_HEIGHT(frame);
  for (size_t i = 0; i < snapshot->items.size(); ++i) {
    const OverlayItem& item = snapshot->items[i];
    const Placement box = placements != nullptr ? (*placements)[i] : Placement{item.x0, item.y0, item.x1, item.y1};
    if (!std::isfinite(box[0]) || !std::isfinite(box[1]) || !std::isfinite(box[2]) || !std::isfinite(box[3])) continue;
    int x0 = ToPixel(std::min(box[0], box[2]), sx);
    int x1 = ToPixel(std::max(box[0], box[2]), sx);
    int y0 = ToPixel(std::min(box[1], box[3]), sy);
    int y1 = ToPixel(std::max(box[1], box[3]), sy);
    // Boxes may extend past the frame (NanoOWL's do): draw the part inside.
    x0 = std::clamp(x0, 0, w);
    x1 = std::clamp(x1, 0, w);
    y0 = std::clamp(y0, 0, h);
    y1 = std::clamp(y1, 0, h);
    if (x1 - x0 < 1 || y1 - y0 < 1) continue;
    const int line = std::max(1, snapshot->line_width);
    const Yuv color = ToYuv(item.color);
    FillRect(frame, x0, y0, x1, y0 + line, color);
    FillRect(frame, x0, y1 - line, x1, y1, color);
    FillRect(frame, x0, y0, x0 + line, y1, color);
    FillRect(frame, x1 - line, y0, x1, y1, color);

    const LabelPlanes& label = labels_[i];
    if (label.width == 0 || label.width > w || label.height > h) continue;
    // Above the box when there is room, else inside its top edge; even offsets keep chroma aligned.
    const int lx = std::clamp(x0, 0, w - label.width) & ~1;
    const int ly = std::clamp(y0 >= label.height ? y0 - label.height : y0, 0, h - label.height) & ~1;
    PutLabel(frame, lx, ly, label);
  }
}

}  // namespace owl
