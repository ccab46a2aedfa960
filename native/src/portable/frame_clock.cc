// SPDX-License-Identifier: Apache-2.0
#include "portable/frame_clock.h"

namespace owl {

int64_t FrameClockMs(GstElement* element, const GstSegment& segment, GstClockTime pts) {
  const GstClockTime running =
      segment.format == GST_FORMAT_TIME ? gst_segment_to_running_time(&segment, GST_FORMAT_TIME, pts)
                                        : GST_CLOCK_TIME_NONE;
  GstClockTime time = GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID(running)) {
    time = gst_element_get_base_time(element) + running;
  } else if (GstClock* clock = gst_element_get_clock(element)) {
    time = gst_clock_get_time(clock);
    gst_object_unref(clock);
  } else {
    time = gst_util_get_timestamp();
  }
  return static_cast<int64_t>(time / GST_MSECOND);
}

}  // namespace owl
