// SPDX-License-Identifier: Apache-2.0
// Compiled only with the DeepStream SDK (see ds_pipeline.h), or against the test-only stand-in headers; against
// the DS 6.2, 7.0 and 9.1 headers by native/tools/ds-compile-check.sh (not in CI).
#include "deepstream/ds_pipeline.h"

#include <gst-nvevent.h>
#include <gstnvdsmeta.h>
#include <nvdsmeta.h>

#include <algorithm>
#include <utility>

#include "deepstream/ds_description.h"
#include "gstreamer/gst_support.h"

namespace owl::ds {
namespace {

// Elements of the shared part whose errors are usually a config or model problem (a rebuild rarely fixes them):
// reported as error events as well as retried.
const std::set<std::string> kReportedElements = {"infer",        "tracker",      "msgconv",       "broker",
                                                  "msgconv-mqtt", "broker-mqtt",  "msgconv-kafka", "broker-kafka"};

void RequireElement(GstElement* pipeline, const char* name, const char* what) {
  GstElement* element = ByName(pipeline, name);
  if (element == nullptr) {
    throw CodedError(std::string("the DeepStream pipeline description has no ") + what + " named \"" + name + "\"",
                     codes::kEinval);
  }
  gst_object_unref(element);
}

GstPad* StaticPad(GstElement* pipeline, const char* element_name, const char* pad_name) {
  GstElement* element = ByName(pipeline, element_name);
  if (element == nullptr) return nullptr;
  GstPad* pad = gst_element_get_static_pad(element, pad_name);
  gst_object_unref(element);
  return pad;
}

// Each description parses (EINVAL / ENOPLUGIN naming what is wrong); nothing is kept.
void CheckStream(const DsStreamOptions& stream) {
  gst_object_unref(ParseBin(stream.source.description, "the source of stream " + stream.source.id));
  if (stream.source.output_enabled) {
    gst_object_unref(ParseBin(stream.source.output_description, "the output of stream " + stream.source.id));
  }
}

}  // namespace

DsPipeline::DsPipeline(DsPipelineOptions options, Callbacks callbacks)
    : options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      loop_("owl-deepstream"),
      // Connecting includes building a TensorRT context: four stall timeouts. Stalls are the streams' own.
      runner_(loop_, *this, {options_.reconnect, /*connect_timeout_stalls=*/4, /*slow_start=*/true,
                             /*watch_stalls=*/false},
              callbacks_.on_state),
      streams_(options_.max_streams),
      style_(std::make_shared<const OverlayStyle>(options_.overlay)),
      slots_(static_cast<size_t>(options_.max_streams)) {}

DsPipeline::~DsPipeline() { Stop(); }

void DsPipeline::Start() {
  EnsureGstInit();
  runner_.Start("DeepStreamPipeline was already started (a stopped one cannot restart): create a new one", [this] {
    GstElement* first = ParsePipeline(options_.description);  // config mistakes throw here, not later
    try {
      RequireElement(first, "mux", "nvstreammux");
      RequireElement(first, "infer", "nvinfer");
    } catch (...) {
      gst_object_unref(first);
      throw;
    }
    parsed_ = first;
    std::lock_guard<std::mutex> lock(registry_mutex_);
    accepting_ = true;
  }, "starting the DeepStream pipeline");
}

void DsPipeline::Stop() {
  bool was_accepting;
  {
    std::lock_guard<std::mutex> lock(registry_mutex_);
    was_accepting = std::exchange(accepting_, false);
  }
  if (was_accepting) {
    loop_.Invoke([this] {
      for (auto& [slot, source] : sources_) source->End();  // each stream's `stopped`, before the pipeline's
    });
  }
  if (!runner_.Stop()) return;
  if (parsed_ != nullptr) {  // stopped before the first attempt began
    gst_object_unref(parsed_);
    parsed_ = nullptr;
  }
  sources_.clear();  // the loop thread is joined: every source is disconnected and its pipeline gone
  leaving_.clear();
  std::lock_guard<std::mutex> lock(registry_mutex_);
  for (size_t slot = 0; slot < slots_.size(); ++slot) {
    if (slots_[slot].server) slots_[slot].server->Unmount(slots_[slot].mount);
    streams_.Publish(static_cast<int>(slot), nullptr);
    slots_[slot] = Slot{};
  }
}

void DsPipeline::AddSource(DsStreamOptions stream) {
  std::lock_guard<std::mutex> lock(registry_mutex_);
  const std::string& id = stream.source.id;
  if (!accepting_) throw CodedError("DeepStreamPipeline is not running: start() it first", codes::kEstate);
  int free_slot = -1;
  bool draining = false;
  for (size_t slot = 0; slot < slots_.size(); ++slot) {
    const Slot& s = slots_[slot];
    if (s.state == Slot::State::kUsed && s.view->id == id) {
      throw CodedError("stream " + id + " is already in the DeepStream pipeline", codes::kEexist);
    }
    if (s.state == Slot::State::kFree && free_slot < 0) free_slot = static_cast<int>(slot);
    draining = draining || s.state == Slot::State::kDraining;
  }
  if (free_slot < 0) {
    throw CodedError("the DeepStream pipeline takes " + std::to_string(slots_.size()) + " streams (input.maxStreams)" +
                         (draining ? ", and a removed one is still draining: try again in a moment" : ""),
                     codes::kEnospc);
  }
  CheckStream(stream);
  Slot& slot = slots_[static_cast<size_t>(free_slot)];
  if (stream.source.output_enabled) {
    try {
      stream.server->Reserve(stream.mount);
      stream.server->Publish(stream.mount, stream.mount_launch);
    } catch (...) {
      stream.server->Unmount(stream.mount);
      throw;
    }
    slot.server = stream.server;
    slot.mount = stream.mount;
  }
  auto counters = std::make_shared<StreamCounters>();
  auto view = std::make_shared<StreamView>();
  view->id = id;
  view->sensor_id = stream.sensor_id;
  view->prompts = std::make_shared<const StreamPrompts>();
  view->counters = counters;
  slot.state = Slot::State::kUsed;
  slot.view = view;
  streams_.Publish(free_slot, view);
  loop_.Post([this, stream = std::move(stream), free_slot, counters]() mutable {
    Join(std::move(stream), free_slot, counters);
  });
}

void DsPipeline::RemoveSource(const std::string& id) {
  std::lock_guard<std::mutex> lock(registry_mutex_);
  for (size_t index = 0; index < slots_.size(); ++index) {
    Slot& slot = slots_[index];
    if (slot.state != Slot::State::kUsed || slot.view->id != id) continue;
    slot.state = Slot::State::kDraining;
    streams_.Publish(static_cast<int>(index), nullptr);  // its frames still in flight are left alone
    if (slot.server) slot.server->Unmount(slot.mount);
    slot.server.reset();
    const int freed = static_cast<int>(index);
    loop_.Post([this, freed] { Leave(freed); });
    return;
  }
  throw CodedError("no stream " + id + " in the DeepStream pipeline", codes::kEinval);
}

void DsPipeline::SetPrompts(const std::string& id, std::shared_ptr<const StreamPrompts> prompts) {
  std::lock_guard<std::mutex> lock(registry_mutex_);
  for (size_t index = 0; index < slots_.size(); ++index) {
    Slot& slot = slots_[index];
    if (slot.state != Slot::State::kUsed || slot.view->id != id) continue;
    auto view = std::make_shared<StreamView>(*slot.view);
    view->prompts = std::move(prompts);
    slot.view = view;
    streams_.Publish(static_cast<int>(index), std::move(view));  // one swap: the next frame has the new set
    return;
  }
  throw CodedError("no stream " + id + " in the DeepStream pipeline", codes::kEinval);
}

PipelineStats DsPipeline::stats() const {
  PipelineStats stats;
  for (const auto& [id, stream] : stream_stats()) {
    stats.frames_in += stream.frames_in;
    stats.frames_out += stream.frames_out;
  }
  stats.frames_to_model = frames_reported_.load();
  stats.frames_dropped = frames_dropped_.load();
  stats.reconnects = runner_.reconnects();
  return stats;
}

std::map<std::string, DsStreamStats> DsPipeline::stream_stats() const {
  std::lock_guard<std::mutex> lock(registry_mutex_);
  std::map<std::string, DsStreamStats> result;
  for (const Slot& slot : slots_) {
    if (slot.state != Slot::State::kUsed) continue;
    const StreamCounters& c = *slot.view->counters;
    result[slot.view->id] = {c.frames_in.load(), c.frames_out.load(), c.frames_to_js.load(), c.frames_dropped.load(),
                             c.reconnects.load()};
  }
  return result;
}

// --- loop thread -------------------------------------------------------------------------------

void DsPipeline::Join(DsStreamOptions stream, int slot, std::shared_ptr<StreamCounters> counters) {
  const std::string id = stream.source.id;
  DsSource::Callbacks callbacks;
  callbacks.on_state = [this, id](const StateEvent& event) { callbacks_.on_stream_state(id, event); };
  callbacks.on_error = [this, id](const ErrorInfo& error) { callbacks_.on_stream_error(id, error); };
  callbacks.on_drained = [this, slot] { loop_.Post([this, slot] { Drained(slot); }); };
  auto source = std::make_unique<DsSource>(std::move(stream.source), slot, loop_, options_.reconnect,
                                           std::move(counters), std::move(callbacks));
  DsSource* joined = source.get();
  sources_[slot] = std::move(source);
  if (host_up_) joined->HostUp(host_, "adding stream " + id + " to the DeepStream pipeline");
}

void DsPipeline::Leave(int slot) {
  auto found = sources_.find(slot);
  if (found == sources_.end()) return;
  std::unique_ptr<DsSource> source = std::move(found->second);
  sources_.erase(found);
  source->End();
  leaving_[slot] = std::move(source);
  Drained(slot);
}

void DsPipeline::Drained(int slot) {
  auto found = leaving_.find(slot);
  if (found == leaving_.end() || !found->second->Drained()) return;
  leaving_.erase(found);
  ReleaseSlot(slot);
}

void DsPipeline::ReleaseSlot(int slot) {
  std::lock_guard<std::mutex> lock(registry_mutex_);
  if (slots_[static_cast<size_t>(slot)].state == Slot::State::kDraining) slots_[static_cast<size_t>(slot)] = Slot{};
}

DsSource* DsPipeline::SourceOwning(GstObject* element) {
  for (auto* group : {&sources_, &leaving_}) {
    for (auto& [slot, source] : *group) {
      if (source->Owns(element)) return source.get();
    }
  }
  return nullptr;
}

GstElement* DsPipeline::BuildPipeline() {
  GstElement* pipeline = parsed_ != nullptr ? std::exchange(parsed_, nullptr) : ParsePipeline(options_.description);
  GstElement* mux = ByName(pipeline, "mux");  // checked in Start(); the description does not change
  guint width = 0, height = 0;  // the legacy nvstreammux scales to width x height; the new one has neither
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(mux), "width") != nullptr) {
    g_object_get(mux, "width", &width, "height", &height, nullptr);
  }
  mux_width_.store(static_cast<int>(width));
  mux_height_.store(static_cast<int>(height));
  GstElement* demux = ByName(pipeline, "demux");
  host_ = {pipeline, mux, demux};  // owned by the pipeline: valid until OnTeardown
  gst_object_unref(mux);
  if (demux != nullptr) gst_object_unref(demux);

  GstPad* inferred = StaticPad(pipeline, "infer", "src");
  gst_pad_add_probe(inferred, GST_PAD_PROBE_TYPE_BUFFER, &DsPipeline::OnInferred, this, nullptr);
  // The report goes where the tracker has given objects their ids: after it, or after nvinfer without one.
  GstPad* tracked = StaticPad(pipeline, "tracker", "src");
  if (tracked == nullptr) tracked = GST_PAD(gst_object_ref(inferred));
  gst_pad_add_probe(tracked, GST_PAD_PROBE_TYPE_BUFFER, &DsPipeline::OnTracked, this, nullptr);
  // A stream's end comes out of the demuxer's input last (nothing of it is left in the shared part after it).
  GstPad* ends = StaticPad(pipeline, "demux", "sink");
  if (ends == nullptr) ends = GST_PAD(gst_object_ref(tracked));
  gst_pad_add_probe(ends, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, &DsPipeline::OnStreamEnd, this, nullptr);
  gst_object_unref(ends);
  gst_object_unref(tracked);
  gst_object_unref(inferred);
  std::lock_guard<std::mutex> lock(decode_errors_mutex_);
  decode_errors_.clear();  // each attempt says again what is wrong
  return pipeline;
}

