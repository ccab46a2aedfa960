// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY STAND-IN for the DeepStream SDK header <nvll_osd_struct.h>: not NVIDIA's file. The drawing
// parameters of object metadata that the engine sets, with the SDK's names and field types (DS 6.2, 7.0 and
// 9.1). Code built against this folder is only ever linked with the stand-in library (native/test/nvds_standin).
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _NvBbox_Coords {
  float left;
  float top;
  float width;
  float height;
} NvBbox_Coords;

typedef struct _NvOSD_ColorParams {
  double red;
  double green;
  double blue;
  double alpha;
} NvOSD_ColorParams;

typedef struct _NvOSD_FontParams {
  char* font_name;
  unsigned int font_size;
  NvOSD_ColorParams font_color;
} NvOSD_FontParams;

typedef struct _NvOSD_TextParams {
  char* display_text;  // heap (g_strdup); the meta pool frees it
  unsigned int x_offset;
  unsigned int y_offset;
  NvOSD_FontParams font_params;
  int set_bg_clr;
  NvOSD_ColorParams text_bg_clr;
} NvOSD_TextParams;

typedef struct _NvOSD_RectParams {
  float left;
  float top;
  float width;
  float height;
  unsigned int border_width;
  NvOSD_ColorParams border_color;
  unsigned int has_bg_color;
  unsigned int reserved;
  NvOSD_ColorParams bg_color;
  int has_color_info;
  int color_id;
} NvOSD_RectParams;

#ifdef __cplusplus
}
#endif
