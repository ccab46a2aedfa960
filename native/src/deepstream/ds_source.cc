// SPDX-License-Identifier: Apache-2.0
#include "deepstream/ds_source.h"

#include <stdexcept>
#include <utility>

#include "deepstream/ds_description.h"
#include "gstreamer/gst_support.h"

namespace owl::ds {
namespace {

// How long a removed or failed attempt's EOS may take through the shared part before its slot is used anyway
// (a source that never sent a frame may never produce one).
constexpr unsigned kDrainTimeoutMs = 2000;

GstPad* RequestPad(GstElement* element, const std::string& name) {
#if GST_CHECK_VERSION(1, 20, 0)
  return gst_element_request_pad_simple(element, name.c_str());
#else  // DeepStream 6.2 on Ubuntu 20.04 has GStreamer 1.16
  return gst_element_get_request_pad(element, name.c_str());
#endif
}

// Drops whatever still reaches a pad being taken out (its branch is going to NULL).
GstPadProbeReturn DropAll(GstPad*, GstPadProbeInfo*, gpointer) { return GST_PAD_PROBE_DROP; }

// The output bin's ghost sink pad: nvstreamdemux returns a branch's GST_FLOW_ERROR upstream (gstnvstreamdemux.cpp),
// where the shared part's queue would stop every stream. A stream's failure stays its own: the pad answers OK and
// the failure is the stream's error message (the failing element posts one for GST_FLOW_ERROR; for the other
// failures, which leave that to whoever pushed, the output bin does), so DsPipeline rebuilds that stream alone.
GstFlowReturn Isolated(GstObject* bin, GstFlowReturn ret) {
  if (ret > GST_FLOW_NOT_NEGOTIATED) return ret;  // OK, flushing, EOS and custom successes pass
  if (ret != GST_FLOW_ERROR && bin != nullptr) GST_ELEMENT_FLOW_ERROR(GST_ELEMENT(bin), ret);
  return GST_FLOW_OK;
}
GstFlowReturn IsolatedChain(GstPad* pad, GstObject* parent, GstBuffer* buffer) {
  return Isolated(parent, gst_proxy_pad_chain_default(pad, parent, buffer));
}
GstFlowReturn IsolatedChainList(GstPad* pad, GstObject* parent, GstBufferList* list) {
  return Isolated(parent, gst_proxy_pad_chain_list_default(pad, parent, list));
}

// The pipeline's backoff with this stream's camera to probe.
ReconnectOptions WithProbe(ReconnectOptions reconnect, const std::string& probe_address) {
  reconnect.probe_address = probe_address;
  return reconnect;
}

}  // namespace

DsSource::DsSource(DsSourceOptions options, int slot, MainLoopThread& loop, const ReconnectOptions& reconnect,
                   std::shared_ptr<StreamCounters> counters, Callbacks callbacks)
    : options_(std::move(options)),
      slot_(slot),
      loop_(loop),
      counters_(std::move(counters)),
      callbacks_(std::move(callbacks)),
      // An RTSP camera's first frame may take two stall timeouts, as in the portable engine.
      machine_(loop, *this, {WithProbe(reconnect, options_.probe_address), 2 * reconnect.stall_timeout_ms,
                             /*watch_stalls=*/true},
               [this](const StateEvent& event) {
                 if (event.state == PipelineState::kReconnected) counters_->reconnects.fetch_add(1);
                 callbacks_.on_state(event);
               }) {}

DsSource::~DsSource() {
  alive_->store(false);
  // Normally ended and drained by now; whatever is left goes without touching the shared pipeline.
  host_ = {};
  Disconnect();
  FinishDrain();
}

// --- loop thread -------------------------------------------------------------------------------

void DsSource::HostUp(const Host& host, const std::string& reason) {
  host_ = host;
  machine_.Resume(reason);
}

void DsSource::HostDown(const std::string& reason) {
  host_ = {};
  machine_.Suspend(reason);
  FinishDrain();  // the pipeline that held it is gone
}

void DsSource::End() { machine_.End(); }

bool DsSource::Owns(GstObject* element) const {
  for (GstElement* bin : {source_bin_, output_bin_, draining_output_}) {
    if (bin != nullptr && (element == GST_OBJECT(bin) || gst_object_has_as_ancestor(element, GST_OBJECT(bin)))) {
      return true;
    }
  }
  return false;
}

void DsSource::OnError(GstMessage* message) {
  if (draining_output_ != nullptr && gst_object_has_as_ancestor(GST_MESSAGE_SRC(message), GST_OBJECT(draining_output_))) {
    return;  // the previous attempt's output, on its way out
  }
  const ErrorInfo error = ErrorFromMessage(message);
  const char* name = GST_MESSAGE_SRC_NAME(message);
  if (name != nullptr && std::string(name) == "enc") callbacks_.on_error(error);  // usually a device problem
  machine_.Fail(error.message);
}

void DsSource::Connect() {
  if (host_.pipeline == nullptr) throw std::runtime_error("the shared pipeline is not playing");
  if (draining_) {
    connect_pending_ = true;  // Build() once the slot has drained
    return;
  }
  Build();
}

void DsSource::Build() {
  // The output first: nvstreamdemux then has the stream's pad (and sends it the stream's caps) before its
  // first frame.
  if (options_.output_enabled) BuildOutput();
  BuildSource();
}

void DsSource::BuildOutput() {
  if (host_.demux == nullptr) throw std::runtime_error("the shared pipeline has no nvstreamdemux named \"demux\"");
  output_bin_ = ParseBin(options_.output_description, "the output of stream " + options_.id);
  gst_bin_add(GST_BIN(host_.pipeline), output_bin_);
  demux_pad_ = RequestPad(host_.demux, "src_" + std::to_string(slot_));
  GstPad* sink = gst_element_get_static_pad(output_bin_, "sink");
  if (sink != nullptr && GST_IS_GHOST_PAD(sink)) {
    gst_pad_set_chain_function(sink, IsolatedChain);
    gst_pad_set_chain_list_function(sink, IsolatedChainList);
  }
  const bool linked = demux_pad_ != nullptr && sink != nullptr && gst_pad_link(demux_pad_, sink) == GST_PAD_LINK_OK;
  if (sink != nullptr) gst_object_unref(sink);
  if (!linked) {
    throw std::runtime_error("could not link nvstreamdemux src_" + std::to_string(slot_) + " to the output of stream " +
                             options_.id + " (its description needs one unlinked sink pad)");
  }
  if (GstElement* enc = ByName(output_bin_, "enc")) {
    GstPad* encoded = gst_element_get_static_pad(enc, "src");
    gst_pad_add_probe(encoded, GST_PAD_PROBE_TYPE_BUFFER, &DsSource::OnEncoded, this, nullptr);
    gst_object_unref(encoded);
    gst_object_unref(enc);
  }
  gst_element_sync_state_with_parent(output_bin_);
}

void DsSource::BuildSource() {
  source_bin_ = ParseBin(options_.description, "the source of stream " + options_.id);
  gst_bin_add(GST_BIN(host_.pipeline), source_bin_);
  mux_pad_ = RequestPad(host_.mux, "sink_" + std::to_string(slot_));
  GstPad* src = gst_element_get_static_pad(source_bin_, "src");
  const bool linked = mux_pad_ != nullptr && src != nullptr && gst_pad_link(src, mux_pad_) == GST_PAD_LINK_OK;
  if (linked) {
    gst_pad_add_probe(src, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                      &DsSource::OnSourcePad, this, nullptr);
  }
  if (src != nullptr) gst_object_unref(src);
  if (!linked) {
    throw std::runtime_error("could not link the source of stream " + options_.id + " to nvstreammux sink_" +
                             std::to_string(slot_) + " (its description needs one unlinked src pad)");
  }
  if (!gst_element_sync_state_with_parent(source_bin_)) {
    throw std::runtime_error("the source of stream " + options_.id + " could not start");
  }
}

void DsSource::Disconnect() {
  ++attempt_;
  connect_pending_ = false;
  const bool hosted = host_.pipeline != nullptr;
  if (source_bin_ != nullptr) {
    gst_element_set_state(source_bin_, GST_STATE_NULL);  // joins its streaming threads
    if (hosted && mux_pad_ != nullptr) {
      // runtime_source_add_delete: the muxer ends this stream (a per-stream EOS downstream) and forgets the pad.
      gst_pad_send_event(mux_pad_, gst_event_new_eos());
      gst_pad_send_event(mux_pad_, gst_event_new_flush_stop(FALSE));
      gst_element_release_request_pad(host_.mux, mux_pad_);
      draining_ = true;
    }
    if (hosted) gst_bin_remove(GST_BIN(host_.pipeline), source_bin_);
    gst_object_unref(source_bin_);
    source_bin_ = nullptr;
  }
  if (mux_pad_ != nullptr) {
    gst_object_unref(mux_pad_);
    mux_pad_ = nullptr;
  }
  if (output_bin_ != nullptr) {
    if (hosted && draining_) {  // it goes once the stream's EOS has come out of the demuxer
      draining_output_ = std::exchange(output_bin_, nullptr);
      draining_pad_ = std::exchange(demux_pad_, nullptr);
    } else {
      RemoveOutput(std::exchange(output_bin_, nullptr), std::exchange(demux_pad_, nullptr));
    }
  }
  if (demux_pad_ != nullptr) {  // requested, but the output could not be linked
    if (hosted) gst_element_release_request_pad(host_.demux, demux_pad_);
    gst_object_unref(demux_pad_);
    demux_pad_ = nullptr;
  }
  if (draining_ && !drain_timeout_) {
    drain_timeout_ = loop_.AddTimeout(kDrainTimeoutMs, [this] {
      OnDrained();
      return false;
    });
  }
}

void DsSource::OnDrained() {
  FinishDrain();
  if (connect_pending_) {
    connect_pending_ = false;
    try {
      Build();
    } catch (const std::exception& e) {
      machine_.Fail(BuildFailedReason(e.what()));
    }
  }
}

void DsSource::FinishDrain() {
  drain_timeout_.Reset();
  const bool was_draining = std::exchange(draining_, false);
  if (draining_output_ != nullptr) {
    RemoveOutput(std::exchange(draining_output_, nullptr), std::exchange(draining_pad_, nullptr));
  }
  if (was_draining) callbacks_.on_drained();
}

void DsSource::RemoveOutput(GstElement* bin, GstPad* pad) {
  const bool hosted = host_.pipeline != nullptr;
  if (hosted && pad != nullptr) {
    // deepstream-demuxer-dynamic: the branch to NULL, then the demuxer's pad released. Data still pushed to the
    // pad meanwhile is dropped rather than refused, which nvstreamdemux would take as an error.
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM, DropAll, nullptr, nullptr);
  }
  gst_element_set_state(bin, GST_STATE_NULL);
  if (hosted) {
    if (pad != nullptr) {
      GstPad* peer = gst_pad_get_peer(pad);
      if (peer != nullptr) {
        gst_pad_unlink(pad, peer);
        gst_object_unref(peer);
      }
      gst_element_release_request_pad(host_.demux, pad);
    }
    gst_bin_remove(GST_BIN(host_.pipeline), bin);
  }
  if (pad != nullptr) gst_object_unref(pad);
  gst_object_unref(bin);
}

