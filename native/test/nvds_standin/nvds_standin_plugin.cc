// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY GStreamer plugin (libgstowlstandins.so, found through GST_PLUGIN_PATH): STAND-INS for the DeepStream
// elements that carry batch metadata, so that the engine's pipeline class (native/src/deepstream) runs unchanged
// where DeepStream cannot. Not NVIDIA's code and not their behaviour in full: each does the one thing the engine
// relies on, from the SDK's own samples and sources (named per element).
//   standin-nvstreammux    request pads sink_%u; each buffer leaves with a batch of one frame (source_id = pad
//                          index, frame_num per pad, the pad's frame size); EOS on a sink pad becomes the per-stream
//                          GST_NVEVENT_STREAM_EOS downstream (gstnvstreammux_pads.cpp). Streams must share caps.
//   standin-nvinfer        nvinfer with output-tensor-meta=1 and network-type=100: every frame gets the image
//                          encoder's tensors as NVDSINFER_TENSOR_OUTPUT_META (gstnvinfer_meta_utils.cpp
//                          attach_tensor_output_meta), four made-up patches (kTensors below), plus NanoOWL's extra
//                          image_embeds output. OWL_STANDIN_EMBED_DIM (default 2) sets the embedding size, to match
//                          a model's text encoder: the class embeddings are then padded with zeros.
//   standin-nvtracker      gives each untracked object an id per stream and class: (source_id + 1) * 1000 + class.
//   standin-nvstreamdemux  request pads src_%u; each frame goes to the pad of its source_id; the per-stream EOS
//                          becomes EOS on that pad (gstnvstreamdemux.cpp).
//   standin-nvmsgconv      appends, per frame with NVDS_EVENT_MSG_META, the minimal-schema payload that DeepStream
//                          9.1's eventmsg_payload.cpp (generate_event_message_minimal) writes for the fields the
//                          engine sets, as one JSON line to the file named by OWL_STANDIN_PAYLOADS. With comp-id
//                          N > 0 it takes only events of component N (gstnvmsgconv.cpp) and writes to
//                          OWL_STANDIN_PAYLOADS.N instead.
//   standin-nvmsgbroker    the Redis adaptor behind nvmsgbroker: XADD <topic> * metadata <payload> to conn-str's
//                          host;port for the same payloads (standin_broker.h).
#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

#include <gst-nvevent.h>
#include <gstnvdsinfer.h>
#include <gstnvdsmeta.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "nvds_standin.h"
#include "standin_broker.h"
#include "standin_payload.h"

