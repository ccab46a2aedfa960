// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY STAND-IN for the parts of DeepStream's libnvds_meta.so, libnvdsgst_meta.so and libnvdsgst_helper.so
// that native/src/deepstream calls (declared by native/test/nvds_shim): batch metadata on a buffer, the object
// and user metadata pools, and the per-stream end-of-stream event. Not NVIDIA's code; same names and signatures,
// so the engine's pipeline class runs unchanged on the stand-in elements of nvds_standin_plugin.cc.
#include "nvds_standin.h"

#include <gst-nvevent.h>
#include <gstnvdsmeta.h>

namespace {

struct BatchGstMeta {
  GstMeta meta;
  NvDsBatchMeta* batch;
};

void FreeObject(NvDsObjectMeta* object) {
  g_free(object->text_params.display_text);
  g_free(object);
}

void FreeUser(NvDsUserMeta* user) {
  if (user->base_meta.release_func != nullptr) user->base_meta.release_func(user, nullptr);
  g_free(user);
}

void FreeBatch(NvDsBatchMeta* batch) {
  for (GList* l = batch->frame_meta_list; l != nullptr; l = l->next) {
    auto* frame = static_cast<NvDsFrameMeta*>(l->data);
    for (GList* o = frame->obj_meta_list; o != nullptr; o = o->next) FreeObject(static_cast<NvDsObjectMeta*>(o->data));
    for (GList* u = frame->frame_user_meta_list; u != nullptr; u = u->next) FreeUser(static_cast<NvDsUserMeta*>(u->data));
    g_list_free(frame->obj_meta_list);
    g_list_free(frame->frame_user_meta_list);
    g_free(frame);
  }
  g_list_free(batch->frame_meta_list);
  g_free(batch);
}

gboolean InitMeta(GstMeta* meta, gpointer, GstBuffer*) {
  reinterpret_cast<BatchGstMeta*>(meta)->batch = nullptr;
  return TRUE;
}

void FreeMeta(GstMeta* meta, GstBuffer*) {
  auto* batch_meta = reinterpret_cast<BatchGstMeta*>(meta);
  if (batch_meta->batch != nullptr) FreeBatch(batch_meta->batch);
}

GType BatchMetaApi() {
  static GType type = [] {
    static const gchar* tags[] = {nullptr};
    return gst_meta_api_type_register("OwlStandinNvDsBatchMetaAPI", tags);
  }();
  return type;
}

const GstMetaInfo* BatchMetaInfo() {
  // Not copied to derived buffers (no transform): only the elements that see the muxer's buffer read it.
  static const GstMetaInfo* info = gst_meta_register(BatchMetaApi(), "OwlStandinNvDsBatchMeta", sizeof(BatchGstMeta),
                                                     InitMeta, FreeMeta, nullptr);
  return info;
}

const char kStreamEosStructure[] = "owl-standin-nvevent-stream-eos";

}  // namespace

extern "C" {

NvDsFrameMeta* owl_standin_attach_frame(GstBuffer* buffer, guint source_id, gint frame_num, guint width,
                                        guint height) {
  auto* meta = reinterpret_cast<BatchGstMeta*>(gst_buffer_add_meta(buffer, BatchMetaInfo(), nullptr));
  auto* batch = g_new0(NvDsBatchMeta, 1);
  batch->base_meta.meta_type = NVDS_BATCH_META;
  batch->max_frames_in_batch = 1;
  batch->num_frames_in_batch = 1;
  auto* frame = g_new0(NvDsFrameMeta, 1);
  frame->base_meta.batch_meta = batch;
  frame->base_meta.meta_type = NVDS_FRAME_META;
  frame->pad_index = source_id;
  frame->source_id = source_id;
  frame->frame_num = frame_num;
  frame->source_frame_width = width;
  frame->source_frame_height = height;
  batch->frame_meta_list = g_list_append(nullptr, frame);
  meta->batch = batch;
  return frame;
}

NvDsBatchMeta* gst_buffer_get_nvds_batch_meta(GstBuffer* buffer) {
  auto* meta = reinterpret_cast<BatchGstMeta*>(gst_buffer_get_meta(buffer, BatchMetaApi()));
  return meta != nullptr ? meta->batch : nullptr;
}

NvDsObjectMeta* nvds_acquire_obj_meta_from_pool(NvDsBatchMeta* batch_meta) {
  auto* object = g_new0(NvDsObjectMeta, 1);
  object->base_meta.batch_meta = batch_meta;
  object->base_meta.meta_type = NVDS_OBJ_META;
  return object;
}

void nvds_add_obj_meta_to_frame(NvDsFrameMeta* frame_meta, NvDsObjectMeta* obj_meta, NvDsObjectMeta*) {
  frame_meta->obj_meta_list = g_list_append(frame_meta->obj_meta_list, obj_meta);
}

void nvds_remove_obj_meta_from_frame(NvDsFrameMeta* frame_meta, NvDsObjectMeta* obj_meta) {
  frame_meta->obj_meta_list = g_list_remove(frame_meta->obj_meta_list, obj_meta);
  FreeObject(obj_meta);
}

NvDsUserMeta* nvds_acquire_user_meta_from_pool(NvDsBatchMeta* batch_meta) {
  auto* user = g_new0(NvDsUserMeta, 1);
  user->base_meta.batch_meta = batch_meta;
  return user;
}

void nvds_add_user_meta_to_frame(NvDsFrameMeta* frame_meta, NvDsUserMeta* user_meta) {
  frame_meta->frame_user_meta_list = g_list_append(frame_meta->frame_user_meta_list, user_meta);
}

GstEvent* gst_nvevent_new_stream_eos(guint source_id) {
  GstStructure* structure = gst_structure_new(kStreamEosStructure, "source-id", G_TYPE_UINT, source_id, nullptr);
  return gst_event_new_custom(static_cast<GstEventType>(GST_NVEVENT_STREAM_EOS), structure);
}

void gst_nvevent_parse_stream_eos(GstEvent* event, guint* source_id) {
  gst_structure_get_uint(gst_event_get_structure(event), "source-id", source_id);
}

}  // extern "C"
