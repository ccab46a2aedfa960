// SPDX-License-Identifier: Apache-2.0
#include "portable/frame_tap.h"

#include <gst/video/video.h>

#include <stdexcept>
#include <utility>

#include "decode/preprocess.h"
#include "portable/frame_clock.h"

namespace owl {

FrameTap::FrameTap(const InferenceOptions& options, Deliver deliver)
    : options_(options), deliver_(std::move(deliver)) {}

void FrameTap::Attach(GstPad* entry, GstElement* appsink) {
  gst_pad_add_probe(entry, GST_PAD_PROBE_TYPE_BUFFER, &FrameTap::OnEntry, this, nullptr);
  GstAppSinkCallbacks callbacks{};
  callbacks.new_sample = &FrameTap::OnNewSample;
  gst_app_sink_set_callbacks(GST_APP_SINK(appsink), &callbacks, this, nullptr);
}

void FrameTap::NoteSourceFrame(GstClockTime pts, int64_t frame_id, int width, int height) {
  std::lock_guard<std::mutex> lock(recent_mutex_);
  recent_[static_cast<size_t>(frame_id) % recent_.size()] = {pts, frame_id, width, height};
}

FrameTap::SourceFrame FrameTap::Lookup(GstClockTime pts) {
  std::lock_guard<std::mutex> lock(recent_mutex_);
  const SourceFrame* newest = &recent_[0];
  for (const SourceFrame& frame : recent_) {
    if (frame.id >= 0 && frame.pts == pts && GST_CLOCK_TIME_IS_VALID(pts)) return frame;
    if (frame.id > newest->id) newest = &frame;
  }
  return *newest;  // no timestamps: the newest source frame is the closest guess
}

GstPadProbeReturn FrameTap::OnEntry(GstPad*, GstPadProbeInfo*, gpointer self) {
  auto* tap = static_cast<FrameTap*>(self);
  if (tap->idle_.load()) return GST_PAD_PROBE_OK;
  tap->dropped_.fetch_add(1);
  return GST_PAD_PROBE_DROP;
}

GstFlowReturn FrameTap::OnNewSample(GstAppSink* sink, gpointer self) {
  GstSample* sample = gst_app_sink_pull_sample(sink);
  if (sample == nullptr) return GST_FLOW_OK;
  static_cast<FrameTap*>(self)->Handle(GST_ELEMENT(sink), sample);
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

void FrameTap::Handle(GstElement* sink, GstSample* sample) {
  bool expected = true;
  if (!idle_.compare_exchange_strong(expected, false)) {
    dropped_.fetch_add(1);
    return;
  }
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer* buffer = gst_sample_get_buffer(sample);
  if (buffer == nullptr || !gst_video_info_from_caps(&info, gst_sample_get_caps(sample)) ||
      !gst_video_frame_map(&frame, &info, buffer, GST_MAP_READ)) {
    dropped_.fetch_add(1);
    idle_.store(true);
    return;
  }
  const SourceFrame source = Lookup(GST_BUFFER_PTS(buffer));
  auto packet = std::make_unique<FramePacket>();
  packet->frame_id = source.id;
  GstSegment untimed;
  gst_segment_init(&untimed, GST_FORMAT_UNDEFINED);
  const GstSegment* segment = gst_sample_get_segment(sample);
  packet->timestamp_ms = FrameClockMs(sink, segment != nullptr ? *segment : untimed, GST_BUFFER_PTS(buffer));
  packet->width = source.width;
  packet->height = source.height;
  const int size = options_.input_size;
  packet->length = static_cast<size_t>(3) * size * size;
  packet->tensor.reset(new float[packet->length]);
  bool converted = true;
  try {
    PreprocessInto(static_cast<const uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0)), GST_VIDEO_FRAME_WIDTH(&frame),
                   GST_VIDEO_FRAME_HEIGHT(&frame), GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0), size,
                   options_.mean.data(), options_.std.data(), packet->tensor.get());
  } catch (const std::invalid_argument&) {
    converted = false;  // a sample scaled for the previous source size, during a caps change
  }
  gst_video_frame_unmap(&frame);
  if (!converted || !deliver_(std::move(packet))) {
    dropped_.fetch_add(1);
    idle_.store(true);
    return;
  }
  to_model_.fetch_add(1);
}

}  // namespace owl