namespace {

// --- standin-nvstreammux -----------------------------------------------------------------------

struct MuxPad {
  guint index;
  gint frames;
  guint width;
  guint height;
};

struct StandinMux {
  GstElement parent;
  GstPad* src;
  GMutex lock;
  gboolean started;
  GstCaps* caps;
};
struct StandinMuxClass {
  GstElementClass parent_class;
};

G_DEFINE_TYPE(StandinMux, standin_mux, GST_TYPE_ELEMENT)

GstStaticPadTemplate kMuxSink = GST_STATIC_PAD_TEMPLATE("sink_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS_ANY);
GstStaticPadTemplate kAnySrc = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
GstStaticPadTemplate kAnySink = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
GstStaticPadTemplate kDemuxSrc = GST_STATIC_PAD_TEMPLATE("src_%u", GST_PAD_SRC, GST_PAD_REQUEST, GST_STATIC_CAPS_ANY);

MuxPad* MuxPadOf(GstPad* pad) { return static_cast<MuxPad*>(g_object_get_data(G_OBJECT(pad), "owl-standin")); }

// Called with the lock held: stream-start, caps and segment once, before the first buffer.
void MuxStart(StandinMux* mux) {
  if (mux->started) return;
  mux->started = TRUE;
  gst_pad_push_event(mux->src, gst_event_new_stream_start("owl-standin-nvstreammux"));
  if (mux->caps != nullptr) gst_pad_push_event(mux->src, gst_event_new_caps(mux->caps));
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  gst_pad_push_event(mux->src, gst_event_new_segment(&segment));
}

GstFlowReturn MuxChain(GstPad* pad, GstObject* parent, GstBuffer* buffer) {
  auto* mux = reinterpret_cast<StandinMux*>(parent);
  MuxPad* data = MuxPadOf(pad);
  buffer = gst_buffer_make_writable(buffer);
  owl_standin_attach_frame(buffer, data->index, data->frames++, data->width, data->height);
  g_mutex_lock(&mux->lock);
  MuxStart(mux);
  const GstFlowReturn flow = gst_pad_push(mux->src, buffer);
  g_mutex_unlock(&mux->lock);
  return flow;
}

gboolean MuxSinkEvent(GstPad* pad, GstObject* parent, GstEvent* event) {
  auto* mux = reinterpret_cast<StandinMux*>(parent);
  MuxPad* data = MuxPadOf(pad);
  gboolean ok = TRUE;
  if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
    GstCaps* caps;
    gst_event_parse_caps(event, &caps);
    const GstStructure* s = gst_caps_get_structure(caps, 0);
    gint width = 0, height = 0;
    gst_structure_get_int(s, "width", &width);
    gst_structure_get_int(s, "height", &height);
    data->width = static_cast<guint>(width);
    data->height = static_cast<guint>(height);
    g_mutex_lock(&mux->lock);
    if (mux->caps == nullptr) {
      mux->caps = gst_caps_ref(caps);
    } else if (!gst_caps_is_equal(mux->caps, caps)) {
      GST_ELEMENT_ERROR(mux, STREAM, FORMAT, ("the stand-in nvstreammux needs every stream at the same caps"),
                        (nullptr));
      ok = FALSE;
    }
    g_mutex_unlock(&mux->lock);
  } else if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) {
    g_mutex_lock(&mux->lock);
    MuxStart(mux);
    gst_pad_push_event(mux->src, gst_nvevent_new_stream_eos(data->index));
    g_mutex_unlock(&mux->lock);
  }
  gst_event_unref(event);  // the rest (stream-start, segment, flushes of one stream) stays here
  return ok;
}

gboolean MuxSinkQuery(GstPad* pad, GstObject* parent, GstQuery* query) {
  switch (GST_QUERY_TYPE(query)) {
    case GST_QUERY_ACCEPT_CAPS:
      gst_query_set_accept_caps_result(query, TRUE);
      return TRUE;
    case GST_QUERY_CAPS: {
      GstCaps* filter;
      gst_query_parse_caps(query, &filter);
      GstCaps* caps = filter != nullptr ? gst_caps_ref(filter) : gst_caps_new_any();
      gst_query_set_caps_result(query, caps);
      gst_caps_unref(caps);
      return TRUE;
    }
    default:
      return gst_pad_query_default(pad, parent, query);
  }
}

GstPad* MuxRequestPad(GstElement* element, GstPadTemplate* templ, const gchar* name, const GstCaps*) {
  guint index = 0;
  if (name == nullptr || sscanf(name, "sink_%u", &index) != 1) return nullptr;
  if (GstPad* taken = gst_element_get_static_pad(element, name)) {  // as nvstreammux: one pad per stream
    gst_object_unref(taken);
    return nullptr;
  }
  GstPad* pad = gst_pad_new_from_template(templ, name);
  auto* data = g_new0(MuxPad, 1);
  data->index = index;
  g_object_set_data_full(G_OBJECT(pad), "owl-standin", data, g_free);
  gst_pad_set_chain_function(pad, MuxChain);
  gst_pad_set_event_function(pad, MuxSinkEvent);
  gst_pad_set_query_function(pad, MuxSinkQuery);
  gst_pad_set_active(pad, TRUE);
  gst_element_add_pad(element, pad);
  return pad;
}

