// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY STAND-IN for the DeepStream SDK header <nvdsinfer.h>: not NVIDIA's file. It declares only what
// native/src/deepstream reads of nvinfer's output tensors, in the order and layout of DeepStream 9.1 (the
// version nvds_version.h here names; read in NVIDIA/DeepStream includes/nvdsinfer.h), which
// native/src/deepstream/sdk_abi_checks.h checks like a real SDK's.
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NVDSINFER_MAX_DIMS 8

typedef struct {
  unsigned int numDims;
  unsigned int d[NVDSINFER_MAX_DIMS];
  unsigned int numElements;
} NvDsInferDims;

// DS 6.2/7.0 define FLOAT..INT32; 9.1 adds INT64 and UINT8.
typedef enum { FLOAT = 0, HALF = 1, INT8 = 2, INT32 = 3, INT64 = 4, UINT8 = 5 } NvDsInferDataType;

typedef struct {
  NvDsInferDataType dataType;
  union {
    NvDsInferDims inferDims;
    NvDsInferDims dims;  // deprecated alias in the SDK
  };
  int bindingIndex;
  const char* layerName;
  void* buffer;
  int isInput;
} NvDsInferLayerInfo;

typedef struct {
  unsigned int width;
  unsigned int height;
  unsigned int channels;
} NvDsInferNetworkInfo;

#ifdef __cplusplus
}
#endif