void DsPipeline::OnBusMessage(GstMessage* message) {
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_STATE_CHANGED: {
      if (GST_MESSAGE_SRC(message) != GST_OBJECT(runner_.pipeline()) || host_up_) return;
      GstState state;
      gst_message_parse_state_changed(message, nullptr, &state, nullptr);
      if (state != GST_STATE_PLAYING) return;
      // The shared part plays (its sinks need no first buffer): the streams join. Its state events follow this.
      host_up_ = true;
      runner_.NoteFrame();
      for (auto& [slot, source] : sources_) source->HostUp(host_, "the DeepStream pipeline plays");
      break;
    }
    case GST_MESSAGE_ERROR: {
      if (runner_.phase() == ReconnectLoop::Phase::kRetryWait || runner_.phase() == ReconnectLoop::Phase::kStopped) {
        return;
      }
      if (DsSource* source = SourceOwning(GST_MESSAGE_SRC(message))) {
        source->OnError(message);  // that stream alone is rebuilt
        return;
      }
      // Posted by a stream's bin that has left the pipeline since (an output drained while the message waited on
      // the bus: a queue that sees the end of its failed stream says so once more): not the shared part's.
      if (!gst_object_has_as_ancestor(GST_MESSAGE_SRC(message), GST_OBJECT(runner_.pipeline()))) return;
      const ErrorInfo error = ErrorFromMessage(message);
      const char* name = GST_MESSAGE_SRC_NAME(message);
      if (name != nullptr && kReportedElements.count(name) > 0) callbacks_.on_error(error);
      runner_.Fail(error.message);
      break;
    }
    case GST_MESSAGE_EOS:
      // nvstreammux has drop-pipeline-eos: streams end one by one, never the pipeline.
      runner_.Fail("the DeepStream pipeline ended (end of stream)");
      break;
    default:
      break;
  }
}

