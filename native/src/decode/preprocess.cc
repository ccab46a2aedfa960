// SPDX-License-Identifier: Apache-2.0
// pad_square pre-processing (see preprocess.h). A 256-entry table per channel replaces the
// per-pixel arithmetic; padding rows and columns are written as zeros in the same pass.
#include "decode/preprocess.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

#include "common/expected.h"

namespace owl {
namespace {

[[noreturn]] void Fail(const std::string& expected, const std::string& field, const std::string& received) {
  throw std::invalid_argument(ExpectedMessage(expected, field, received));
}

void RequirePositive(int value, const char* field) {
  if (value <= 0) Fail("a positive integer", field, std::to_string(value));
}

}  // namespace

SquareLayout PadSquareLayout(int frame_width, int frame_height, int input_size) {
  RequirePositive(frame_width, "width");
  RequirePositive(frame_height, "height");
  RequirePositive(input_size, "inputSize");
  const double scale = static_cast<double>(input_size) / std::max(frame_width, frame_height);
  const auto scaled = [&](int side) { return std::max(1, static_cast<int>(std::lround(side * scale))); };
  SquareLayout layout;
  layout.width = frame_width >= frame_height ? input_size : scaled(frame_width);
  layout.height = frame_height >= frame_width ? input_size : scaled(frame_height);
  layout.left = (input_size - layout.width) / 2;
  layout.top = (input_size - layout.height) / 2;
  return layout;
}

void PreprocessInto(const uint8_t* rgb, int width, int height, int stride, int input_size, const float mean[3],
                    const float std[3], float* out) {
  if (rgb == nullptr) Fail("pixel data", "rgb", "null");
  RequirePositive(width, "width");
  RequirePositive(height, "height");
  RequirePositive(input_size, "inputSize");
  if (out == nullptr) Fail("an output buffer", "out", "null");
  if (stride < width * 3) Fail("at least width*3 = " + std::to_string(width * 3) + " bytes", "stride",
                               std::to_string(stride));
  if (std::max(width, height) != input_size) {
    Fail("a frame whose longer side equals inputSize " + std::to_string(input_size), "width x height",
         std::to_string(width) + "x" + std::to_string(height));
  }
  std::array<std::array<float, 256>, 3> table;
  for (int c = 0; c < 3; ++c) {
    if (!(std[c] != 0.f)) {
      Fail("a non-zero number", "std[" + std::to_string(c) + "]", Shown(std[c]));
    }
    for (int v = 0; v < 256; ++v) table[c][v] = (static_cast<float>(v) / 255.f - mean[c]) / std[c];
  }

  const SquareLayout layout = PadSquareLayout(width, height, input_size);  // width x height already fills it
  const std::size_t side = static_cast<std::size_t>(input_size);
  const std::size_t pad_left = layout.left;
  const std::size_t pad_top = layout.top;
  for (int c = 0; c < 3; ++c) {
    float* plane = out + c * side * side;
    const std::array<float, 256>& lut = table[c];
    std::fill(plane, plane + pad_top * side, 0.f);
    for (int y = 0; y < height; ++y) {
      float* row = plane + (pad_top + y) * side;
      const uint8_t* src = rgb + static_cast<std::size_t>(y) * stride + c;
      std::fill(row, row + pad_left, 0.f);
      float* dst = row + pad_left;
      for (int x = 0; x < width; ++x) dst[x] = lut[src[x * 3]];
      std::fill(dst + width, row + side, 0.f);
    }
    std::fill(plane + (pad_top + height) * side, plane + side * side, 0.f);
  }
}

std::vector<float> Preprocess(const uint8_t* rgb, int width, int height, int stride, int input_size,
                              const float mean[3], const float std[3]) {
  std::vector<float> out(3 * static_cast<std::size_t>(std::max(input_size, 0)) * std::max(input_size, 0));
  PreprocessInto(rgb, width, height, stride, input_size, mean, std, out.data());
  return out;
}

}  // namespace owl
