// SPDX-License-Identifier: Apache-2.0
// The image encoder's outputs of one frame, as nvinfer attaches them (output-tensor-meta=1, network-type=100:
// NvDsInferTensorMeta, host copies already offset to the frame), decoded with the frame's stream prompts by the
// SAME decode core as the portable engine (native/src/decode). Outputs are found by name, so an engine with
// more outputs than ours (NanoOWL's own, with image_embeds) works as well; FLOAT and HALF are read.
// No GStreamer calls here: the SDK's tensor structs only (tested through native/test/tensor_decode_harness.cc).
#pragma once

#include <gst/gst.h>  // gstnvdsinfer.h uses GLib's and GStreamer's types without including them

#include <gstnvdsinfer.h>
#include <nvdsinfer.h>

#include <stdexcept>
#include <vector>

#include "decode/owl_decode.h"

namespace owl::ds {

/** A layer the decode cannot read; the message names it and what was expected. */
class TensorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** One frame's four outputs the decode reads, borrowed from nvinfer's host buffers (or converted from HALF). */
class FrameTensors {
 public:
  /**
   * [sync] Finds image_class_embeds [P,D], logit_shift [P,1], logit_scale [P,1] and pred_boxes [P,4] (no batch
   * dimension) among `count` layers whose host data is `buffers[i]` (NvDsInferTensorMeta.out_buf_ptrs_host).
   * Throws TensorError for a missing layer, a shape, patch count or data type the decode cannot use, or a
   * network input that is not square.
   */
  FrameTensors(const NvDsInferLayerInfo* layers, unsigned count, void* const* buffers,
               const NvDsInferNetworkInfo& network);
  /** [sync] The same from nvinfer's tensor metadata of one frame. */
  explicit FrameTensors(const NvDsInferTensorMeta& meta)
      : FrameTensors(meta.output_layers_info, meta.num_output_layers, meta.out_buf_ptrs_host, meta.network_info) {}

  const ImageOutputs& image() const { return image_; }
  /** The square network input's side S. */
  int input_size() const { return input_size_; }

 private:
  ImageOutputs image_;
  int input_size_ = 0;
  std::vector<float> converted_;  // HALF layers as float, in order: embeds, shift, scale, boxes
};

/**
 * [sync] Detections of a frame nvinfer letterboxed into its square input (maintain-aspect-ratio with
 * symmetric-padding, NanoOWL's centred pad_square: the decode core's PadSquareLayout), in pixels of that frame
 * (`width` x `height`: the muxer's output), clipped to it; boxes wholly outside are dropped. Throws DecodeError (e.g. a prompt set whose
 * embedding size differs from the engine's).
 */
std::vector<Detection> DecodeFrame(const FrameTensors& tensors, const PromptSet& prompts, int width, int height,
                                   const DecodeOptions& options);

}  // namespace owl::ds
