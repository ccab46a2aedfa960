// SPDX-License-Identifier: Apache-2.0
// Frame -> model input tensor, NanoOWL's pad_square: the (already scaled) RGB frame is centred in the
// S x S square, normalised per channel as (x/255 - mean) / std, and the padding is 0 (the mean colour
// after normalisation). Pure C++: used by the portable inference branch and the addon's preprocess().
#pragma once

#include <cstdint>
#include <vector>

namespace owl {

/**
 * [sync] Writes the [1,3,S,S] channel-planar tensor (3*S*S floats, padding included) into out.
 * rgb: packed RGB bytes, rows `stride` bytes apart; max(width, height) must equal input_size S (the
 * caller scales). When S - width (or S - height) is odd, the extra padding column (row) goes to the
 * right (bottom).
 * Throws std::invalid_argument naming the field on a null pointer, a size <= 0, stride < width*3,
 * max(width, height) != S, or a std of 0.
 */
void PreprocessInto(const uint8_t* rgb, int width, int height, int stride, int input_size, const float mean[3],
                    const float std[3], float* out);

/** [sync] As PreprocessInto, into a new vector of 3*S*S floats. */
std::vector<float> Preprocess(const uint8_t* rgb, int width, int height, int stride, int input_size,
                              const float mean[3], const float std[3]);

}  // namespace owl