void DsPipeline::OnTeardown() {
  host_up_ = false;
  host_ = {};
  for (auto& [slot, source] : sources_) source->HostDown("the DeepStream pipeline is rebuilt");
  for (auto& [slot, source] : leaving_) source->HostDown("the DeepStream pipeline is rebuilt");
}

std::string DsPipeline::BuildFailedReason(const std::string& error) const {
  return "could not build the DeepStream pipeline: " + error;
}

std::string DsPipeline::StartFailedReason() const { return "the DeepStream pipeline could not start"; }

std::string DsPipeline::ConnectTimeoutReason(int timeout_ms) const {
  return "the DeepStream pipeline did not play within " + std::to_string(timeout_ms) + " ms of starting";
}

std::string DsPipeline::RetryReason(int64_t delay_ms, int attempt) const {
  return "rebuilding the DeepStream pipeline after " + std::to_string(delay_ms) + " ms (attempt " +
         std::to_string(attempt) + ")";
}

// --- streaming threads -------------------------------------------------------------------------

GstPadProbeReturn DsPipeline::OnInferred(GstPad*, GstPadProbeInfo* info, gpointer self) {
  auto* pipeline = static_cast<DsPipeline*>(self);
  NvDsBatchMeta* batch = gst_buffer_get_nvds_batch_meta(GST_PAD_PROBE_INFO_BUFFER(info));
  if (batch == nullptr) return GST_PAD_PROBE_OK;
  DecodeBatch(batch, pipeline->streams_, pipeline->options_.decode,
              {pipeline->mux_width_.load(), pipeline->mux_height_.load()},
              [pipeline](const std::string& reason) { pipeline->ReportDecodeError(reason); });
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn DsPipeline::OnTracked(GstPad*, GstPadProbeInfo* info, gpointer self) {
  auto* pipeline = static_cast<DsPipeline*>(self);
  NvDsBatchMeta* batch = gst_buffer_get_nvds_batch_meta(GST_PAD_PROBE_INFO_BUFFER(info));
  if (batch == nullptr) return GST_PAD_PROBE_OK;
  const ReportContext context{
      pipeline->streams_, std::atomic_load(&pipeline->style_),
      {pipeline->mux_width_.load(), pipeline->mux_height_.load()},
      pipeline->options_.messages,
      [pipeline](std::unique_ptr<DsFrame> frame) {
        const bool delivered = pipeline->callbacks_.on_frame(std::move(frame));
        (delivered ? pipeline->frames_reported_ : pipeline->frames_dropped_).fetch_add(1, std::memory_order_relaxed);
        return delivered;
      }};
  ReportBatch(batch, context);
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn DsPipeline::OnStreamEnd(GstPad*, GstPadProbeInfo* info, gpointer self) {
  GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) != static_cast<GstEventType>(GST_NVEVENT_STREAM_EOS)) return GST_PAD_PROBE_OK;
  guint slot = 0;
  gst_nvevent_parse_stream_eos(event, &slot);
  auto* pipeline = static_cast<DsPipeline*>(self);
  pipeline->loop_.Post([pipeline, slot] {
    for (auto* group : {&pipeline->sources_, &pipeline->leaving_}) {
      auto found = group->find(static_cast<int>(slot));
      if (found != group->end()) found->second->OnDrained();
    }
  });
  return GST_PAD_PROBE_OK;
}

void DsPipeline::ReportDecodeError(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(decode_errors_mutex_);
    if (!decode_errors_.insert(reason).second) return;
  }
  loop_.Post([this, reason] { callbacks_.on_error({"infer: " + reason, codes::kEinval, kOwlErrorDomain}); });
}

}  // namespace owl::ds
