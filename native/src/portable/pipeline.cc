// SPDX-License-Identifier: Apache-2.0
#include "portable/pipeline.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "decode/preprocess.h"
#include "gstreamer/gst_support.h"
#include "portable/frame_clock.h"
#include "portable/source_bin.h"

namespace owl {
namespace {

std::string NextChannelName() {
  static std::atomic<unsigned> counter{0};
  return "owl-video-" + std::to_string(counter.fetch_add(1));
}

// rtsp://user:secret@host/... -> rtsp://***@host/...: URLs end up in events and logs.
std::string Redacted(const std::string& uri) {
  const size_t scheme = uri.find("://");
  if (scheme == std::string::npos) return uri;
  const size_t at = uri.find('@', scheme + 3);
  const size_t slash = uri.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && at > slash)) return uri;
  return uri.substr(0, scheme + 3) + "***" + uri.substr(at);
}

std::string DescribeInput(const InputOptions& input) {
  switch (input.kind) {
    case InputOptions::Kind::kRtsp: return Redacted(input.uri);
    case InputOptions::Kind::kFile: return "file " + input.uri;
    default: return "test pattern " + input.uri;
  }
}

GstElement* MakeLeakyQueue(const char* name, guint max_buffers) {
  GstElement* queue = MakeElement("queue", name);
  g_object_set(queue, "max-size-buffers", max_buffers, "max-size-bytes", 0u, "max-size-time", G_GUINT64_CONSTANT(0),
               nullptr);
  gst_util_set_object_arg(G_OBJECT(queue), "leaky", "downstream");
  return queue;
}

void SetCaps(GstElement* capsfilter, GstCaps* caps) {
  g_object_set(capsfilter, "caps", caps, nullptr);
  gst_caps_unref(caps);
}

// Adds the elements to the bin and links them in order, the first from `from` when given (a tee gets a
// new request pad). Returns false if a link fails.
bool AddChain(GstElement* bin, GstElement* from, std::initializer_list<GstElement*> chain) {
  GstElement* previous = from;
  bool linked = true;
  for (GstElement* element : chain) {
    gst_bin_add(GST_BIN(bin), element);
    if (previous != nullptr) linked = linked && gst_element_link(previous, element);
    previous = element;
  }
  return linked;
}

constexpr GstPadProbeType kBuffersAndEvents =
    static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM);

}  // namespace

Pipeline::Pipeline(PipelineOptions options, std::shared_ptr<RtspServer> server, Callbacks callbacks)
    : options_(std::move(options)),
      server_(std::move(server)),
      callbacks_(std::move(callbacks)),
      channel_(NextChannelName()),
      loop_("owl-pipeline"),
      // Connecting includes the RTSP handshake and the wait for the first keyframe: two stall timeouts.
      runner_(loop_, *this, {options_.reconnect, /*connect_timeout_stalls=*/2, /*slow_start=*/false},
              callbacks_.on_state),
      tap_(options_.inference, callbacks_.on_frame) {
  gst_video_info_init(&video_info_);
  gst_segment_init(&video_segment_, GST_FORMAT_UNDEFINED);
}

Pipeline::~Pipeline() { Stop(); }

void Pipeline::Start() {
  EnsureGstInit();
  runner_.Start("Pipeline was already started (a stopped pipeline cannot restart): create a new one", [this] {
    CheckInput(options_.input);
    RequireElements({"tee", "queue", "videoscale", "videoconvert", "capsfilter", "appsink", "jpegenc"});
    const OutputFormat initial = InitialFormat();
    {
      std::lock_guard<std::mutex> format_lock(format_mutex_);
      output_format_ = initial;
    }
    if (options_.output.enabled) {
      RequireElements({"intervideosink", "intervideosrc", "x264enc", "rtph264pay"});
      CheckEncoderOptions(options_.output);
      // Last, so the mount is never left claimed; served now, so clients get black rather than 404 until a
      // camera answers.
      // A held mount (the stream waited for its input's address) is taken over with its channel: the clients
      // already watching it get this pipeline's frames.
      const std::string held_channel = server_->Reserve(options_.output.mount);
      if (!held_channel.empty()) channel_ = held_channel;
      try {
        server_->Publish(options_.output.mount, OutputLaunch(channel_, initial, options_.output));
      } catch (...) {
        server_->Unmount(options_.output.mount);
        throw;
      }
    }
  }, "connecting to " + DescribeInput(options_.input));
}

void Pipeline::Stop() {
  if (runner_.Stop() && options_.output.enabled) server_->Unmount(options_.output.mount);
}

void Pipeline::SetOverlay(std::shared_ptr<const OverlaySnapshot> overlay) {
  if (overlay != nullptr && overlay->items.empty()) overlay.reset();
  std::lock_guard<std::mutex> lock(overlay_mutex_);
  overlay_ = std::move(overlay);
}