void MuxReleasePad(GstElement* element, GstPad* pad) {
  gst_pad_set_active(pad, FALSE);
  gst_element_remove_pad(element, pad);
}

GstStateChangeReturn MuxChangeState(GstElement* element, GstStateChange transition) {
  auto* mux = reinterpret_cast<StandinMux*>(element);
  const GstStateChangeReturn result = GST_ELEMENT_CLASS(standin_mux_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    g_mutex_lock(&mux->lock);
    mux->started = FALSE;
    gst_clear_caps(&mux->caps);
    g_mutex_unlock(&mux->lock);
  }
  return result;
}

void standin_mux_init(StandinMux* mux) {
  g_mutex_init(&mux->lock);
  mux->src = gst_pad_new_from_static_template(&kAnySrc, "src");
  gst_pad_use_fixed_caps(mux->src);
  gst_element_add_pad(GST_ELEMENT(mux), mux->src);
}

void StandinMuxFinalize(GObject* object) {
  auto* mux = reinterpret_cast<StandinMux*>(object);
  gst_clear_caps(&mux->caps);
  g_mutex_clear(&mux->lock);
  G_OBJECT_CLASS(standin_mux_parent_class)->finalize(object);
}

void standin_mux_class_init(StandinMuxClass* klass) {
  GstElementClass* element = GST_ELEMENT_CLASS(klass);
  G_OBJECT_CLASS(klass)->finalize = StandinMuxFinalize;
  element->request_new_pad = MuxRequestPad;
  element->release_pad = MuxReleasePad;
  element->change_state = MuxChangeState;
  gst_element_class_add_static_pad_template(element, &kMuxSink);
  gst_element_class_add_static_pad_template(element, &kAnySrc);
  gst_element_class_set_static_metadata(element, "nvstreammux stand-in", "Muxer", "TEST-ONLY stand-in", "owl-stream");
}

// --- standin-nvinfer ---------------------------------------------------------------------------

// Four patches, embedding size 2 (OWL_STANDIN_EMBED_DIM pads it), the image encoder's outputs as our export writes them. With logit scale 10
// and shift 0 a prompt embedding (1,0) scores patch 0 at sigmoid(10), (0,1) patch 1, (-1,0) patch 2, (0,-1)
// patch 3. On a 320x240 frame (centred in a 320 square: 40 rows of padding above and below):
//   patch 0  x 0.1-0.3, y 0.3-0.5    -> 32..96 x 56..120, inside the frame
//   patch 1  x 0.5-0.8, y 0.4-0.7    -> 160..256 x 88..184, inside
//   patch 2  x 0.6-0.9, y 0.75-0.95  -> 192..288 x 200..264: clipped to y 240
//   patch 3  x 0.4-0.6, y 0.0-0.1    -> inside the top padding: wholly outside the frame
constexpr unsigned kPatches = 4;
const float kImageEmbeds[kPatches * 3] = {};  // NanoOWL's engine has it; the decode must ignore it
const float kClassEmbeds[kPatches * 2] = {1, 0, 0, 1, -1, 0, 0, -1};
const float kLogitShift[kPatches] = {0, 0, 0, 0};
const float kLogitScale[kPatches] = {10, 10, 10, 10};
const float kBoxes[kPatches * 4] = {0.1f, 0.3f, 0.3f, 0.5f, 0.5f, 0.4f, 0.8f, 0.7f,
                                    0.6f, 0.75f, 0.9f, 0.95f, 0.4f, 0.0f, 0.6f, 0.1f};
struct TensorLayer {
  const char* name;
  const float* data;
  unsigned cols;
};
const TensorLayer kTensors[] = {{"image_embeds", kImageEmbeds, 3}, {"image_class_embeds", kClassEmbeds, 2},
                                {"logit_shift", kLogitShift, 1}, {"logit_scale", kLogitScale, 1},
                                {"pred_boxes", kBoxes, 4}};
