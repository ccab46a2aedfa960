// SPDX-License-Identifier: Apache-2.0
// NvDsInferParseOwl: nvinfer's custom bbox parser for the NanoOWL/OWL-ViT image encoder. It runs the
// SAME decode core as the portable engine (owl::Decode) with the current prompt set from the store,
// once per frame on nvinfer's output thread. Boxes are returned in network-input pixels; nvinfer maps
// them back to the frame (maintain-aspect-ratio + symmetric-padding, the centred square of pad_square).
// Per-prompt thresholds and NMS are applied here, because prompts change at run time while nvinfer's
// class-attrs are read once: the generated config sets pre-cluster-threshold=0 and cluster-mode=4.
// Never throws into nvinfer: a bad layer is a logged reason and `false` (nvinfer logs the frame). Reasons go
// to g_log in domain "owl-parser": inside the service (nvinfer runs in its process) the log bridge carries
// them into the service log; elsewhere GLib prints them on stderr.
#include <glib.h>
#include <nvdsinfer_custom_impl.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "decode/owl_decode.h"
#include "deepstream/owl_ds_parser.h"
#include "deepstream/prompt_store.h"
#include "deepstream/sdk_abi_checks.h"

namespace {

// Output names of the image encoder as exported (nanoowl owl_predictor.py / our export tool).
constexpr const char* kClassEmbeds = "image_class_embeds";  // [P, D]
constexpr const char* kLogitShift = "logit_shift";          // [P, 1]
constexpr const char* kLogitScale = "logit_scale";          // [P, 1]
constexpr const char* kPredBoxes = "pred_boxes";            // [P, 4] x0,y0,x1,y1 in [0,1]

constexpr const char* kLogDomain = "owl-parser";

struct ParseFailure {
  std::string reason;
};

// IEEE 754 binary16 -> binary32 (TensorRT fp16 outputs when the engine keeps them in half).
float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1fu) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf / NaN
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;  // +-0
  } else {  // subnormal: normalise
    exponent = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

std::string DimsToString(const NvDsInferDims& dims) {
  std::string s = "[";
  for (unsigned i = 0; i < dims.numDims && i < NVDSINFER_MAX_DIMS; ++i) {
    if (i > 0) s += ",";
    s += std::to_string(dims.d[i]);
  }
  return s + "]";
}

// One output layer read as float: borrowed when FLOAT, converted into `storage` when HALF.
struct FloatLayer {
  const float* data = nullptr;
  unsigned rows = 0;  // P
  unsigned cols = 0;  // D, 1 or 4
  std::vector<float> storage;
};

const NvDsInferLayerInfo& FindLayer(const std::vector<NvDsInferLayerInfo>& layers, const char* name) {
  for (const NvDsInferLayerInfo& layer : layers) {
    if (!layer.isInput && layer.layerName != nullptr && std::strcmp(layer.layerName, name) == 0) return layer;
  }
  std::string have;
  for (const NvDsInferLayerInfo& layer : layers) {
    if (!have.empty()) have += ", ";
    have += layer.layerName != nullptr ? layer.layerName : "(unnamed)";
  }
  throw ParseFailure{std::string("output layer '") + name + "' not found (the engine has: " + have +
                     "); build the engine from our image_encoder.onnx"};
}

// Reads layer `name` as [rows, cols]; `cols == 0` accepts any width (the embedding size). A [P]
// layer is read as [P, 1] (some exporters squeeze the trailing 1).
void ReadLayer(const std::vector<NvDsInferLayerInfo>& layers, const char* name, unsigned cols, FloatLayer& out) {
  const NvDsInferLayerInfo& layer = FindLayer(layers, name);
  const NvDsInferDims& dims = layer.inferDims;
  const bool vector_as_column = cols == 1 && dims.numDims == 1;
  if (!vector_as_column && (dims.numDims != 2 || dims.d[0] == 0 || (cols != 0 && dims.d[1] != cols))) {
    const std::string want = cols == 0 ? "[P,D]" : "[P," + std::to_string(cols) + "]";
    throw ParseFailure{std::string("layer '") + name + "' has shape " + DimsToString(dims) + ", expected " + want +
                       " (no batch dimension)"};
  }
  out.rows = dims.d[0];
  out.cols = vector_as_column ? 1 : dims.d[1];
  if (layer.buffer == nullptr) throw ParseFailure{std::string("layer '") + name + "' has no host buffer"};
  const std::size_t count = static_cast<std::size_t>(out.rows) * out.cols;
  switch (layer.dataType) {
    case FLOAT:
      out.data = static_cast<const float*>(layer.buffer);
      return;
    case HALF: {
      const auto* half = static_cast<const uint16_t*>(layer.buffer);
      out.storage.resize(count);
      for (std::size_t i = 0; i < count; ++i) out.storage[i] = HalfToFloat(half[i]);
      out.data = out.storage.data();
      return;
    }
    default:
      throw ParseFailure{std::string("layer '") + name + "' has data type " +
                         std::to_string(static_cast<int>(layer.dataType)) +
                         ", expected FLOAT (0) or HALF (1); rebuild the engine without INT8 outputs"};
  }
}

void RequireRows(const FloatLayer& layer, const char* name, unsigned patches) {
  if (layer.rows != patches) {
    throw ParseFailure{std::string("layer '") + name + "' has " + std::to_string(layer.rows) + " patches, '" +
                       kClassEmbeds + "' has " + std::to_string(patches)};
  }
}

void Parse(const std::vector<NvDsInferLayerInfo>& layers, const NvDsInferNetworkInfo& network,
           std::vector<NvDsInferObjectDetectionInfo>& objects) {
  // One snapshot for the whole frame: a concurrent prompt change applies from the next frame.
  const std::shared_ptr<const owl::ds::ParserState> state = owl::ds::CurrentState();
  if (state->prompts.num_queries == 0) return;  // no prompts: nothing to detect

  if (network.width == 0 || network.width != network.height) {
    throw ParseFailure{"network input is " + std::to_string(network.width) + "x" + std::to_string(network.height) +
                       ", expected a square (the image encoder takes SxS)"};
  }
  FloatLayer embeds, shift, scale, boxes;
  ReadLayer(layers, kClassEmbeds, 0, embeds);
  ReadLayer(layers, kLogitShift, 1, shift);
  ReadLayer(layers, kLogitScale, 1, scale);
  ReadLayer(layers, kPredBoxes, 4, boxes);
  RequireRows(shift, kLogitShift, embeds.rows);
  RequireRows(scale, kLogitScale, embeds.rows);
  RequireRows(boxes, kPredBoxes, embeds.rows);

  owl::ImageOutputs image;
  image.class_embeds = embeds.data;
  image.logit_shift = shift.data;
  image.logit_scale = scale.data;
  image.boxes = boxes.data;
  image.num_patches = static_cast<int>(embeds.rows);
  image.embed_dim = static_cast<int>(embeds.cols);
  // The "frame" is the square network input itself: no padding offset, boxes scale by S (nvinfer undoes its
  // own scaling and padding).
  owl::FrameGeometry geometry;
  geometry.frame_width = static_cast<int>(network.width);
  geometry.frame_height = static_cast<int>(network.height);
  geometry.input_size = static_cast<int>(network.width);

  for (const owl::Detection& d : owl::Decode(image, state->prompts, geometry, state->options)) {
    NvDsInferObjectDetectionInfo object{};  // value-init: DS 8+ have rotation_angle (0 = axis-aligned)
    object.classId = static_cast<unsigned>(d.label);
    object.left = d.x0;
    object.top = d.y0;
    object.width = d.x1 - d.x0;
    object.height = d.y1 - d.y0;
    object.detectionConfidence = d.score;
    objects.push_back(object);
  }
}

}  // namespace

extern "C" OWL_DS_EXPORT bool NvDsInferParseOwl(std::vector<NvDsInferLayerInfo> const& outputLayersInfo,
                                                NvDsInferNetworkInfo const& networkInfo,
                                                NvDsInferParseDetectionParams const& /*detectionParams*/,
                                                std::vector<NvDsInferObjectDetectionInfo>& objectList) {
  const std::size_t before = objectList.size();
  try {
    Parse(outputLayersInfo, networkInfo, objectList);
    return true;
  } catch (const ParseFailure& failure) {
    g_log(kLogDomain, G_LOG_LEVEL_WARNING, "NvDsInferParseOwl: %s", failure.reason.c_str());
  } catch (const std::exception& e) {  // owl::DecodeError (e.g. prompt size != embedding size), bad_alloc
    g_log(kLogDomain, G_LOG_LEVEL_WARNING, "NvDsInferParseOwl: %s", e.what());
  }
  objectList.resize(before);  // nothing half-parsed reaches nvinfer
  return false;
}

// The SDK's macro defines a never-called static checker; silence its unused warnings here only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
CHECK_CUSTOM_PARSE_FUNC_PROTOTYPE(NvDsInferParseOwl);
#pragma GCC diagnostic pop