void Pipeline::SetTracker(std::shared_ptr<tracking::SharedTracker> tracker, bool draw_predicted) {
  std::lock_guard<std::mutex> lock(overlay_mutex_);
  tracker_ = std::move(tracker);
  draw_predicted_ = draw_predicted;
}

PipelineStats Pipeline::stats() const {
  PipelineStats stats;
  stats.frames_in = frames_in_.load();
  stats.frames_out = frames_out_.load();
  stats.frames_to_model = tap_.to_model();
  stats.frames_dropped = tap_.dropped();
  stats.reconnects = runner_.reconnects();
  return stats;
}

// --- loop thread -------------------------------------------------------------------------------

GstElement* Pipeline::BuildPipeline() {
  GstElement* pipeline = gst_pipeline_new("owl-input");
  try {
    GstElement* source = MakeSourceBin(options_.input, options_.reconnect.stall_timeout_ms);
    GstElement* tee = MakeElement("tee", "tee");
    g_object_set(tee, "allow-not-linked", TRUE, nullptr);
    bool linked = AddChain(pipeline, nullptr, {source}) && AddChain(pipeline, source, {tee});
    GstPad* tee_sink = gst_element_get_static_pad(tee, "sink");
    gst_pad_add_probe(tee_sink, kBuffersAndEvents, &Pipeline::OnSourcePad, this, nullptr);
    gst_object_unref(tee_sink);

    // Files play at their own pace (sinks sync to the clock); live inputs are shown as soon as decoded.
    const gboolean sync = options_.input.kind == InputOptions::Kind::kFile;
    if (options_.inference.input_size > 0) {
      infer_caps_ = MakeElement("capsfilter", "infer_caps");
      SetCaps(infer_caps_, gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "RGB", nullptr));
      GstElement* queue = MakeLeakyQueue("infer_queue", 1);
      GstElement* sink = MakeElement("appsink", "infer_sink");
      g_object_set(sink, "sync", sync, "max-buffers", 1u, "drop", TRUE, "enable-last-sample", FALSE, nullptr);
      GstPad* entry = gst_element_get_static_pad(queue, "sink");
      tap_.Attach(entry, sink);
      gst_object_unref(entry);
      linked = linked && AddChain(pipeline, tee,
                                  {queue, MakeElement("videoscale", "infer_scale"),
                                   MakeElement("videoconvert", "infer_convert"), infer_caps_, sink});
    }

    // The video branch, always: it feeds the RTSP output (when enabled) and the JPEG snapshots.
    video_caps_ = MakeElement("capsfilter", "video_caps");
    SetCaps(video_caps_, gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", nullptr));
    GstElement* video_queue = MakeLeakyQueue("video_queue", 3);
    GstElement* video_tee = MakeElement("tee", "video_tee");
    g_object_set(video_tee, "allow-not-linked", TRUE, nullptr);
    linked = linked && AddChain(pipeline, tee,
                                {video_queue, MakeElement("videoscale", "video_scale"),
                                 MakeElement("videoconvert", "video_convert"), video_caps_, video_tee});
    GstPad* drawn = gst_element_get_static_pad(video_caps_, "src");
    gst_pad_add_probe(drawn, kBuffersAndEvents, &Pipeline::OnVideoPad, this, nullptr);
    gst_object_unref(drawn);
    if (options_.output.enabled) {
      GstElement* sink = MakeElement("intervideosink", "video_sink");
      g_object_set(sink, "channel", channel_.c_str(), "sync", sync, nullptr);
      linked = linked && AddChain(pipeline, video_tee, {sink});
    }

    jpeg_caps_ = MakeElement("capsfilter", "jpeg_caps");
    SetCaps(jpeg_caps_, gst_caps_new_empty_simple("video/x-raw"));
    GstElement* jpeg_queue = MakeLeakyQueue("jpeg_queue", 1);
    GstElement* encoder = MakeElement("jpegenc", "jpeg_encoder");
    g_object_set(encoder, "quality", SnapshotTap::kQuality, nullptr);
    GstElement* jpeg_sink = MakeElement("appsink", "jpeg_sink");
    // async=false: the pipeline must not wait for this sink to preroll, as its gate may never open.
    g_object_set(jpeg_sink, "sync", FALSE, "async", FALSE, "max-buffers", 1u, "drop", TRUE, "enable-last-sample",
                 FALSE, nullptr);
    linked = linked && AddChain(pipeline, video_tee,
                                {jpeg_queue, MakeElement("videoscale", "jpeg_scale"), jpeg_caps_, encoder, jpeg_sink});
    GstPad* gate = gst_element_get_static_pad(options_.output.enabled ? jpeg_queue : video_queue, "sink");
    GstPad* encoder_input = gst_element_get_static_pad(encoder, "sink");
    snapshots_.Attach(gate, encoder_input, jpeg_sink);
    gst_object_unref(encoder_input);
    gst_object_unref(gate);

    // Without an ungated branch that syncs to the clock, a file would be decoded as fast as the CPU allows.
    if (options_.inference.input_size == 0 && !options_.output.enabled) {
      GstElement* sink = MakeElement("fakesink", "sink");
      g_object_set(sink, "sync", sync, nullptr);
      linked = linked && AddChain(pipeline, tee, {MakeLeakyQueue("queue", 1), sink});
    }
    if (!linked) throw CodedError("could not link the input pipeline's elements", codes::kElink);
  } catch (...) {
    gst_object_unref(pipeline);
    infer_caps_ = video_caps_ = jpeg_caps_ = nullptr;
    throw;
  }
  return pipeline;
}

