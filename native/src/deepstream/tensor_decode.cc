// SPDX-License-Identifier: Apache-2.0
#include "deepstream/tensor_decode.h"

#include <cstdint>
#include <cstring>
#include <string>

#include "decode/box_clip.h"
#include "deepstream/sdk_abi_checks.h"

namespace owl::ds {
namespace {

// Output names of the image encoder as exported (our export tool; NanoOWL's owl_predictor.py).
constexpr const char* kClassEmbeds = "image_class_embeds";  // [P, D]
constexpr const char* kLogitShift = "logit_shift";          // [P, 1]
constexpr const char* kLogitScale = "logit_scale";          // [P, 1]
constexpr const char* kPredBoxes = "pred_boxes";            // [P, 4] x0,y0,x1,y1 in [0,1]

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

struct Layer {
  const NvDsInferLayerInfo* info;
  const void* data;
  unsigned rows;
  unsigned cols;
};

Layer FindLayer(const NvDsInferLayerInfo* layers, unsigned count, void* const* buffers, const char* name,
                unsigned cols) {
  for (unsigned i = 0; i < count; ++i) {
    const NvDsInferLayerInfo& layer = layers[i];
    if (layer.isInput || layer.layerName == nullptr || std::strcmp(layer.layerName, name) != 0) continue;
    const NvDsInferDims& dims = layer.inferDims;
    // A [P] layer is read as [P, 1] (some exporters squeeze the trailing 1).
    const bool vector_as_column = cols == 1 && dims.numDims == 1;
    if (!vector_as_column && (dims.numDims != 2 || dims.d[0] == 0 || (cols != 0 && dims.d[1] != cols))) {
      const std::string want = cols == 0 ? "[P,D]" : "[P," + std::to_string(cols) + "]";
      throw TensorError(std::string("layer '") + name + "' has shape " + DimsToString(dims) + ", expected " + want +
                        " (no batch dimension)");
    }
    if (layer.dataType != FLOAT && layer.dataType != HALF) {
      throw TensorError(std::string("layer '") + name + "' has data type " +
                        std::to_string(static_cast<int>(layer.dataType)) +
                        ", expected FLOAT (0) or HALF (1); rebuild the engine without INT8 outputs");
    }
    if (buffers == nullptr || buffers[i] == nullptr) {
      throw TensorError(std::string("layer '") + name + "' has no host buffer");
    }
    return {&layer, buffers[i], dims.d[0], vector_as_column ? 1u : dims.d[1]};
  }
  std::string have;
  for (unsigned i = 0; i < count; ++i) {
    if (!have.empty()) have += ", ";
    have += layers[i].layerName != nullptr ? layers[i].layerName : "(unnamed)";
  }
  throw TensorError(std::string("output layer '") + name + "' not found (the engine has: " + have +
                    "); build the engine from the model folder's image_encoder.onnx");
}

}  // namespace

FrameTensors::FrameTensors(const NvDsInferLayerInfo* layers, unsigned count, void* const* buffers,
                           const NvDsInferNetworkInfo& network) {
  if (network.width == 0 || network.width != network.height) {
    throw TensorError("network input is " + std::to_string(network.width) + "x" + std::to_string(network.height) +
                      ", expected a square (the image encoder takes SxS)");
  }
  const Layer found[] = {FindLayer(layers, count, buffers, kClassEmbeds, 0),
                         FindLayer(layers, count, buffers, kLogitShift, 1),
                         FindLayer(layers, count, buffers, kLogitScale, 1),
                         FindLayer(layers, count, buffers, kPredBoxes, 4)};
  const unsigned patches = found[0].rows;
  size_t half_values = 0;
  for (const Layer& layer : found) {
    if (layer.rows != patches) {
      throw TensorError(std::string("layer '") + layer.info->layerName + "' has " + std::to_string(layer.rows) +
                        " patches, '" + kClassEmbeds + "' has " + std::to_string(patches));
    }
    if (layer.info->dataType == HALF) half_values += size_t{layer.rows} * layer.cols;
  }
  converted_.reserve(half_values);  // no reallocation below: the pointers into it stay valid
  const float* data[4];
  for (int i = 0; i < 4; ++i) {
    const Layer& layer = found[i];
    if (layer.info->dataType == FLOAT) {
      data[i] = static_cast<const float*>(layer.data);
      continue;
    }
    const auto* half = static_cast<const uint16_t*>(layer.data);
    const size_t begin = converted_.size();
    for (size_t k = 0; k < size_t{layer.rows} * layer.cols; ++k) converted_.push_back(HalfToFloat(half[k]));
    data[i] = converted_.data() + begin;
  }
  image_.class_embeds = data[0];
  image_.logit_shift = data[1];
  image_.logit_scale = data[2];
  image_.boxes = data[3];
  image_.num_patches = static_cast<int>(patches);
  image_.embed_dim = static_cast<int>(found[0].cols);
  input_size_ = static_cast<int>(network.width);
}

std::vector<Detection> DecodeFrame(const FrameTensors& tensors, const PromptSet& prompts, int width, int height,
                                   const DecodeOptions& options) {
  if (prompts.num_queries == 0) return {};
  // nvinfer scaled the frame into the square keeping its aspect ratio and centred it (symmetric padding): the
  // same geometry as pad_square, so the core maps boxes straight to the frame's pixels.
  FrameGeometry geometry;
  geometry.frame_width = width;
  geometry.frame_height = height;
  geometry.input_size = tensors.input_size();
  std::vector<Detection> detections = Decode(tensors.image(), prompts, geometry, options);
  ClipToFrame(detections, static_cast<float>(width), static_cast<float>(height));
  return detections;
}

}  // namespace owl::ds
