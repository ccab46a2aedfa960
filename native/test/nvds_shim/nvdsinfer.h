// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY STAND-IN for the DeepStream SDK header <nvdsinfer.h>: not NVIDIA's file. It declares only
// what owl_bbox_parser.cc uses, with the fields in the order and layout of DeepStream 9.1 (the version
// nvds_version.h here names; read in NVIDIA/DeepStream includes/nvdsinfer.h), so the parser compiles and
// is tested where the SDK is not installed (CMake option OWL_DS_PARSER_SHIM, library
// libowl_ds_parser_standin.so). Builds with the SDK use the real header and never see this folder.
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

// DS 9.1 layout (28 bytes); 6.2 and 7.0 have no rotation_angle (24 bytes): see sdk_abi_checks.h.
typedef struct {
  unsigned int classId;
  float left;
  float top;
  float width;
  float height;
  float detectionConfidence;
  float rotation_angle;  // radians; 0 = axis-aligned box
} NvDsInferObjectDetectionInfo;

typedef NvDsInferObjectDetectionInfo NvDsInferParseObjectInfo;

#ifdef __cplusplus
}
#endif
