// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY: the stand-in "SDK library" (libowl_nvds_standin.so) beyond the SDK functions the shim headers
// declare: how the stand-in muxer attaches batch metadata to a buffer. The metadata lives in a GstMeta on the
// buffer and is freed with it (objects, their texts, and user metadata through its release_func), as the SDK's
// meta pool would.
#pragma once

#include <gst/gst.h>
#include <nvdsmeta.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Attaches a batch of one frame to a writable buffer and returns the frame (owned by the buffer). */
NvDsFrameMeta* owl_standin_attach_frame(GstBuffer* buffer, guint source_id, gint frame_num, guint width,
                                        guint height);

#ifdef __cplusplus
}
#endif
