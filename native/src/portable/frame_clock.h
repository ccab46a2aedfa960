// SPDX-License-Identifier: Apache-2.0
// When a frame was captured, on the pipeline's clock: the element's base time plus the buffer's running time, in
// ms. The inference and video branches of one input share its buffers (a tee), so the model's frame and every
// output frame are timed on one clock, and the tracker can tell where a track is at each output frame. A rebuilt
// input pipeline (a reconnect, a looped file) gets a new base time on the same system clock, so the times go on
// increasing.
#pragma once

#include <gst/gst.h>

#include <cstdint>

namespace owl {

/**
 * [sync] base time + running time of `pts` in `segment`, in ms, for a buffer seen at `element` (any element of the
 * pipeline). A buffer without a time in a time segment gets the clock's current time instead (or the monotonic
 * time while the element has no clock).
 */
int64_t FrameClockMs(GstElement* element, const GstSegment& segment, GstClockTime pts);

}  // namespace owl
