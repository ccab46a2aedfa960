// SPDX-License-Identifier: Apache-2.0
// owl_test_camera: a stand-in IP camera for tests and benchmarks. Serves a live H.264 test pattern over
// RTSP on 127.0.0.1 (one shared encoder for every client, like a real camera).
//   owl_test_camera <port> <mount> <width> <height> <fps> <pattern>
// Prints "READY rtsp://127.0.0.1:<port><mount>" on stdout once it accepts connections; exits on
// SIGINT/SIGTERM. A bad argument or a port in use exits with status 2 and a message on stderr.
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

#include <glib-unix.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

bool ParseInt(const char* text, int min, int max, int* out) {
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < min || value > max) return false;
  *out = static_cast<int>(value);
  return true;
}

gboolean Quit(gpointer loop) {
  g_main_loop_quit(static_cast<GMainLoop*>(loop));
  return G_SOURCE_REMOVE;
}

}  // namespace

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  int port = 0, width = 0, height = 0, fps = 0;
  if (argc != 7 || !ParseInt(argv[1], 1, 65535, &port) || argv[2][0] != '/' ||
      !ParseInt(argv[3], 16, 7680, &width) || !ParseInt(argv[4], 16, 4320, &height) ||
      !ParseInt(argv[5], 1, 240, &fps)) {
    std::fprintf(stderr, "usage: owl_test_camera <port 1-65535> </mount> <width> <height> <fps> <pattern>\n");
    return 2;
  }
  const std::string mount = argv[2];
  // Keyframe every second so a client that joins the shared stream decodes within a second; x264 repeats
  // SPS/PPS before each (no payloader config-interval: it would split multi-slice pictures).
  gchar* launch = g_strdup_printf(
      "( videotestsrc is-live=true pattern=%s ! video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 "
      "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=%d "
      "! rtph264pay name=pay0 pt=96 )",
      argv[6], width, height, fps, fps);

  GstRTSPServer* server = gst_rtsp_server_new();
  gst_rtsp_server_set_address(server, "127.0.0.1");
  gchar* service = g_strdup_printf("%d", port);
  gst_rtsp_server_set_service(server, service);
  g_free(service);

  GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
  gst_rtsp_media_factory_set_launch(factory, launch);
  gst_rtsp_media_factory_set_shared(factory, TRUE);
  g_free(launch);
  GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server);
  gst_rtsp_mount_points_add_factory(mounts, mount.c_str(), factory);
  g_object_unref(mounts);

  GError* error = nullptr;
  if (gst_rtsp_server_attach(server, nullptr) == 0) {
    // attach() hides the reason; create_source() reports it (port in use, permission).
    GSource* source = gst_rtsp_server_create_source(server, nullptr, &error);
    std::fprintf(stderr, "owl_test_camera: cannot serve on 127.0.0.1:%d: %s\n", port,
                 error ? error->message : "unknown error");
    if (source) g_source_unref(source);
    g_clear_error(&error);
    return 2;
  }

  GMainLoop* loop = g_main_loop_new(nullptr, FALSE);
  g_unix_signal_add(SIGINT, Quit, loop);
  g_unix_signal_add(SIGTERM, Quit, loop);
  std::printf("READY rtsp://127.0.0.1:%d%s\n", port, mount.c_str());
  std::fflush(stdout);
  g_main_loop_run(loop);
  g_main_loop_unref(loop);
  g_object_unref(server);
  return 0;
}