void Pipeline::OnBusMessage(GstMessage* message) {
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR:
      runner_.Fail(DescribeInput(options_.input) + ": " + ErrorFromMessage(message).message);
      break;
    case GST_MESSAGE_EOS:
      if (options_.input.kind != InputOptions::Kind::kFile) {
        runner_.Fail(DescribeInput(options_.input) + ": the input ended (end of stream)");
      } else if (!gst_element_seek_simple(runner_.pipeline(), GST_FORMAT_TIME,
                                          static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT), 0)) {
        runner_.Fail("could not seek back to the start of " + options_.input.uri + " to loop it");
      }
      break;
    default:
      break;
  }
}

void Pipeline::OnTeardown() { infer_caps_ = video_caps_ = jpeg_caps_ = nullptr; }

std::string Pipeline::BuildFailedReason(const std::string& error) const {
  return "could not build the input pipeline: " + error;
}

std::string Pipeline::StartFailedReason() const {
  return DescribeInput(options_.input) + ": the input pipeline could not start";
}

std::string Pipeline::ConnectTimeoutReason(int timeout_ms) const {
  return "no video from " + DescribeInput(options_.input) + " within " + std::to_string(timeout_ms) + " ms";
}

std::string Pipeline::RetryReason(int64_t delay_ms, int attempt) const {
  return "retrying " + DescribeInput(options_.input) + " after " + std::to_string(delay_ms) + " ms (attempt " +
         std::to_string(attempt) + ")";
}

OutputFormat Pipeline::InitialFormat() const {
  OutputFormat format = DefaultOutputFormat(options_.output);
  if (options_.input.kind != InputOptions::Kind::kTest) return format;
  // The test source's size and rate are known before its first frame.
  if (options_.output.width <= 0 || options_.output.height <= 0) {
    format.width = options_.input.width & ~1;  // 4:2:0 needs even sizes
    format.height = options_.input.height & ~1;
  }
  format.fps_n = options_.input.fps;
  return format;
}

void Pipeline::Republish(const OutputFormat& format) {
  if (runner_.phase() == ReconnectLoop::Phase::kStopped) return;
  // A new factory for new clients; the earlier one's shared media lives on for its clients, scaling the frames
  // to its own size, until they leave.
  try {
    server_->Publish(options_.output.mount, OutputLaunch(channel_, format, options_.output));
  } catch (const CodedError& e) {
    ErrorInfo error = e.info();
    error.source = "output";
    callbacks_.on_error(error);
  }
}

// --- streaming threads -------------------------------------------------------------------------

GstPadProbeReturn Pipeline::OnSourcePad(GstPad*, GstPadProbeInfo* info, gpointer self) {
  auto* pipeline = static_cast<Pipeline*>(self);
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER) {
    const int64_t id = static_cast<int64_t>(pipeline->frames_in_.fetch_add(1));
    if (pipeline->options_.inference.input_size > 0) {
      std::lock_guard<std::mutex> lock(pipeline->format_mutex_);
      pipeline->tap_.NoteSourceFrame(GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info)), id, pipeline->source_width_,
                                     pipeline->source_height_);
    }
    pipeline->runner_.NoteFrame();
  } else if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_CAPS) {
    GstCaps* caps = nullptr;
    gst_event_parse_caps(GST_PAD_PROBE_INFO_EVENT(info), &caps);
    pipeline->OnSourceCaps(caps);
  }
  return GST_PAD_PROBE_OK;
}