constexpr unsigned kLayers = sizeof kTensors / sizeof kTensors[0];
constexpr unsigned kClassEmbedsLayer = 1;

// kClassEmbeds with OWL_STANDIN_EMBED_DIM columns (read once; the process's model decides it).
const std::vector<float>& ClassEmbeds() {
  static const std::vector<float> embeds = [] {
    const char* env = std::getenv("OWL_STANDIN_EMBED_DIM");
    const unsigned dim = env != nullptr ? static_cast<unsigned>(std::max(2, std::atoi(env))) : 2;
    std::vector<float> padded(kPatches * dim, 0.f);
    for (unsigned p = 0; p < kPatches; ++p) {
      padded[p * dim] = kClassEmbeds[p * 2];
      padded[p * dim + 1] = kClassEmbeds[p * 2 + 1];
    }
    return padded;
  }();
  return embeds;
}

void ReleaseTensors(gpointer data, gpointer) {
  auto* user = static_cast<NvDsUserMeta*>(data);
  auto* meta = static_cast<NvDsInferTensorMeta*>(user->user_meta_data);
  g_free(meta->output_layers_info);
  g_free(meta->out_buf_ptrs_host);
  g_free(meta);
}

struct StandinTransform {
  GstBaseTransform parent;
};
struct StandinTransformClass {
  GstBaseTransformClass parent_class;
};

#define OWL_DEFINE_TRANSFORM(type_name, prefix, transform, long_name)                                        \
  using type_name = StandinTransform;                                                                         \
  using type_name##Class = StandinTransformClass;                                                             \
  G_DEFINE_TYPE(type_name, prefix, GST_TYPE_BASE_TRANSFORM)                                                   \
  void prefix##_init(type_name* self) { gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE); } \
  void prefix##_class_init(type_name##Class* klass) {                                                         \
    GstElementClass* element = GST_ELEMENT_CLASS(klass);                                                      \
    gst_element_class_add_static_pad_template(element, &kAnySink);                                            \
    gst_element_class_add_static_pad_template(element, &kAnySrc);                                             \
    gst_element_class_set_static_metadata(element, long_name, "Filter", "TEST-ONLY stand-in", "owl-stream");  \
    GST_BASE_TRANSFORM_CLASS(klass)->transform_ip = transform;                                                \
  }

GstFlowReturn InferTransform(GstBaseTransform*, GstBuffer* buffer) {
  NvDsBatchMeta* batch = gst_buffer_get_nvds_batch_meta(buffer);
  if (batch == nullptr) return GST_FLOW_OK;
  for (GList* l = batch->frame_meta_list; l != nullptr; l = l->next) {
    auto* frame = static_cast<NvDsFrameMeta*>(l->data);
    auto* meta = g_new0(NvDsInferTensorMeta, 1);
    meta->unique_id = 1;
    meta->num_output_layers = kLayers;
    meta->output_layers_info = g_new0(NvDsInferLayerInfo, kLayers);
    meta->out_buf_ptrs_host = g_new0(void*, kLayers);
    meta->network_info = {768, 768, 3};
    meta->maintain_aspect_ratio = TRUE;
    for (unsigned i = 0; i < kLayers; ++i) {
      const bool embeds = i == kClassEmbedsLayer;
      const unsigned cols = embeds ? static_cast<unsigned>(ClassEmbeds().size() / kPatches) : kTensors[i].cols;
      NvDsInferLayerInfo& layer = meta->output_layers_info[i];
      layer.dataType = FLOAT;
      layer.inferDims.numDims = 2;
      layer.inferDims.d[0] = kPatches;
      layer.inferDims.d[1] = cols;
      layer.inferDims.numElements = kPatches * cols;
      layer.bindingIndex = static_cast<int>(i) + 1;
      layer.layerName = kTensors[i].name;
      meta->out_buf_ptrs_host[i] = const_cast<float*>(embeds ? ClassEmbeds().data() : kTensors[i].data);
    }
    NvDsUserMeta* user = nvds_acquire_user_meta_from_pool(batch);
    user->user_meta_data = meta;
    user->base_meta.meta_type = NVDSINFER_TENSOR_OUTPUT_META;
    user->base_meta.release_func = ReleaseTensors;
    nvds_add_user_meta_to_frame(frame, user);
  }
  return GST_FLOW_OK;
}

