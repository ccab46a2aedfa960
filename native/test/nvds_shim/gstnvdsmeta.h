// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY STAND-IN for the DeepStream SDK header <gstnvdsmeta.h>: not NVIDIA's file (see nvdsmeta.h
// here). The function is implemented by native/test/nvds_meta_standin.cc.
#pragma once

#include <gst/gst.h>

#include "nvdsmeta.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The batch metadata nvstreammux attaches to a buffer (the stand-in makes up a fixed batch). */
NvDsBatchMeta* gst_buffer_get_nvds_batch_meta(GstBuffer* buffer);

#ifdef __cplusplus
}
#endif
