// SPDX-License-Identifier: Apache-2.0
// Compiled only with the DeepStream SDK (see ds_pipeline.h). Reviewed against the DS 7.x headers
// (nvdsmeta.h, gstnvdsmeta.h) and the deepstream-test3/test4 samples; not compiled in CI.
#include "deepstream/ds_pipeline.h"

#include <gstnvdsmeta.h>
#include <nvdsmeta.h>

#include <algorithm>
#include <set>
#include <utility>

#include "portable/gst_support.h"

namespace owl::ds {
namespace {

constexpr unsigned kWatchdogIntervalMs = 100;

// Elements whose errors are usually a config or model problem (a rebuild rarely fixes them): reported as
// error events as well as retried.
const std::set<std::string> kFatalElements = {"infer", "enc", "msgconv", "broker"};

int64_t NowUs() { return g_get_monotonic_time(); }

// The description as a pipeline (a full reference), or CodedError: a missing element is "ENOPLUGIN",
// any other parse error (unknown property, bad value, syntax) "EINVAL".
GstElement* ParseDescription(const std::string& description) {
  GError* error = nullptr;
  GstElement* parsed = gst_parse_launch_full(description.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &error);
  if (parsed != nullptr && error == nullptr) return GST_ELEMENT(gst_object_ref_sink(parsed));
  if (parsed != nullptr) gst_object_unref(gst_object_ref_sink(parsed));
  ErrorInfo info = ErrorFromGError(error, "DeepStream pipeline");
  if (error != nullptr && error->domain == GST_PARSE_ERROR) {
    const bool missing = error->code == GST_PARSE_ERROR_NO_SUCH_ELEMENT;
    info.code = missing ? "ENOPLUGIN" : "EINVAL";
    if (missing) info.message += " (is this a DeepStream 7.x install with its plugins on GST_PLUGIN_PATH?)";
  }
  g_clear_error(&error);
  throw CodedError(info);
}

GstElement* ByName(GstElement* pipeline, const char* name) {
  return gst_bin_get_by_name(GST_BIN(pipeline), name);  // full reference or null
}

}  // namespace

DsPipeline::DsPipeline(DsPipelineOptions options, std::shared_ptr<RtspServer> server, Callbacks callbacks)
    : options_(std::move(options)),
      server_(std::move(server)),
      callbacks_(std::move(callbacks)),
      loop_("owl-deepstream"),
      labels_(std::make_shared<const std::vector<std::string>>()) {}

DsPipeline::~DsPipeline() { Stop(); }

void DsPipeline::Start() {
  EnsureGstInit();
  std::lock_guard<std::mutex> lock(lifecycle_mutex_);
  if (lifecycle_ != Lifecycle::kNew) {
    throw CodedError("DeepStreamPipeline was already started (a stopped one cannot restart): create a new one",
                     "ESTATE");
  }
  GstElement* first = ParseDescription(options_.description);  // config mistakes throw here, not later
  GstElement* infer = ByName(first, "infer");
  if (infer == nullptr) {
    gst_object_unref(first);
    throw CodedError("the DeepStream pipeline description has no element named \"infer\"", "EINVAL");
  }
  gst_object_unref(infer);
  if (options_.output_enabled) {
    try {
      server_->Reserve(options_.mount);
      server_->Publish(options_.mount, options_.mount_launch);
    } catch (...) {
      server_->Unmount(options_.mount);
      gst_object_unref(first);
      throw;
    }
  }
  lifecycle_ = Lifecycle::kStarted;
  loop_.Start();
  // Posted, not invoked: nvinfer loads the TensorRT engine while the pipeline starts (seconds), and JS
  // (the REST API among it) must not wait for that.
  loop_.Post([this, first] {
    if (phase_ == Phase::kStopped) {
      gst_object_unref(first);
      return;
    }
    watchdog_ = loop_.AddTimeout(kWatchdogIntervalMs, [this] { return Watchdog(); });
    Emit(PipelineState::kConnecting, "starting the DeepStream pipeline");
    Connect(first);
  });
}

void DsPipeline::Stop() {
  {
    std::lock_guard<std::mutex> lock(lifecycle_mutex_);
    const bool started = lifecycle_ == Lifecycle::kStarted;
    lifecycle_ = Lifecycle::kStopped;
    if (!started) return;
  }
  loop_.Invoke([this] {
    retry_timer_.Reset();
    watchdog_.Reset();
    Teardown();
    phase_ = Phase::kStopped;
    Emit(PipelineState::kStopped, "stopped");
  });
  loop_.Stop();
  if (options_.output_enabled) server_->Unmount(options_.mount);
}

void DsPipeline::SetLabels(std::shared_ptr<const std::vector<std::string>> labels) {
  std::atomic_store(&labels_, std::move(labels));
}

PipelineStats DsPipeline::stats() const {
  PipelineStats stats;
  stats.frames_in = frames_in_.load();
  stats.frames_out = frames_out_.load();
  stats.frames_to_model = frames_to_js_.load();  // inference is inline: frames whose detections reached JS
  stats.frames_dropped = frames_dropped_.load();
  stats.reconnects = reconnects_.load();
  return stats;
}

// --- loop thread -------------------------------------------------------------------------------

void DsPipeline::Emit(PipelineState state, const std::string& reason) { callbacks_.on_state({state, reason}); }

void DsPipeline::Connect(GstElement* parsed) {
  phase_ = Phase::kConnecting;
  attempt_started_us_ = NowUs();
  got_frame_.store(false);
  try {
    pipeline_ = parsed != nullptr ? parsed : ParseDescription(options_.description);
  } catch (const std::exception& e) {
    Fail(std::string("could not build the DeepStream pipeline: ") + e.what());
    return;
  }

  if (GstElement* mux = ByName(pipeline_, "mux")) {
    guint width = 0, height = 0;  // the legacy nvstreammux scales to width x height; the new one has neither
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(mux), "width") != nullptr) {
      g_object_get(mux, "width", &width, "height", &height, nullptr);
    }
    mux_width_.store(static_cast<int>(width));
    mux_height_.store(static_cast<int>(height));
    gst_object_unref(mux);
  }
  GstElement* infer = ByName(pipeline_, "infer");  // checked in Start(); the description does not change
  GstPad* inferred = gst_element_get_static_pad(infer, "src");
  gst_pad_add_probe(inferred, GST_PAD_PROBE_TYPE_BUFFER, &DsPipeline::OnInferBuffer, this, nullptr);
  gst_object_unref(inferred);
  gst_object_unref(infer);
  if (GstElement* enc = ByName(pipeline_, "enc")) {
    GstPad* encoded = gst_element_get_static_pad(enc, "src");
    gst_pad_add_probe(encoded, GST_PAD_PROBE_TYPE_BUFFER, &DsPipeline::OnEncodedBuffer, this, nullptr);
    gst_object_unref(encoded);
    gst_object_unref(enc);
  }

  GstBus* bus = gst_element_get_bus(pipeline_);
  GSource* watch = gst_bus_create_watch(bus);
  g_source_set_callback(watch, reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(&DsPipeline::BusCallback)),
                        this, nullptr);
  bus_watch_ = loop_.Attach(watch);
  const GstStateChangeReturn started = gst_element_set_state(pipeline_, GST_STATE_PLAYING);
  attempt_started_us_ = NowUs();  // the state change loads the model (seconds); the watchdog counts from here
  if (started == GST_STATE_CHANGE_FAILURE) {
    if (GstMessage* error = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
      OnBusMessage(error);  // reports errors of the named elements, then fails with the message
      gst_message_unref(error);
    } else {
      Fail("the DeepStream pipeline could not start");
    }
  }
  gst_object_unref(bus);
}

