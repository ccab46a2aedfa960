// SPDX-License-Identifier: Apache-2.0
// The decode core (see owl_decode.h). Per frame: one pass over the patches, Q dot products each;
// class embeddings are never copied: normalising a patch = scaling its dot products by 1/(||x||+1e-6).
#include "decode/owl_decode.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/expected.h"
#include "decode/preprocess.h"

namespace owl {
namespace {

constexpr float kNormEpsilon = 1e-6f;  // NanoOWL: x / (||x|| + 1e-6)

[[noreturn]] void Fail(const std::string& expected, const std::string& field, const std::string& received) {
  throw DecodeError(ExpectedMessage(expected, field, received));
}

void RequirePointer(const void* data, const char* field) {
  if (data == nullptr) Fail("a data pointer", field, "null");
}

void RequirePositive(int value, const char* field) {
  if (value <= 0) Fail("a positive integer", field, Shown(value));
}

void RequireUnitInterval(float value, const std::string& field) {
  if (!(value >= 0.f && value <= 1.f)) Fail("a number in [0,1]", field, Shown(value));  // NaN fails too
}

void ValidateImage(const ImageOutputs& image, const PromptSet& prompts) {
  RequirePointer(image.class_embeds, "image.classEmbeds");
  RequirePointer(image.logit_shift, "image.logitShift");
  RequirePointer(image.logit_scale, "image.logitScale");
  RequirePointer(image.boxes, "image.boxes");
  RequirePositive(image.num_patches, "image.numPatches");
  RequirePositive(image.embed_dim, "image.embedDim");
  if (prompts.num_queries <= 0) Fail("a prompt set with at least one query", "prompts", "0 queries");
  if (prompts.embed_dim != image.embed_dim) {
    Fail(Shown(image.embed_dim) + " values per query (image.embedDim)", "prompts.textEmbeds",
         Shown(prompts.embed_dim) + " per query");
  }
}

// Eight independent accumulators: without -ffast-math the compiler keeps a float sum in order, so
// one accumulator would be latency-bound; eight let it vectorise (SSE/NEON) and pipeline.
float Dot(const float* a, const float* b, int n) {
  float acc[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) acc[k] += a[i + k] * b[i + k];
  }
  float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

float InverseNorm(const float* v, int n) {
  return 1.f / (std::sqrt(Dot(v, v, n)) + kNormEpsilon);
}

float Sigmoid(float x) {
  return 1.f / (1.f + std::exp(-x));
}

// The Q logits of patch p into out[0..Q).
void PatchLogits(const ImageOutputs& image, const PromptSet& prompts, int p, float* out) {
  const int d = image.embed_dim;
  const float* embed = image.class_embeds + static_cast<std::size_t>(p) * d;
  const float inv_norm = InverseNorm(embed, d);
  const float shift = image.logit_shift[p];
  const float scale = image.logit_scale[p];
  const float* text = prompts.text_embeds.data();
  for (int q = 0; q < prompts.num_queries; ++q) {
    out[q] = (Dot(embed, text + static_cast<std::size_t>(q) * d, d) * inv_norm + shift) * scale;
  }
}

float Area(const Detection& b) {
  return std::max(0.f, b.x1 - b.x0) * std::max(0.f, b.y1 - b.y0);
}

float IoU(const Detection& a, const Detection& b) {
  const float w = std::min(a.x1, b.x1) - std::max(a.x0, b.x0);
  const float h = std::min(a.y1, b.y1) - std::max(a.y0, b.y0);
  if (w <= 0.f || h <= 0.f) return 0.f;
  const float inter = w * h;
  const float uni = Area(a) + Area(b) - inter;
  return uni > 0.f ? inter / uni : 0.f;
}

// Greedy class-wise NMS over score-sorted candidates, stopping at the cap.
std::vector<Detection> SuppressAndCap(const std::vector<Detection>& sorted, const DecodeOptions& options) {
  const std::size_t cap = static_cast<std::size_t>(options.max_detections);
  std::vector<Detection> kept;
  kept.reserve(std::min(cap, sorted.size()));
  for (const Detection& candidate : sorted) {
    if (kept.size() == cap) break;
    bool suppressed = false;
    if (options.nms_iou > 0.f) {
      for (const Detection& k : kept) {
        if (k.label == candidate.label && IoU(k, candidate) > options.nms_iou) {
          suppressed = true;
          break;
        }
      }
    }
    if (!suppressed) kept.push_back(candidate);
  }
  return kept;
}

}  // namespace

PromptSet MakePromptSet(const float* text_embeds, int num_queries, int embed_dim,
                        const std::vector<float>& thresholds) {
  RequirePointer(text_embeds, "prompts.textEmbeds");
  RequirePositive(num_queries, "prompts.numQueries");
  RequirePositive(embed_dim, "the text embedding size");
  if (thresholds.size() != static_cast<std::size_t>(num_queries)) {
    Fail(Shown(num_queries) + " thresholds (one per query)", "prompts.thresholds", Shown(thresholds.size()));
  }
  for (std::size_t q = 0; q < thresholds.size(); ++q) {
    RequireUnitInterval(thresholds[q], "prompts.thresholds[" + Shown(q) + "]");
  }
  PromptSet set;
  set.num_queries = num_queries;
  set.embed_dim = embed_dim;
  set.thresholds = thresholds;
  set.text_embeds.assign(text_embeds, text_embeds + static_cast<std::size_t>(num_queries) * embed_dim);
  for (int q = 0; q < num_queries; ++q) {
    float* v = set.text_embeds.data() + static_cast<std::size_t>(q) * embed_dim;
    const float inv_norm = InverseNorm(v, embed_dim);
    for (int i = 0; i < embed_dim; ++i) v[i] *= inv_norm;
  }
  return set;
}

std::vector<float> ComputeLogits(const ImageOutputs& image, const PromptSet& prompts) {
  ValidateImage(image, prompts);
  const int q = prompts.num_queries;
  std::vector<float> logits(static_cast<std::size_t>(image.num_patches) * q);
  for (int p = 0; p < image.num_patches; ++p) {
    PatchLogits(image, prompts, p, logits.data() + static_cast<std::size_t>(p) * q);
  }
  return logits;
}

std::vector<Detection> Decode(const ImageOutputs& image, const PromptSet& prompts, const FrameGeometry& geometry,
                              const DecodeOptions& options) {
  ValidateImage(image, prompts);
  RequirePositive(geometry.frame_width, "options.frameWidth");
  RequirePositive(geometry.frame_height, "options.frameHeight");
  RequirePositive(geometry.input_size, "options.inputSize");
  RequireUnitInterval(options.nms_iou, "options.nmsIou");
  if (options.max_detections < 1) Fail("an integer >= 1", "options.maxDetections", Shown(options.max_detections));

  // pad_square undone through the layout pre-processing used: model pixels (x * S) minus the whole-pixel
  // padding, then scaled from the scaled frame back to the source frame.
  const SquareLayout layout = PadSquareLayout(geometry.frame_width, geometry.frame_height, geometry.input_size);
  const float side = static_cast<float>(geometry.input_size);
  const float scale_x = static_cast<float>(geometry.frame_width) / layout.width;
  const float scale_y = static_cast<float>(geometry.frame_height) / layout.height;
  const auto source_x = [&](float x) { return (x * side - layout.left) * scale_x; };
  const auto source_y = [&](float y) { return (y * side - layout.top) * scale_y; };

  const int num_queries = prompts.num_queries;
  std::vector<float> logits(num_queries);
  std::vector<Detection> candidates;
  for (int p = 0; p < image.num_patches; ++p) {
    PatchLogits(image, prompts, p, logits.data());
    // argmax over the logits, as Hugging Face's post-processing: the sigmoid is monotonic, but in float32 it
    // saturates at 1.0 for logits above ~17, and an argmax over scores would then pick the first prompt
    // rather than the most likely one. Equal logits keep the first (torch.max does too).
    const int label = static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    const float score = Sigmoid(logits[label]);
    if (!(score > prompts.thresholds[label])) continue;
    const float* box = image.boxes + static_cast<std::size_t>(p) * 4;
    candidates.push_back({label, score, source_x(box[0]), source_y(box[1]), source_x(box[2]), source_y(box[3])});
  }
  // Stable: equal scores keep patch order, so results are deterministic.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  return SuppressAndCap(candidates, options);
}

}  // namespace owl
