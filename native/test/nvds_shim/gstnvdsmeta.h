// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY STAND-IN for the DeepStream SDK header <gstnvdsmeta.h>: not NVIDIA's file (see nvdsmeta.h here).
// Implemented by the stand-in library (native/test/nvds_standin/nvds_meta_standin.cc).
#pragma once

#include <gst/gst.h>

#include "nvdsmeta.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The batch metadata nvstreammux attached to a buffer (the stand-in muxer attaches one), or NULL. */
NvDsBatchMeta* gst_buffer_get_nvds_batch_meta(GstBuffer* buffer);

#ifdef __cplusplus
}
#endif
