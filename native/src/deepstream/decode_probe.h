// SPDX-License-Identifier: Apache-2.0
// After nvinfer: each inferred frame's tensors decoded with its stream's prompts (tensor_decode.h) and attached
// as object metadata, where nvtracker, nvdsosd and the report probe find them, as nvinfer itself attaches a
// detector's. Frames nvinfer skipped (interval) have no tensors: the tracker carries their objects.
// Runs on nvinfer's src pad streaming thread; never blocks.
#pragma once

#include <nvdsmeta.h>

#include <functional>
#include <string>

#include "decode/owl_decode.h"
#include "deepstream/stream_view.h"

namespace owl::ds {

/** The frame size object metadata is in: the legacy muxer's output size; 0 x 0 for the new muxer (each frame's own). */
struct MuxGeometry {
  int width = 0;
  int height = 0;
};

/** The surface size of a frame: the muxer's output, or the frame's own size with the new muxer. */
inline MuxGeometry SurfaceOf(const NvDsFrameMeta& frame, MuxGeometry mux) {
  if (mux.width > 0 && mux.height > 0) return mux;
  return {static_cast<int>(frame.source_frame_width), static_cast<int>(frame.source_frame_height)};
}

/**
 * [sync] Decodes every inferred frame of the batch and attaches its detections (class id = the prompt's
 * pipeline-wide id, confidence, the box in surface pixels as rect_params and detector_bbox_info, the prompt
 * text as obj_label) and marks the frame inferred (bInferDone). Frames of a free slot are left alone. A frame
 * whose tensors cannot be decoded gets no objects and `on_error` is called with the reason.
 */
void DecodeBatch(NvDsBatchMeta* batch, const StreamTable& streams, const DecodeOptions& options, MuxGeometry mux,
                 const std::function<void(const std::string&)>& on_error);

}  // namespace owl::ds
