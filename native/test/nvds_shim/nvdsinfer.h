// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY STAND-IN for the DeepStream SDK header <nvdsinfer.h>: not NVIDIA's file. It declares only
// what owl_bbox_parser.cc uses, with the documented fields in the documented order (DS 7.x API
// reference; layout checked against NVIDIA/DeepStream includes/nvdsinfer.h), so the parser compiles
// and is tested where the SDK is not installed (CMake option OWL_DS_PARSER_SHIM). Builds with the SDK
// use the real header and never see this folder.
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

// DS 6.2/7.x define FLOAT..INT32; INT64 and UINT8 came later (9.x).
typedef enum { FLOAT = 0, HALF = 1, INT8 = 2, INT32 = 3 } NvDsInferDataType;

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

// DS 7.x layout; DS 8.0+ append `float rotation_angle` (the parser value-initialises, so both work).
typedef struct {
  unsigned int classId;
  float left;
  float top;
  float width;
  float height;
  float detectionConfidence;
} NvDsInferObjectDetectionInfo;

typedef NvDsInferObjectDetectionInfo NvDsInferParseObjectInfo;

#ifdef __cplusplus
}
#endif
