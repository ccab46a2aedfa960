// SPDX-License-Identifier: Apache-2.0
// Compile-time checks of the DeepStream structs whose layout the tensor decode relies on when it reads what
// nvinfer wrote (tensor_decode.cc): nvinfer's output layer descriptions. The addon is built against the headers
// of the SDK that runs it (DEEPSTREAM_DIR), so these hold by construction there; they make headers of another
// layout (a wrong DEEPSTREAM_DIR, a future SDK) fail the build instead of misreading tensors. Read in the
// headers of DeepStream 6.2, 7.0 and 9.1 (native/tools/ds-compile-check.sh); LP64 (x86-64 and aarch64 Linux,
// every DeepStream platform) is assumed for the pointer offsets.
#pragma once

#include <nvdsinfer.h>

#include <cstddef>

static_assert(sizeof(void*) == 8, "DeepStream runs on LP64 Linux (x86-64, aarch64) only");
static_assert(sizeof(NvDsInferDims) == 40 && NVDSINFER_MAX_DIMS == 8, "NvDsInferDims: {numDims, d[8], numElements}");
static_assert(offsetof(NvDsInferLayerInfo, dataType) == 0 && offsetof(NvDsInferLayerInfo, inferDims) == 4 &&
                  offsetof(NvDsInferLayerInfo, layerName) == 48 && offsetof(NvDsInferLayerInfo, buffer) == 56 &&
                  offsetof(NvDsInferLayerInfo, isInput) == 64 && sizeof(NvDsInferLayerInfo) == 72,
              "NvDsInferLayerInfo: the layout the tensor decode reads changed; check this SDK's nvdsinfer.h");
static_assert(sizeof(NvDsInferNetworkInfo) == 12, "NvDsInferNetworkInfo: {width, height, channels}");
static_assert(FLOAT == 0 && HALF == 1, "NvDsInferDataType: FLOAT = 0 and HALF = 1 in every version");
