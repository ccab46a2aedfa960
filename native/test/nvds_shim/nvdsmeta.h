// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY STAND-IN for the DeepStream SDK header <nvdsmeta.h>: not NVIDIA's file. Only the metadata and pool
// functions that native/src/deepstream reads, writes and calls, with the SDK's names, field types and
// signatures (as in DS 6.2, 7.0 and 9.1: NVIDIA/DeepStream includes/nvdsmeta.h). The SDK's structs have more
// fields; code built against this folder is only ever linked with the stand-in library
// (native/test/nvds_standin/nvds_meta_standin.cc), never with the SDK.
#pragma once

#include <glib.h>

#include "nvll_osd_struct.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MAX_LABEL_SIZE 128
#define MAX_USER_FIELDS 4
#define UNTRACKED_OBJECT_ID 0xFFFFFFFFFFFFFFFF

typedef GList NvDsFrameMetaList;
typedef GList NvDsUserMetaList;
typedef GList NvDsObjectMetaList;
typedef GList NvDsMetaList;

typedef enum {
  NVDS_INVALID_META = -1,
  NVDS_BATCH_META = 1,
  NVDS_FRAME_META,
  NVDS_OBJ_META,
  NVDS_DISPLAY_META,
  NVDS_CLASSIFIER_META,
  NVDS_LABEL_INFO_META,
  NVDS_USER_META,
  NVDS_PAYLOAD_META,
  NVDS_EVENT_MSG_META,
  NVDS_OPTICAL_FLOW_META,
  NVDS_LATENCY_MEASUREMENT_META,
  NVDSINFER_TENSOR_OUTPUT_META,
} NvDsMetaType;

typedef gpointer (*NvDsMetaCopyFunc)(gpointer data, gpointer user_data);
typedef void (*NvDsMetaReleaseFunc)(gpointer data, gpointer user_data);

struct _NvDsBatchMeta;

typedef struct _NvDsBaseMeta {
  struct _NvDsBatchMeta* batch_meta;
  NvDsMetaType meta_type;
  void* uContext;
  NvDsMetaCopyFunc copy_func;
  NvDsMetaReleaseFunc release_func;
} NvDsBaseMeta;

typedef struct _NvDsBatchMeta {
  NvDsBaseMeta base_meta;
  guint max_frames_in_batch;
  guint num_frames_in_batch;
  NvDsFrameMetaList* frame_meta_list;
} NvDsBatchMeta;

typedef struct _NvDsFrameMeta {
  NvDsBaseMeta base_meta;
  guint pad_index;
  guint batch_id;
  gint frame_num;
  guint64 buf_pts;
  guint64 ntp_timestamp;
  guint source_id;
  guint source_frame_width;  // at the input of nvstreammux
  guint source_frame_height;
  gboolean bInferDone;
  NvDsObjectMetaList* obj_meta_list;
  NvDsUserMetaList* frame_user_meta_list;
  guint pipeline_width;
  guint pipeline_height;
} NvDsFrameMeta;

typedef struct _NvDsComp_BboxInfo {
  NvBbox_Coords org_bbox_coords;
} NvDsComp_BboxInfo;

typedef struct _NvDsObjectMeta {
  NvDsBaseMeta base_meta;
  gint unique_component_id;
  gint class_id;
  guint64 object_id;
  NvDsComp_BboxInfo detector_bbox_info;
  NvDsComp_BboxInfo tracker_bbox_info;
  gfloat confidence;
  gfloat tracker_confidence;
  NvOSD_RectParams rect_params;  // nvstreammux output pixels
  NvOSD_TextParams text_params;
  gchar obj_label[MAX_LABEL_SIZE];
} NvDsObjectMeta;

typedef struct _NvDsUserMeta {
  NvDsBaseMeta base_meta;
  void* user_meta_data;
} NvDsUserMeta;

NvDsObjectMeta* nvds_acquire_obj_meta_from_pool(NvDsBatchMeta* batch_meta);
void nvds_add_obj_meta_to_frame(NvDsFrameMeta* frame_meta, NvDsObjectMeta* obj_meta, NvDsObjectMeta* obj_parent);
void nvds_remove_obj_meta_from_frame(NvDsFrameMeta* frame_meta, NvDsObjectMeta* obj_meta);
NvDsUserMeta* nvds_acquire_user_meta_from_pool(NvDsBatchMeta* batch_meta);
void nvds_add_user_meta_to_frame(NvDsFrameMeta* frame_meta, NvDsUserMeta* user_meta);

#ifdef __cplusplus
}
#endif
