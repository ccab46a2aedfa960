// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY: what the stand-in batch metadata (nvds_meta_standin.cc) holds, for the DeepStream pipeline
// harness to read back after ds_pipeline.cc's probe has relabelled it.
#pragma once

#include <string>
#include <vector>

namespace owl::ds::standin {

/** Source frame size the stand-in reports (nvstreammux input). */
constexpr int kSourceWidth = 640;
constexpr int kSourceHeight = 480;

/** obj_label and display_text of each object of the batch made for the buffer being probed. */
struct ObjectTexts {
  std::vector<std::string> obj_labels;
  std::vector<std::string> display_texts;
};

/** Call on the streaming thread, after the probe (e.g. from the frame callback). */
ObjectTexts CurrentTexts();

}  // namespace owl::ds::standin
