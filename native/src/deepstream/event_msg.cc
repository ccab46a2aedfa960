// SPDX-License-Identifier: Apache-2.0
// Compiled only with the DeepStream SDK, or against the test-only stand-in headers (native/test/nvds_shim).
#include "deepstream/event_msg.h"

#include <nvdsmeta_schema.h>

#include <cstdio>
#include <ctime>

namespace owl::ds {
namespace {

// NvDsMetaCopyFunc / NvDsMetaReleaseFunc of the event (deepstream-test4's meta_copy_func / meta_free_func, for
// the fields set here). The pool calls them with the NvDsUserMeta.
gpointer CopyEvent(gpointer data, gpointer) {
  const auto* source = static_cast<const NvDsEventMsgMeta*>(static_cast<NvDsUserMeta*>(data)->user_meta_data);
  auto* copy = g_new(NvDsEventMsgMeta, 1);
  *copy = *source;
  copy->ts = g_strdup(source->ts);
  copy->objectId = g_strdup(source->objectId);
  copy->sensorStr = g_strdup(source->sensorStr);
  return copy;
}

void FreeEvent(gpointer data, gpointer) {
  auto* user = static_cast<NvDsUserMeta*>(data);
  auto* event = static_cast<NvDsEventMsgMeta*>(user->user_meta_data);
  g_free(event->ts);
  g_free(event->objectId);
  g_free(event->sensorStr);
  g_free(event);
  user->user_meta_data = nullptr;
}

}  // namespace

std::string Rfc3339Now() {
  const gint64 now_us = g_get_real_time();
  const time_t seconds = static_cast<time_t>(now_us / G_USEC_PER_SEC);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  const size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>((now_us / 1000) % 1000));
  return text;
}

void AttachEventMessage(NvDsBatchMeta* batch, NvDsFrameMeta* frame, const EventObject& object,
                        const std::string& sensor_id, uint64_t frame_id, const std::string& timestamp,
                        int component_id) {
  auto* event = g_new0(NvDsEventMsgMeta, 1);
  event->type = NVDS_EVENT_ENTRY;  // not part of the minimal schema
  // UNKNOWN + objectId: the payload's label field is objectId, free text (object_enum_to_str).
  event->objType = NVDS_OBJECT_TYPE_UNKNOWN;
  event->objectId = g_strdup(object.label->c_str());
  event->objClassId = object.class_id;
  event->bbox.left = object.left;
  event->bbox.top = object.top;
  event->bbox.width = object.width;
  event->bbox.height = object.height;
  event->trackingId = object.tracking_id;
  event->confidence = object.confidence;
  event->frameId = static_cast<gint>(frame_id);
  event->sensorId = static_cast<gint>(frame->source_id);
  event->sensorStr = g_strdup(sensor_id.c_str());
  event->ts = g_strdup(timestamp.c_str());
  event->componentId = component_id;

  NvDsUserMeta* user = nvds_acquire_user_meta_from_pool(batch);
  user->user_meta_data = event;
  user->base_meta.meta_type = NVDS_EVENT_MSG_META;
  user->base_meta.copy_func = CopyEvent;
  user->base_meta.release_func = FreeEvent;
  nvds_add_user_meta_to_frame(frame, user);
}

}  // namespace owl::ds