gboolean DsPipeline::BusCallback(GstBus*, GstMessage* message, gpointer self) {
  static_cast<DsPipeline*>(self)->OnBusMessage(message);
  return G_SOURCE_CONTINUE;
}

void DsPipeline::OnBusMessage(GstMessage* message) {
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR: {
      if (phase_ == Phase::kRetryWait || phase_ == Phase::kStopped) return;
      const ErrorInfo error = ErrorFromMessage(message);
      const char* source = GST_MESSAGE_SRC_NAME(message);
      if (source != nullptr && kFatalElements.count(source) > 0) {
        callbacks_.on_error(error);
      }
      Fail(error.message);
      break;
    }
    case GST_MESSAGE_EOS:
      // Files loop inside nvurisrcbin (file-loop); an end of stream means the source ended.
      Fail("the input ended (end of stream)");
      break;
    default:
      break;
  }
}

void DsPipeline::OnFirstFrame(uint64_t generation) {
  if (generation != generation_.load() || phase_ != Phase::kConnecting) return;
  phase_ = Phase::kPlaying;
  failures_ = 0;
  const std::string reason = "first frame after " + std::to_string((NowUs() - attempt_started_us_) / 1000) + " ms";
  if (ever_played_) {
    reconnects_.fetch_add(1);
    Emit(PipelineState::kReconnected, reason);
  } else {
    Emit(PipelineState::kPlaying, reason);
  }
  ever_played_ = true;
}