OWL_DEFINE_TRANSFORM(StandinInfer, standin_infer, InferTransform, "nvinfer stand-in")

// --- standin-nvtracker -------------------------------------------------------------------------

GstFlowReturn TrackerTransform(GstBaseTransform*, GstBuffer* buffer) {
  NvDsBatchMeta* batch = gst_buffer_get_nvds_batch_meta(buffer);
  if (batch == nullptr) return GST_FLOW_OK;
  for (GList* l = batch->frame_meta_list; l != nullptr; l = l->next) {
    auto* frame = static_cast<NvDsFrameMeta*>(l->data);
    for (GList* o = frame->obj_meta_list; o != nullptr; o = o->next) {
      auto* object = static_cast<NvDsObjectMeta*>(o->data);
      if (object->object_id == UNTRACKED_OBJECT_ID) {
        object->object_id = (guint64{frame->source_id} + 1) * 1000 + static_cast<guint64>(object->class_id);
      }
    }
  }
  return GST_FLOW_OK;
}

OWL_DEFINE_TRANSFORM(StandinTracker, standin_tracker, TrackerTransform, "nvtracker stand-in")

// --- standin-nvmsgconv -------------------------------------------------------------------------

struct StandinMsgconv {
  GstBaseTransform parent;
  guint comp_id;
};
using StandinMsgconvClass = StandinTransformClass;
G_DEFINE_TYPE(StandinMsgconv, standin_msgconv, GST_TYPE_BASE_TRANSFORM)

GstFlowReturn MsgconvTransform(GstBaseTransform* element, GstBuffer* buffer) {
  const guint comp_id = reinterpret_cast<StandinMsgconv*>(element)->comp_id;
  const char* base = std::getenv("OWL_STANDIN_PAYLOADS");
  NvDsBatchMeta* batch = gst_buffer_get_nvds_batch_meta(buffer);
  if (batch == nullptr || base == nullptr) return GST_FLOW_OK;
  const std::string path = comp_id == 0 ? std::string(base) : std::string(base) + "." + std::to_string(comp_id);
  for (const std::string& payload : owl_standin::MinimalPayloads(batch, comp_id)) {
    if (FILE* out = std::fopen(path.c_str(), "a")) {
      std::fputs((payload + "\n").c_str(), out);
      std::fclose(out);
    }
  }
  return GST_FLOW_OK;
}

