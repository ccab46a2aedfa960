// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY STAND-IN for the DeepStream SDK header <nvdsmeta.h>: not NVIDIA's file. Only the metadata
// that ds_pipeline.cc reads and writes, with the SDK's names and field types (as in DS 6.2, 7.0 and 9.1:
// NVIDIA/DeepStream includes/nvdsmeta.h and nvll_osd_struct.h). The SDK's structs have more fields; code
// built against this header is only ever linked with nvds_meta_standin.cc, never with the SDK.
#pragma once

#include <glib.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MAX_LABEL_SIZE 128

typedef GList NvDsFrameMetaList;
typedef GList NvDsObjectMetaList;
typedef GList NvDsMetaList;

typedef struct _NvOSD_RectParams {
  float left;
  float top;
  float width;
  float height;
  unsigned int border_width;
} NvOSD_RectParams;

typedef struct _NvOSD_TextParams {
  char* display_text;  // heap (g_strdup); the meta pool frees it
  unsigned int x_offset;
  unsigned int y_offset;
} NvOSD_TextParams;

typedef struct _NvDsBatchMeta {
  guint max_frames_in_batch;
  guint num_frames_in_batch;
  NvDsFrameMetaList* frame_meta_list;
} NvDsBatchMeta;

typedef struct _NvDsFrameMeta {
  guint pad_index;
  guint batch_id;
  gint frame_num;
  guint64 buf_pts;
  guint source_id;
  guint source_frame_width;   // at the input of nvstreammux
  guint source_frame_height;
  NvDsObjectMetaList* obj_meta_list;
} NvDsFrameMeta;

typedef struct _NvDsObjectMeta {
  gint unique_component_id;
  gint class_id;
  guint64 object_id;
  gfloat confidence;
  NvOSD_RectParams rect_params;  // nvstreammux output pixels
  NvOSD_TextParams text_params;
  gchar obj_label[MAX_LABEL_SIZE];
} NvDsObjectMeta;

#ifdef __cplusplus
}
#endif