bool DsPipeline::Watchdog() {
  const int64_t now = NowUs();
  const int64_t stall_us = static_cast<int64_t>(options_.stall_timeout_ms) * 1000;
  // Connecting includes building a TensorRT context and the RTSP handshake: allow four times as long.
  if (phase_ == Phase::kConnecting && now - attempt_started_us_ > 4 * stall_us) {
    Fail("no frame within " + std::to_string(4 * options_.stall_timeout_ms) + " ms of starting");
  } else if (phase_ == Phase::kPlaying && now - last_frame_us_.load() > stall_us) {
    Fail("no frame for " + std::to_string(options_.stall_timeout_ms) + " ms (stalled)");
  }
  return true;
}

void DsPipeline::Fail(const std::string& reason) {
  if (phase_ == Phase::kRetryWait || phase_ == Phase::kStopped) return;
  Teardown();
  phase_ = Phase::kRetryWait;
  int64_t delay = std::max(1, options_.initial_delay_ms);
  for (int i = 0; i < failures_ && delay < options_.max_delay_ms; ++i) delay *= 2;
  delay = std::min<int64_t>(delay, std::max(1, options_.max_delay_ms));
  ++failures_;
  Emit(PipelineState::kLost, reason);
  retry_timer_ = loop_.AddTimeout(static_cast<unsigned>(delay), [this, delay] {
    Emit(PipelineState::kConnecting, "rebuilding the DeepStream pipeline after " + std::to_string(delay) +
                                         " ms (attempt " + std::to_string(failures_ + 1) + ")");
    Connect(nullptr);
    return false;
  });
}

void DsPipeline::Teardown() {
  bus_watch_.Reset();
  if (pipeline_ != nullptr) {
    // Joins the streaming threads: no probe of this pipeline runs after this.
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(pipeline_);
    pipeline_ = nullptr;
  }
  generation_.fetch_add(1);
}

// --- streaming threads -------------------------------------------------------------------------

GstPadProbeReturn DsPipeline::OnInferBuffer(GstPad*, GstPadProbeInfo* info, gpointer self) {
  static_cast<DsPipeline*>(self)->OnInferred(GST_PAD_PROBE_INFO_BUFFER(info));
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn DsPipeline::OnEncodedBuffer(GstPad*, GstPadProbeInfo*, gpointer self) {
  static_cast<DsPipeline*>(self)->frames_out_.fetch_add(1, std::memory_order_relaxed);
  return GST_PAD_PROBE_OK;
}

void DsPipeline::OnInferred(GstBuffer* buffer) {
  NvDsBatchMeta* batch = gst_buffer_get_nvds_batch_meta(buffer);
  if (batch == nullptr) return;
  const std::shared_ptr<const std::vector<std::string>> labels = std::atomic_load(&labels_);
  const int mux_width = mux_width_.load();
  const int mux_height = mux_height_.load();
  for (NvDsMetaList* l_frame = batch->frame_meta_list; l_frame != nullptr; l_frame = l_frame->next) {
    auto* frame = static_cast<NvDsFrameMeta*>(l_frame->data);
    auto out = std::make_unique<DsFrame>();
    out->frame_id = next_frame_id_.fetch_add(1);
    out->width = static_cast<int>(frame->source_frame_width);
    out->height = static_cast<int>(frame->source_frame_height);
    // Object meta is in nvstreammux output pixels; JS gets source pixels, like the portable engine.
    const float sx = mux_width > 0 && out->width > 0 ? static_cast<float>(out->width) / mux_width : 1.f;
    const float sy = mux_height > 0 && out->height > 0 ? static_cast<float>(out->height) / mux_height : 1.f;
    for (NvDsMetaList* l_obj = frame->obj_meta_list; l_obj != nullptr; l_obj = l_obj->next) {
      auto* object = static_cast<NvDsObjectMeta*>(l_obj->data);
      const int class_id = object->class_id;
      const char* label = class_id >= 0 && static_cast<size_t>(class_id) < labels->size()
                              ? (*labels)[static_cast<size_t>(class_id)].c_str()
                              : "";
      // nvmsgconv reads obj_label, nvdsosd display_text (heap memory the meta pool frees).
      g_strlcpy(object->obj_label, label, MAX_LABEL_SIZE);
      g_free(object->text_params.display_text);
      object->text_params.display_text = g_strdup(label);

      const NvOSD_RectParams& r = object->rect_params;
      out->labels.push_back(class_id);
      out->scores.push_back(object->confidence);
      out->boxes.insert(out->boxes.end(), {r.left * sx, r.top * sy, (r.left + r.width) * sx, (r.top + r.height) * sy});
    }
    frames_in_.fetch_add(1, std::memory_order_relaxed);
    last_frame_us_.store(NowUs());
    if (!got_frame_.exchange(true)) {
      const uint64_t generation = generation_.load();
      loop_.Post([this, generation] { OnFirstFrame(generation); });
    }
    if (callbacks_.on_frame(std::move(out))) {
      frames_to_js_.fetch_add(1, std::memory_order_relaxed);
    } else {
      frames_dropped_.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

}  // namespace owl::ds
