// SPDX-License-Identifier: Apache-2.0
// The decode core: OWL-ViT image-encoder outputs + text embeddings -> detections in source pixels.
// Pure C++ (no Node, no GStreamer): the portable engine calls it through the addon, the DeepStream
// engine's decode probe on nvinfer's output tensors, per frame with that stream's prompts. Semantics are NanoOWL's (see decisions.md):
// per patch, label = argmax over prompts of the logit (as Hugging Face's post-processing: sigmoid scores of
// large logits tie at 1.0 in float32, logits do not), score = its sigmoid, keep when score > threshold[label].
//
// Thread safety: every function is reentrant; a PromptSet is immutable once built, so one snapshot
// (e.g. a shared_ptr<const PromptSet>) may be read by several threads at once.
// Error messages name fields as ts/native.ts does (image.numPatches, prompts.thresholds, ...), since
// that is the surface users see: "Expected <what> for <field> but received <value>".
#pragma once

#include <cstddef>
#include <stdexcept>
#include <vector>

namespace owl {

/** Borrowed views of one frame's image-encoder outputs (batch item). */
struct ImageOutputs {
  const float* class_embeds = nullptr;  // [P*D], not normalised
  const float* logit_shift = nullptr;   // [P]
  const float* logit_scale = nullptr;   // [P]
  const float* boxes = nullptr;         // [P*4] x0,y0,x1,y1 normalised to the square model input
  int num_patches = 0;                  // P
  int embed_dim = 0;                    // D
};

/** A prompt set: normalised text embeddings and one threshold per query. Immutable once built. */
struct PromptSet {
  std::vector<float> text_embeds;  // [Q*D], L2-normalised by MakePromptSet
  std::vector<float> thresholds;   // [Q], each in [0,1]
  int num_queries = 0;             // Q
  int embed_dim = 0;               // D
};

/**
 * The source frame under the square model input. NanoOWL's pad_square, as pre-processing lays it out
 * (PadSquareLayout in preprocess.h: scaled to the input side S, centred with whole-pixel padding): a
 * normalised x maps to (x * S - layout.left) * frame_width / layout.width.
 */
struct FrameGeometry {
  int frame_width = 0;
  int frame_height = 0;
  int input_size = 0;  // S, the model input side
};

struct DecodeOptions {
  float nms_iou = 0.f;       // class-wise NMS: a box whose IoU with a kept one of its label is > nms_iou goes; 0 = off
  int max_detections = 100;  // cap per frame (the highest scores are kept); >= 1
};

struct Detection {
  int label;             // query index: the highest logit (the first of equal ones)
  float score;           // sigmoid of the winning logit
  float x0, y0, x1, y1;  // source-frame pixels (may fall outside the frame, as NanoOWL's do)
};

/** Thrown for inconsistent shapes or values; the message names the field and what was expected. */
class DecodeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/**
 * [sync] Copies and L2-normalises (x / (||x|| + 1e-6), as NanoOWL) the text embeddings [Q*D].
 * Throws DecodeError on a null pointer, Q or D <= 0, thresholds.size() != Q, a threshold outside [0,1].
 */
PromptSet MakePromptSet(const float* text_embeds, int num_queries, int embed_dim, const std::vector<float>& thresholds);

/**
 * [sync] logits[P*Q] = (normalised class embeds . text embeds + shift) * scale.
 * Throws DecodeError on null pointers, P or D <= 0, or an embed size differing from the prompt set's.
 */
std::vector<float> ComputeLogits(const ImageOutputs& image, const PromptSet& prompts);

/**
 * [sync] The whole decode of one frame: detections sorted by score, highest first.
 * Throws DecodeError as ComputeLogits does, and on a frame or input size <= 0, nms_iou outside [0,1] or
 * max_detections < 1.
 */
std::vector<Detection> Decode(const ImageOutputs& image, const PromptSet& prompts, const FrameGeometry& geometry,
                              const DecodeOptions& options);

}  // namespace owl
