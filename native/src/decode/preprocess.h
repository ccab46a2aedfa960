// SPDX-License-Identifier: Apache-2.0
// Frame -> model input tensor, NanoOWL's pad_square: the (already scaled) RGB frame is centred in the
// S x S square, normalised per channel as (x/255 - mean) / std, and the padding is 0 (the mean colour
// after normalisation). Pure C++: used by the portable inference branch and the addon's preprocess().
#pragma once

#include <cstdint>
#include <vector>

namespace owl {

/**
 * Where a frame lies in the S x S model input: scaled so that its longer side is S (the shorter one rounded
 * to the nearest pixel), then centred with whole-pixel padding, the odd padding pixel (when S minus a side
 * is odd) going right (bottom). Pre-processing places the pixels there and the decode maps boxes back through
 * the same layout, so both agree to the pixel.
 */
struct SquareLayout {
  int width = 0;   // the scaled frame
  int height = 0;
  int left = 0;    // padding columns before it: (S - width) / 2, rounded down
  int top = 0;     // padding rows above it: (S - height) / 2, rounded down
};

/**
 * [sync] The layout of a frame_width x frame_height frame in an input_size square.
 * Throws std::invalid_argument naming the field on a size <= 0.
 */
SquareLayout PadSquareLayout(int frame_width, int frame_height, int input_size);

/**
 * [sync] Writes the [1,3,S,S] channel-planar tensor (3*S*S floats, padding included) into out.
 * rgb: packed RGB bytes, rows `stride` bytes apart; max(width, height) must equal input_size S (the
 * caller scales) and the frame is placed as PadSquareLayout says.
 * Throws std::invalid_argument naming the field on a null pointer, a size <= 0, stride < width*3,
 * max(width, height) != S, or a std of 0.
 */
void PreprocessInto(const uint8_t* rgb, int width, int height, int stride, int input_size, const float mean[3],
                    const float std[3], float* out);

/** [sync] As PreprocessInto, into a new vector of 3*S*S floats. */
std::vector<float> Preprocess(const uint8_t* rgb, int width, int height, int stride, int input_size,
                              const float mean[3], const float std[3]);

}  // namespace owl
