// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY STAND-IN for the DeepStream SDK header <gstnvdsinfer.h>: not NVIDIA's file. nvinfer's tensor output
// metadata (output-tensor-meta=1) with the fields of DeepStream 9.1 (6.2 and 7.0 lack symmetric_padding, which
// native/src/deepstream does not read).
#pragma once

#include <glib.h>

#include "nvdsinfer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  guint unique_id;
  guint num_output_layers;
  NvDsInferLayerInfo* output_layers_info;
  void** out_buf_ptrs_host;
  void** out_buf_ptrs_dev;
  gint gpu_id;
  void* priv_data;
  NvDsInferNetworkInfo network_info;
  gboolean maintain_aspect_ratio;
  gboolean symmetric_padding;
} NvDsInferTensorMeta;

#ifdef __cplusplus
}
#endif