void MsgconvSetProperty(GObject* object, guint id, const GValue* value, GParamSpec* spec) {
  if (id == 1) {
    reinterpret_cast<StandinMsgconv*>(object)->comp_id = g_value_get_uint(value);
  } else {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void MsgconvGetProperty(GObject* object, guint id, GValue* value, GParamSpec* spec) {
  if (id == 1) {
    g_value_set_uint(value, reinterpret_cast<StandinMsgconv*>(object)->comp_id);
  } else {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

void standin_msgconv_init(StandinMsgconv* self) {
  gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
  self->comp_id = 0;
}

void standin_msgconv_class_init(StandinMsgconvClass* klass) {
  GObjectClass* object = G_OBJECT_CLASS(klass);
  object->set_property = MsgconvSetProperty;
  object->get_property = MsgconvGetProperty;
  // As nvmsgconv's: the component whose events it converts (0: all).
  g_object_class_install_property(object, 1, g_param_spec_uint("comp-id", "comp-id", "component id", 0, G_MAXUINT, 0,
                                                               G_PARAM_READWRITE));
  GstElementClass* element = GST_ELEMENT_CLASS(klass);
  gst_element_class_add_static_pad_template(element, &kAnySink);
  gst_element_class_add_static_pad_template(element, &kAnySrc);
  gst_element_class_set_static_metadata(element, "nvmsgconv stand-in", "Filter", "TEST-ONLY stand-in", "owl-stream");
  GST_BASE_TRANSFORM_CLASS(klass)->transform_ip = MsgconvTransform;
}

// --- standin-nvstreamdemux ---------------------------------------------------------------------

struct StandinDemux {
  GstElement parent;
  GstPad* sink;
  GMutex lock;
  GstCaps* caps;
  GstSegment segment;
};
struct StandinDemuxClass {
  GstElementClass parent_class;
};

G_DEFINE_TYPE(StandinDemux, standin_demux, GST_TYPE_ELEMENT)

// A pad of the source (a full reference) with its sticky events sent, or null.
GstPad* DemuxPadFor(StandinDemux* demux, guint source_id) {
  gchar* name = g_strdup_printf("src_%u", source_id);
  GstPad* pad = gst_element_get_static_pad(GST_ELEMENT(demux), name);
  g_free(name);
  if (pad == nullptr || g_object_get_data(G_OBJECT(pad), "owl-started") != nullptr) return pad;
  g_object_set_data(G_OBJECT(pad), "owl-started", GINT_TO_POINTER(1));
  g_mutex_lock(&demux->lock);
  GstCaps* caps = demux->caps != nullptr ? gst_caps_ref(demux->caps) : nullptr;
  GstSegment segment = demux->segment;
  g_mutex_unlock(&demux->lock);
  gchar* stream = g_strdup_printf("owl-standin-nvstreamdemux-%u", source_id);
  gst_pad_push_event(pad, gst_event_new_stream_start(stream));
  g_free(stream);
  if (caps != nullptr) gst_pad_push_event(pad, gst_event_new_caps(caps));
  if (caps != nullptr) gst_caps_unref(caps);
  gst_pad_push_event(pad, gst_event_new_segment(&segment));
  return pad;
}

GstFlowReturn DemuxChain(GstPad*, GstObject* parent, GstBuffer* buffer) {
  auto* demux = reinterpret_cast<StandinDemux*>(parent);
  NvDsBatchMeta* batch = gst_buffer_get_nvds_batch_meta(buffer);
  GstPad* pad = nullptr;
  if (batch != nullptr && batch->frame_meta_list != nullptr) {
    pad = DemuxPadFor(demux, static_cast<NvDsFrameMeta*>(batch->frame_meta_list->data)->source_id);
  }
  if (pad == nullptr) {
    gst_buffer_unref(buffer);  // no branch for that stream (yet, or any more)
    return GST_FLOW_OK;
  }
  const GstFlowReturn flow = gst_pad_push(pad, buffer);
  gst_object_unref(pad);
  // A stream's branch going away must not stop the others.
  return flow == GST_FLOW_NOT_LINKED || flow == GST_FLOW_FLUSHING || flow == GST_FLOW_EOS ? GST_FLOW_OK : flow;
}

gboolean DemuxSinkEvent(GstPad*, GstObject* parent, GstEvent* event) {
  auto* demux = reinterpret_cast<StandinDemux*>(parent);
  if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
    GstCaps* caps;
    gst_event_parse_caps(event, &caps);
    g_mutex_lock(&demux->lock);
    gst_caps_replace(&demux->caps, caps);
    g_mutex_unlock(&demux->lock);
  } else if (GST_EVENT_TYPE(event) == GST_EVENT_SEGMENT) {
    const GstSegment* segment;
    gst_event_parse_segment(event, &segment);
    g_mutex_lock(&demux->lock);
    gst_segment_copy_into(segment, &demux->segment);
    g_mutex_unlock(&demux->lock);
  } else if (GST_EVENT_TYPE(event) == static_cast<GstEventType>(GST_NVEVENT_STREAM_EOS)) {
    guint source_id = 0;
    gst_nvevent_parse_stream_eos(event, &source_id);
    gchar* name = g_strdup_printf("src_%u", source_id);
    GstPad* pad = gst_element_get_static_pad(GST_ELEMENT(demux), name);
    g_free(name);
    if (pad != nullptr) {
      gst_pad_push_event(pad, gst_event_new_eos());
      gst_object_unref(pad);
    }
  }
  gst_event_unref(event);
  return TRUE;
}

GstPad* DemuxRequestPad(GstElement* element, GstPadTemplate* templ, const gchar* name, const GstCaps*) {
  guint index = 0;
  if (name == nullptr || sscanf(name, "src_%u", &index) != 1) return nullptr;
  if (GstPad* taken = gst_element_get_static_pad(element, name)) {  // nvstreamdemux: "already requested"
    gst_object_unref(taken);
    return nullptr;
  }
  GstPad* pad = gst_pad_new_from_template(templ, name);
  gst_pad_use_fixed_caps(pad);
  gst_pad_set_active(pad, TRUE);
  gst_element_add_pad(element, pad);
  return pad;
}

void DemuxReleasePad(GstElement* element, GstPad* pad) {
  gst_pad_set_active(pad, FALSE);
  gst_element_remove_pad(element, pad);
}

void standin_demux_init(StandinDemux* demux) {
  g_mutex_init(&demux->lock);
  gst_segment_init(&demux->segment, GST_FORMAT_TIME);
  demux->sink = gst_pad_new_from_static_template(&kAnySink, "sink");
  gst_pad_set_chain_function(demux->sink, DemuxChain);
  gst_pad_set_event_function(demux->sink, DemuxSinkEvent);
  gst_element_add_pad(GST_ELEMENT(demux), demux->sink);
}

void StandinDemuxFinalize(GObject* object) {
  auto* demux = reinterpret_cast<StandinDemux*>(object);
  gst_clear_caps(&demux->caps);
  g_mutex_clear(&demux->lock);
  G_OBJECT_CLASS(standin_demux_parent_class)->finalize(object);
}

void standin_demux_class_init(StandinDemuxClass* klass) {
  GstElementClass* element = GST_ELEMENT_CLASS(klass);
  G_OBJECT_CLASS(klass)->finalize = StandinDemuxFinalize;
  element->request_new_pad = DemuxRequestPad;
  element->release_pad = DemuxReleasePad;
  gst_element_class_add_static_pad_template(element, &kAnySink);
  gst_element_class_add_static_pad_template(element, &kDemuxSrc);
  gst_element_class_set_static_metadata(element, "nvstreamdemux stand-in", "Demuxer", "TEST-ONLY stand-in",
                                        "owl-stream");
}

gboolean PluginInit(GstPlugin* plugin) {
  return gst_element_register(plugin, "standin-nvstreammux", GST_RANK_NONE, standin_mux_get_type()) &&
         gst_element_register(plugin, "standin-nvinfer", GST_RANK_NONE, standin_infer_get_type()) &&
         gst_element_register(plugin, "standin-nvtracker", GST_RANK_NONE, standin_tracker_get_type()) &&
         gst_element_register(plugin, "standin-nvstreamdemux", GST_RANK_NONE, standin_demux_get_type()) &&
         gst_element_register(plugin, "standin-nvmsgconv", GST_RANK_NONE, standin_msgconv_get_type()) &&
         gst_element_register(plugin, "standin-nvmsgbroker", GST_RANK_NONE, owl_standin::BrokerType());
}

}  // namespace

#define PACKAGE "owl-stream"
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, owlstandins,
                  "TEST-ONLY stand-ins for DeepStream elements (owl-stream tests)", PluginInit, "0.1", "unknown",
                  "owl-stream", "https://example.invalid/owl-stream")