void Pipeline::OnSourceCaps(GstCaps* caps) {
  GstVideoInfo info;
  if (!gst_video_info_from_caps(&info, caps)) return;
  bool changed = false;
  OutputFormat format;
  {
    std::lock_guard<std::mutex> lock(format_mutex_);
    source_width_ = info.width;
    source_height_ = info.height;
    if (!format_from_source_) {
      // The first source fixes the output format for the pipeline's life: later ones are scaled to it.
      format_from_source_ = true;
      format = output_format_;
      if (options_.output.width == 0 || options_.output.height == 0) {
        format.width = info.width & ~1;  // 4:2:0 needs even sizes
        format.height = info.height & ~1;
      }
      if (info.fps_n > 0) {  // else the default rate stays
        format.fps_n = info.fps_n;
        format.fps_d = info.fps_d;
      }
      changed = format != output_format_;
      output_format_ = format;
    }
    format = output_format_;
  }
  // Set before this caps event reaches the branches, so they negotiate the new sizes directly.
  if (infer_caps_ != nullptr) {
    // The same layout the decode maps boxes back through (decode/preprocess.h).
    const SquareLayout layout = PadSquareLayout(info.width, info.height, options_.inference.input_size);
    SetCaps(infer_caps_, gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "RGB", "width", G_TYPE_INT,
                                             layout.width, "height", G_TYPE_INT, layout.height, nullptr));
  }
  if (video_caps_ != nullptr) {
    SetCaps(video_caps_, gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT,
                                             format.width, "height", G_TYPE_INT, format.height, "pixel-aspect-ratio",
                                             GST_TYPE_FRACTION, 1, 1, nullptr));
  }
  if (jpeg_caps_ != nullptr) {
    const auto [width, height] = SnapshotTap::JpegSize(format.width, format.height);
    SetCaps(jpeg_caps_, gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, width, "height", G_TYPE_INT, height,
                                            nullptr));
  }
  if (changed && options_.output.enabled) loop_.Post([this, format] { Republish(format); });
}

GstPadProbeReturn Pipeline::OnVideoPad(GstPad* pad, GstPadProbeInfo* info, gpointer self) {
  auto* pipeline = static_cast<Pipeline*>(self);
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER) {
    if (pipeline->options_.output.enabled) pipeline->frames_out_.fetch_add(1);
    pipeline->OnVideoBuffer(pad, info);
  } else if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_CAPS) {
    GstCaps* caps = nullptr;
    gst_event_parse_caps(GST_PAD_PROBE_INFO_EVENT(info), &caps);
    if (gst_video_info_from_caps(&pipeline->video_info_, caps)) pipeline->painter_.SetFormat(pipeline->video_info_);
  } else if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_SEGMENT) {
    gst_event_copy_segment(GST_PAD_PROBE_INFO_EVENT(info), &pipeline->video_segment_);
  }
  return GST_PAD_PROBE_OK;
}

void Pipeline::OnVideoBuffer(GstPad* pad, GstPadProbeInfo* info) {
  std::shared_ptr<const OverlaySnapshot> overlay;
  std::shared_ptr<tracking::SharedTracker> tracker;
  {
    std::lock_guard<std::mutex> lock(overlay_mutex_);
    overlay = overlay_;
    if (draw_predicted_) tracker = tracker_;
  }
  if (overlay == nullptr || GST_VIDEO_INFO_FORMAT(&video_info_) != GST_VIDEO_FORMAT_I420) return;
  double sx = 1.0, sy = 1.0;
  {
    std::lock_guard<std::mutex> lock(format_mutex_);
    if (source_width_ > 0 && source_height_ > 0) {
      sx = static_cast<double>(GST_VIDEO_INFO_WIDTH(&video_info_)) / source_width_;
      sy = static_cast<double>(GST_VIDEO_INFO_HEIGHT(&video_info_)) / source_height_;
    }
  }
  // The tee shares the decoded frame with the inference branch: drawing needs our own copy of it.
  GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = buffer;
  if (tracker != nullptr) {
    PlaceTracked(*overlay, *tracker, FrameClockMs(GST_PAD_PARENT(pad), video_segment_, GST_BUFFER_PTS(buffer)));
  }
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &video_info_, buffer, GST_MAP_WRITE)) return;
  painter_.Paint(&frame, overlay, sx, sy, tracker != nullptr ? &placements_ : nullptr);
  gst_video_frame_unmap(&frame);
}

void Pipeline::PlaceTracked(const OverlaySnapshot& overlay, const tracking::SharedTracker& tracker, int64_t time_ms) {
  tracker.Predict(time_ms, &predicted_);
  placements_.resize(overlay.items.size());
  for (size_t i = 0; i < overlay.items.size(); ++i) {
    const OverlayItem& item = overlay.items[i];
    OverlayPainter::Placement& placed = placements_[i];
    placed = {item.x0, item.y0, item.x1, item.y1};
    if (item.track_id == 0) continue;
    // A track gone since (removed by a prompt change, or lost for longer than the buffer) is not drawn.
    placed[0] = NAN;
    for (const tracking::TrackView& track : predicted_) {
      if (track.id != item.track_id) continue;
      placed = {track.box.x0, track.box.y0, track.box.x1, track.box.y1};
      break;
    }
  }
}

}  // namespace owl