std::string DsSource::BuildFailedReason(const std::string& error) const {
  return "could not add stream " + options_.id + " to the DeepStream pipeline: " + error;
}

std::string DsSource::ConnectTimeoutReason(int timeout_ms) const {
  return "no video from stream " + options_.id + " within " + std::to_string(timeout_ms) + " ms";
}

std::string DsSource::RetryReason(int64_t delay_ms, int attempt) const {
  return "rebuilding stream " + options_.id + " after " + std::to_string(delay_ms) + " ms (attempt " +
         std::to_string(attempt) + ")";
}

// --- streaming threads -------------------------------------------------------------------------

GstPadProbeReturn DsSource::OnSourcePad(GstPad*, GstPadProbeInfo* info, gpointer self) {
  auto* source = static_cast<DsSource*>(self);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    source->counters_->frames_in.fetch_add(1, std::memory_order_relaxed);
    source->machine_.NoteFrame();
    return GST_PAD_PROBE_OK;
  }
  if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS) {
    // Files loop inside nvurisrcbin (file-loop): an end of stream means the source ended. The muxer gets its
    // EOS from Disconnect, once.
    const uint64_t attempt = source->attempt_.load();
    source->loop_.Post([source, alive = source->alive_, attempt] {
      if (alive->load() && attempt == source->attempt_.load()) {
        source->machine_.Fail("the input ended (end of stream)");
      }
    });
    return GST_PAD_PROBE_DROP;
  }
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn DsSource::OnEncoded(GstPad*, GstPadProbeInfo*, gpointer self) {
  static_cast<DsSource*>(self)->counters_->frames_out.fetch_add(1, std::memory_order_relaxed);
  return GST_PAD_PROBE_OK;
}

}  // namespace owl::ds
