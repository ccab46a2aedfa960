// SPDX-License-Identifier: Apache-2.0
// Compiled only with the DeepStream SDK (see ds_pipeline.h), and against the DS 6.2, 7.0 and 9.1 headers by
// native/tools/ds-compile-check.sh (not in CI); reviewed against the deepstream-test3/test4 samples.
#include "deepstream/ds_pipeline.h"

#include <gstnvdsmeta.h>
#include <nvdsmeta.h>

#include <set>
#include <utility>

#include "gstreamer/gst_support.h"

namespace owl::ds {
namespace {

// Elements whose errors are usually a config or model problem (a rebuild rarely fixes them): reported as
// error events as well as retried.
const std::set<std::string> kFatalElements = {"infer", "enc", "msgconv", "broker"};

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
    info.code = missing ? codes::kEnoplugin : codes::kEinval;
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
      // Connecting includes building a TensorRT context and the RTSP handshake: four stall timeouts.
      runner_(loop_, *this, {options_.reconnect, /*connect_timeout_stalls=*/4, /*slow_start=*/true},
              callbacks_.on_state),
      labels_(std::make_shared<const std::vector<std::string>>()) {}

DsPipeline::~DsPipeline() { Stop(); }

void DsPipeline::Start() {
  EnsureGstInit();
  runner_.Start("DeepStreamPipeline was already started (a stopped one cannot restart): create a new one", [this] {
    GstElement* first = ParseDescription(options_.description);  // config mistakes throw here, not later
    GstElement* infer = ByName(first, "infer");
    if (infer == nullptr) {
      gst_object_unref(first);
      throw CodedError("the DeepStream pipeline description has no element named \"infer\"", codes::kEinval);
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
    parsed_ = first;
  }, "starting the DeepStream pipeline");
}

void DsPipeline::Stop() {
  if (!runner_.Stop()) return;
  if (parsed_ != nullptr) {  // stopped before the first attempt began
    gst_object_unref(parsed_);
    parsed_ = nullptr;
  }
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
  stats.reconnects = runner_.reconnects();
  return stats;
}

// --- loop thread -------------------------------------------------------------------------------

GstElement* DsPipeline::BuildPipeline() {
  GstElement* pipeline = parsed_ != nullptr ? std::exchange(parsed_, nullptr) : ParseDescription(options_.description);
  if (GstElement* mux = ByName(pipeline, "mux")) {
    guint width = 0, height = 0;  // the legacy nvstreammux scales to width x height; the new one has neither
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(mux), "width") != nullptr) {
      g_object_get(mux, "width", &width, "height", &height, nullptr);
    }
    mux_width_.store(static_cast<int>(width));
    mux_height_.store(static_cast<int>(height));
    gst_object_unref(mux);
  }
  GstElement* infer = ByName(pipeline, "infer");  // checked in Start(); the description does not change
  GstPad* inferred = gst_element_get_static_pad(infer, "src");
  gst_pad_add_probe(inferred, GST_PAD_PROBE_TYPE_BUFFER, &DsPipeline::OnInferBuffer, this, nullptr);
  gst_object_unref(inferred);
  gst_object_unref(infer);
  if (GstElement* enc = ByName(pipeline, "enc")) {
    GstPad* encoded = gst_element_get_static_pad(enc, "src");
    gst_pad_add_probe(encoded, GST_PAD_PROBE_TYPE_BUFFER, &DsPipeline::OnEncodedBuffer, this, nullptr);
    gst_object_unref(encoded);
    gst_object_unref(enc);
  }
  return pipeline;
}

void DsPipeline::OnBusMessage(GstMessage* message) {
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR: {
      if (runner_.phase() == ReconnectLoop::Phase::kRetryWait || runner_.phase() == ReconnectLoop::Phase::kStopped) {
        return;
      }
      const ErrorInfo error = ErrorFromMessage(message);
      const char* source = GST_MESSAGE_SRC_NAME(message);
      if (source != nullptr && kFatalElements.count(source) > 0) {
        callbacks_.on_error(error);
      }
      runner_.Fail(error.message);
      break;
    }
    case GST_MESSAGE_EOS:
      // Files loop inside nvurisrcbin (file-loop); an end of stream means the source ended.
      runner_.Fail("the input ended (end of stream)");
      break;
    default:
      break;
  }
}

std::string DsPipeline::BuildFailedReason(const std::string& error) const {
  return "could not build the DeepStream pipeline: " + error;
}

std::string DsPipeline::StartFailedReason() const { return "the DeepStream pipeline could not start"; }

std::string DsPipeline::ConnectTimeoutReason(int timeout_ms) const {
  return "no frame within " + std::to_string(timeout_ms) + " ms of starting";
}

std::string DsPipeline::RetryReason(int64_t delay_ms, int attempt) const {
  return "rebuilding the DeepStream pipeline after " + std::to_string(delay_ms) + " ms (attempt " +
         std::to_string(attempt) + ")";
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
    runner_.NoteFrame();
    if (callbacks_.on_frame(std::move(out))) {
      frames_to_js_.fetch_add(1, std::memory_order_relaxed);
    } else {
      frames_dropped_.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

}  // namespace owl::ds
