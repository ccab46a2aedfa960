// SPDX-License-Identifier: Apache-2.0
// Compile-time checks of the DeepStream structs that the bbox parser library exchanges with nvinfer, per
// SDK version (NVDS_VERSION_MAJOR from nvds_version.h). nvinfer hands the parser its own
// std::vector<NvDsInferObjectDetectionInfo> to fill: if the library was compiled with another element size
// than nvinfer's, every object after the first lands at the wrong place. DeepStream 8 appended
// `float rotation_angle` (24 -> 28 bytes), so the library must be built against the headers of the SDK that
// loads it (the DeepStream image does; CMake never builds libowl_ds_parser.so from the stand-ins). These checks
// make a header whose layout is not the one verified for its version fail the build instead.
//
// Read in the headers themselves (native/tools/ds-compile-check.sh): DeepStream 6.2 and 7.0 (24 bytes, no
// rotation_angle) and 9.1 (28 bytes). 7.1 and 8.0 follow their API references (7.1 as 7.0, 8.0 as 9.1).
// LP64 (x86-64 and aarch64 Linux, every DeepStream platform) is assumed for the pointer offsets.
#pragma once

#include <nvds_version.h>
#include <nvdsinfer.h>

#include <cstddef>

static_assert(sizeof(void*) == 8, "DeepStream runs on LP64 Linux (x86-64, aarch64) only");

static_assert(offsetof(NvDsInferObjectDetectionInfo, classId) == 0 &&
                  offsetof(NvDsInferObjectDetectionInfo, left) == 4 &&
                  offsetof(NvDsInferObjectDetectionInfo, top) == 8 &&
                  offsetof(NvDsInferObjectDetectionInfo, width) == 12 &&
                  offsetof(NvDsInferObjectDetectionInfo, height) == 16 &&
                  offsetof(NvDsInferObjectDetectionInfo, detectionConfidence) == 20,
              "NvDsInferObjectDetectionInfo: the fields before rotation_angle moved; check this SDK's nvdsinfer.h");
#if NVDS_VERSION_MAJOR >= 8
static_assert(offsetof(NvDsInferObjectDetectionInfo, rotation_angle) == 24 &&
                  sizeof(NvDsInferObjectDetectionInfo) == 28,
              "NvDsInferObjectDetectionInfo: DeepStream 8+ is expected to end with float rotation_angle (28 bytes)");
#else
static_assert(sizeof(NvDsInferObjectDetectionInfo) == 24,
              "NvDsInferObjectDetectionInfo: DeepStream before 8 is expected to have no rotation_angle (24 bytes)");
#endif

static_assert(sizeof(NvDsInferDims) == 40 && NVDSINFER_MAX_DIMS == 8, "NvDsInferDims: {numDims, d[8], numElements}");
static_assert(offsetof(NvDsInferLayerInfo, dataType) == 0 && offsetof(NvDsInferLayerInfo, inferDims) == 4 &&
                  offsetof(NvDsInferLayerInfo, layerName) == 48 && offsetof(NvDsInferLayerInfo, buffer) == 56 &&
                  offsetof(NvDsInferLayerInfo, isInput) == 64 && sizeof(NvDsInferLayerInfo) == 72,
              "NvDsInferLayerInfo: the layout read by the parser changed; check this SDK's nvdsinfer.h");
static_assert(sizeof(NvDsInferNetworkInfo) == 12, "NvDsInferNetworkInfo: {width, height, channels}");
static_assert(FLOAT == 0 && HALF == 1, "NvDsInferDataType: FLOAT = 0 and HALF = 1 in every version");
