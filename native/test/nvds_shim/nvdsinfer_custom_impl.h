// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY STAND-IN for the DeepStream SDK header <nvdsinfer_custom_impl.h>: not NVIDIA's file. Only
// the custom bbox-parser ABI (fields and order as in DS 6.2, 7.0 and 9.1); the real header also pulls in
// TensorRT (NvInfer.h), which is why the parser test uses this stand-in. See nvdsinfer.h here.
#pragma once

#include <vector>

#include "nvdsinfer.h"

extern "C" {

typedef struct {
  unsigned int numClassesConfigured;
  std::vector<float> perClassPreclusterThreshold;
  std::vector<float> perClassPostclusterThreshold;
  std::vector<float>& perClassThreshold = perClassPreclusterThreshold;  // deprecated alias in the SDK
} NvDsInferParseDetectionParams;

typedef bool (*NvDsInferParseCustomFunc)(std::vector<NvDsInferLayerInfo> const& outputLayersInfo,
                                         NvDsInferNetworkInfo const& networkInfo,
                                         NvDsInferParseDetectionParams const& detectionParams,
                                         std::vector<NvDsInferObjectDetectionInfo>& objectList);

}  // extern "C"

// As in the SDK: checks the signature at compile time and declares the function extern "C".
#define CHECK_CUSTOM_PARSE_FUNC_PROTOTYPE(customParseFunc)                                          \
  static void checkFunc_##customParseFunc(NvDsInferParseCustomFunc func = customParseFunc) {       \
    checkFunc_##customParseFunc();                                                                  \
  };                                                                                                \
  extern "C" bool customParseFunc(std::vector<NvDsInferLayerInfo> const& outputLayersInfo,         \
                                  NvDsInferNetworkInfo const& networkInfo,                          \
                                  NvDsInferParseDetectionParams const& detectionParams,             \
                                  std::vector<NvDsInferObjectDetectionInfo>& objectList);
