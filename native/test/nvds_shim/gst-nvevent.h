// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY STAND-IN for the DeepStream SDK header <gst-nvevent.h>: not NVIDIA's file. The per-stream end of
// stream that nvstreammux sends downstream when one of its sink pads gets EOS (the same event type number as
// DS 6.2, 7.0 and 9.1), implemented by the stand-in library.
#pragma once

#include <gst/gst.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  GST_NVEVENT_STREAM_EOS = GST_EVENT_MAKE_TYPE(402, GST_EVENT_TYPE_DOWNSTREAM | GST_EVENT_TYPE_SERIALIZED |
                                                        GST_EVENT_TYPE_STICKY | GST_EVENT_TYPE_STICKY_MULTI),
} GstNvEventType;

GstEvent* gst_nvevent_new_stream_eos(guint source_id);
void gst_nvevent_parse_stream_eos(GstEvent* event, guint* source_id);

#ifdef __cplusplus
}
#endif
