// SPDX-License-Identifier: Apache-2.0
#include "portable/snapshot_tap.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace owl {
namespace {

// Limited-range levels (luma 16-235, chroma 16-240 around 128) to full range (0-255).
struct LevelTables {
  std::array<uint8_t, 256> luma{};
  std::array<uint8_t, 256> chroma{};
  LevelTables() {
    for (int v = 0; v < 256; ++v) {
      luma[v] = static_cast<uint8_t>(std::clamp(std::lround((v - 16) * 255.0 / 219.0), 0L, 255L));
      chroma[v] = static_cast<uint8_t>(std::clamp(std::lround(128 + (v - 128) * 255.0 / 224.0), 0L, 255L));
    }
  }
};

void StretchPlane(GstVideoFrame* frame, int plane, const std::array<uint8_t, 256>& table) {
  auto* data = static_cast<uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(frame, plane));
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(frame, plane);
  const int width = GST_VIDEO_FRAME_COMP_WIDTH(frame, plane);
  const int height = GST_VIDEO_FRAME_COMP_HEIGHT(frame, plane);
  for (int y = 0; y < height; ++y) {
    uint8_t* row = data + static_cast<size_t>(y) * stride;
    for (int x = 0; x < width; ++x) row[x] = table[row[x]];
  }
}

}  // namespace

SnapshotTap::~SnapshotTap() {
  if (latest_ != nullptr) gst_buffer_unref(latest_);
}

void SnapshotTap::Attach(GstPad* gate, GstPad* encoder_input, GstElement* appsink) {
  gst_pad_add_probe(gate, GST_PAD_PROBE_TYPE_BUFFER, &SnapshotTap::OnGate, this, nullptr);
  gst_pad_add_probe(encoder_input,
                    static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                    &SnapshotTap::OnEncoderInput, this, nullptr);
  GstAppSinkCallbacks callbacks{};
  callbacks.new_sample = &SnapshotTap::OnNewSample;
  gst_app_sink_set_callbacks(GST_APP_SINK(appsink), &callbacks, this, nullptr);
}

GstBuffer* SnapshotTap::Request() {
  const int64_t now = g_get_monotonic_time();
  const int64_t previous = last_request_us_.exchange(now);
  GstBuffer* stale = nullptr;
  GstBuffer* newest = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // The gate has been closed since previous + kIdleUs: what is kept shows the past, not the newest frame.
    if (now - previous > kIdleUs) std::swap(stale, latest_);
    if (latest_ != nullptr) newest = gst_buffer_ref(latest_);
  }
  if (stale != nullptr) gst_buffer_unref(stale);
  return newest;
}

std::pair<int, int> SnapshotTap::JpegSize(int width, int height) {
  const int longest = std::max(width, height);
  if (longest <= kMaxSide) return {width, height};
  const double scale = static_cast<double>(kMaxSide) / longest;
  const auto scaled = [scale](int side) { return std::max(2, static_cast<int>(std::lround(side * scale)) & ~1); };
  return {scaled(width), scaled(height)};
}

GstPadProbeReturn SnapshotTap::OnGate(GstPad*, GstPadProbeInfo*, gpointer self) {
  auto* tap = static_cast<SnapshotTap*>(self);
  const int64_t now = g_get_monotonic_time();
  if (now - tap->last_request_us_.load() > kIdleUs) return GST_PAD_PROBE_DROP;
  const int64_t due = tap->next_due_us_.load();
  if (now < due) return GST_PAD_PROBE_DROP;
  // Step the schedule rather than restart it from now, so a 30 fps input gives 10 fps, not every fourth frame;
  // after a pause (or a slow input) it starts again from now.
  tap->next_due_us_.store(now - due < kIntervalUs ? due + kIntervalUs : now + kIntervalUs);
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn SnapshotTap::OnEncoderInput(GstPad*, GstPadProbeInfo* info, gpointer self) {
  auto* tap = static_cast<SnapshotTap*>(self);
  if (!(GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER)) {
    GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
    GstCaps* caps = nullptr;
    if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
      gst_event_parse_caps(event, &caps);
      // Unknown range counts as limited: what decoders and videotestsrc give for I420.
      tap->limited_range_ = gst_video_info_from_caps(&tap->encoder_info_, caps) &&
                            GST_VIDEO_INFO_FORMAT(&tap->encoder_info_) == GST_VIDEO_FORMAT_I420 &&
                            tap->encoder_info_.colorimetry.range != GST_VIDEO_COLOR_RANGE_0_255;
    }
    return GST_PAD_PROBE_OK;
  }
  if (!tap->limited_range_) return GST_PAD_PROBE_OK;
  static const LevelTables tables;
  // Shared with the RTSP output when no scaling happened: stretch a copy.
  GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = buffer;
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &tap->encoder_info_, buffer, GST_MAP_READWRITE)) return GST_PAD_PROBE_OK;
  StretchPlane(&frame, 0, tables.luma);
  StretchPlane(&frame, 1, tables.chroma);
  StretchPlane(&frame, 2, tables.chroma);
  gst_video_frame_unmap(&frame);
  return GST_PAD_PROBE_OK;
}

GstFlowReturn SnapshotTap::OnNewSample(GstAppSink* sink, gpointer self) {
  auto* tap = static_cast<SnapshotTap*>(self);
  GstSample* sample = gst_app_sink_pull_sample(sink);
  if (sample == nullptr) return GST_FLOW_OK;
  GstBuffer* jpeg = gst_sample_get_buffer(sample);
  if (jpeg != nullptr) {
    gst_buffer_ref(jpeg);
    {
      std::lock_guard<std::mutex> lock(tap->mutex_);
      std::swap(jpeg, tap->latest_);
    }
    if (jpeg != nullptr) gst_buffer_unref(jpeg);  // the previous one
  }
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

}  // namespace owl
