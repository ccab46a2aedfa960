// SPDX-License-Identifier: Apache-2.0
#include "portable/overlay.h"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace owl {
namespace {

int RoundUpEven(double value) {
  int n = static_cast<int>(std::ceil(value));
  return n + (n & 1);
}

// Black text on light colours, white on dark ones (ITU-R BT.601 luma).
bool IsLight(const Rgb& c) { return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] > 140; }

OverlayLabel RenderLabel(const std::string& text, const Rgb& background, int font_size) {
  OverlayLabel label;
  if (text.empty() || font_size <= 0) return label;
  // Measure on a scratch surface, then render into one of the exact size.
  cairo_surface_t* scratch = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
  cairo_t* cr = cairo_create(scratch);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size(cr, font_size);
  cairo_font_extents_t font;
  cairo_text_extents_t extents;
  cairo_font_extents(cr, &font);
  cairo_text_extents(cr, text.c_str(), &extents);
  cairo_destroy(cr);
  cairo_surface_destroy(scratch);

  const double pad = std::max(2.0, font_size * 0.2);
  label.width = RoundUpEven(extents.x_advance + 2 * pad);
  label.height = RoundUpEven(font.ascent + font.descent + pad);
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, label.width, label.height);
  if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(surface);
    throw std::runtime_error("cairo could not allocate a label surface for '" + text + "'");
  }
  cr = cairo_create(surface);
  cairo_set_source_rgb(cr, background[0] / 255.0, background[1] / 255.0, background[2] / 255.0);
  cairo_paint(cr);
  const double ink = IsLight(background) ? 0.0 : 1.0;
  cairo_set_source_rgb(cr, ink, ink, ink);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size(cr, font_size);
  cairo_move_to(cr, pad, pad / 2 + font.ascent);
  cairo_show_text(cr, text.c_str());
  cairo_destroy(cr);
  cairo_surface_flush(surface);

  const uint8_t* data = cairo_image_surface_get_data(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  label.pixels.resize(static_cast<size_t>(label.width) * label.height);
  for (int y = 0; y < label.height; ++y) {
    const uint32_t* row = reinterpret_cast<const uint32_t*>(data + static_cast<size_t>(y) * stride);
    for (int x = 0; x < label.width; ++x) {
      const uint32_t px = row[x];  // CAIRO_FORMAT_RGB24: xRGB in native endianness
      label.pixels[static_cast<size_t>(y) * label.width + x] = {static_cast<uint8_t>(px >> 16),
                                                                 static_cast<uint8_t>(px >> 8),
                                                                 static_cast<uint8_t>(px)};
    }
  }
  cairo_surface_destroy(surface);
  return label;
}

}  // namespace

std::shared_ptr<const OverlaySnapshot> RenderOverlay(int64_t frame_id, const std::vector<OverlayBoxInput>& boxes,
                                                     const OverlayStyle& style) {
  auto snapshot = std::make_shared<OverlaySnapshot>();
  snapshot->frame_id = frame_id;
  snapshot->line_width = style.line_width;
  snapshot->items.reserve(boxes.size());
  const int colors = static_cast<int>(style.palette.size());
  for (const OverlayBoxInput& box : boxes) {
    const Rgb& color = style.palette[((box.color % colors) + colors) % colors];
    snapshot->items.push_back(
        {box.x0, box.y0, box.x1, box.y1, color, RenderLabel(box.text, color, style.font_size), box.track_id});
  }
  return snapshot;
}

}  // namespace owl
