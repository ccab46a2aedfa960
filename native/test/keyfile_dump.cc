// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY: reads a key file with GLib's own GKeyFile (the parser every DeepStream element config goes
// through) and prints it as JSON: {"groups":[{"name":"property","keys":[["gpu-id","0"],...]}]}, values as
// g_key_file_get_string returns them (escapes resolved). A file GLib rejects exits 1 with its message.
//
//   owl_keyfile_dump <file>
#include <glib.h>

#include <cstdio>
#include <string>

#include "json_string.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <key file>\n", argv[0]);
    return 2;
  }
  GKeyFile* file = g_key_file_new();
  GError* error = nullptr;
  if (!g_key_file_load_from_file(file, argv[1], G_KEY_FILE_NONE, &error)) {
    std::fprintf(stderr, "owl_keyfile_dump: %s\n", error->message);
    g_error_free(error);
    g_key_file_free(file);
    return 1;
  }
  std::string out = "{\"groups\":[";
  gchar** groups = g_key_file_get_groups(file, nullptr);
  for (gchar** g = groups; *g; ++g) {
    out += (g == groups ? "" : ",") + std::string("{\"name\":") + JsonString(*g) + ",\"keys\":[";
    gchar** keys = g_key_file_get_keys(file, *g, nullptr, nullptr);
    for (gchar** k = keys; *k; ++k) {
      gchar* value = g_key_file_get_string(file, *g, *k, &error);
      if (value == nullptr) {
        std::fprintf(stderr, "owl_keyfile_dump: [%s] %s: %s\n", *g, *k, error->message);
        return 1;
      }
      out += (k == keys ? "" : ",") + std::string("[") + JsonString(*k) + "," + JsonString(value) + "]";
      g_free(value);
    }
    g_strfreev(keys);
    out += "]}";
  }
  g_strfreev(groups);
  g_key_file_free(file);
  std::printf("%s]}\n", out.c_str());
  return 0;
}
