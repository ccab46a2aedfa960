// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY STAND-IN for the DeepStream SDK header <nvdsmeta_schema.h>: not NVIDIA's file. The event message
// metadata nvmsgconv turns into payloads, with the SDK's names and the fields of DS 6.2 that
// native/src/deepstream sets (9.1 adds fields after sensorStr, all left zero by the engine).
#pragma once

#include <glib.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum NvDsEventType {
  NVDS_EVENT_ENTRY,
  NVDS_EVENT_EXIT,
  NVDS_EVENT_MOVING,
  NVDS_EVENT_STOPPED,
  NVDS_EVENT_EMPTY,
  NVDS_EVENT_PARKED,
  NVDS_EVENT_RESET,
  NVDS_EVENT_RESERVED = 0x100,
  NVDS_EVENT_CUSTOM = 0x101,
  NVDS_EVENT_FORCE32 = 0x7FFFFFFF
} NvDsEventType;

typedef enum NvDsObjectType {
  NVDS_OBJECT_TYPE_VEHICLE,
  NVDS_OBJECT_TYPE_PERSON,
  NVDS_OBJECT_TYPE_FACE,
  NVDS_OBJECT_TYPE_BAG,
  NVDS_OBJECT_TYPE_BICYCLE,
  NVDS_OBJECT_TYPE_ROADSIGN,
  NVDS_OBJECT_TYPE_VEHICLE_EXT,
  NVDS_OBJECT_TYPE_PERSON_EXT,
  NVDS_OBJECT_TYPE_FACE_EXT,
  NVDS_OBJECT_TYPE_RESERVED = 0x100,
  NVDS_OBJECT_TYPE_CUSTOM = 0x101,
  NVDS_OBJECT_TYPE_UNKNOWN = 0x102,
  NVDS_OBEJCT_TYPE_FORCE32 = 0x7FFFFFFF
} NvDsObjectType;

typedef struct NvDsRect {
  float top;
  float left;
  float width;
  float height;
} NvDsRect;

typedef struct NvDsEventMsgMeta {
  NvDsEventType type;
  NvDsObjectType objType;
  NvDsRect bbox;
  gint objClassId;
  gint sensorId;
  gint moduleId;
  gint placeId;
  gint componentId;
  gint frameId;
  gdouble confidence;
  guint64 trackingId;
  gchar* ts;
  gchar* objectId;
  gchar* sensorStr;
  gchar* otherAttrs;
  gchar* videoPath;
  gpointer extMsg;
  guint extMsgSize;
} NvDsEventMsgMeta;

#ifdef __cplusplus
}
#endif
