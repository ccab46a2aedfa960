// SPDX-License-Identifier: Apache-2.0
// After nvtracker (or nvinfer without one), per frame of the batch: the stream's objects labelled and styled for
// nvdsosd with the stream's prompts of the moment ("#<track id> <prompt> [score]"; objects of a prompt the stream
// no longer has are removed), and for inferred frames the model's detections with their track ids handed to JS
// and, for each metadata branch every `interval` inferred frames of the stream (those with objects), attached for
// that branch's nvmsgconv (event_msg.h), in source-frame pixels clipped to the frame. Runs on the streaming thread; never blocks.
#pragma once

#include <nvdsmeta.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "deepstream/decode_probe.h"
#include "deepstream/overlay_style.h"
#include "deepstream/stream_view.h"

namespace owl::ds {

/** The detections of one inferred frame of one stream (NativeDeepStreamFrame in ts/native.ts). */
struct DsFrame {
  std::string stream;
  uint64_t frame_id = 0;
  int width = 0;  // source frame
  int height = 0;
  std::vector<std::string> labels;  // prompt text
  std::vector<float> scores;
  std::vector<float> boxes;      // [N*4] x0, y0, x1, y1 in source-frame pixels
  std::vector<double> track_ids; // -1: untracked
};

struct ReportContext {
  const StreamTable& streams;
  std::shared_ptr<const OverlayStyle> style;  // never null
  MuxGeometry mux;
  const std::vector<DsMessageOutput>& messages;
  /** Streaming thread; false when the frame was dropped (JS busy). */
  std::function<bool(std::unique_ptr<DsFrame>)> on_frame;
};

/** [sync] Processes every frame of the batch (see the file comment). */
void ReportBatch(NvDsBatchMeta* batch, const ReportContext& context);

}  // namespace owl::ds
