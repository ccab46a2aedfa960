// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY: parses a gst-launch description with this machine's GStreamer, without running it, and
// prints {"code":<GstParseError or -1>,"error":"...","missing":["factory",...]} as one JSON line.
// Where DeepStream is not installed its elements are reported missing, but the syntax (caps strings,
// quoting, links by name) and every other element with its properties are still checked for real:
// GStreamer lists an element whose property it cannot set as missing too.
//
//   owl_gst_parse_check "<description>"
#include <gst/gst.h>

#include <cstdio>
#include <string>

#include "json_string.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <description>\n", argv[0]);
    return 2;
  }
  gst_init(nullptr, nullptr);
  GstParseContext* context = gst_parse_context_new();
  GError* error = nullptr;
  GstElement* element = gst_parse_launch_full(argv[1], context, GST_PARSE_FLAG_NONE, &error);
  std::string out = "{\"code\":" + std::to_string(error ? error->code : -1) +
                    ",\"error\":" + JsonString(error ? error->message : "") + ",\"missing\":[";
  gchar** missing = gst_parse_context_get_missing_elements(context);
  for (gchar** m = missing; m != nullptr && *m != nullptr; ++m) out += (m == missing ? "" : ",") + JsonString(*m);
  std::printf("%s]}\n", out.c_str());
  g_strfreev(missing);
  g_clear_error(&error);
  if (element != nullptr) gst_object_unref(element);
  gst_parse_context_free(context);
  return 0;
}
