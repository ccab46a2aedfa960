// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY harness for the DeepStream engine's pipeline class (src/deepstream/ds_pipeline.cc) where
// DeepStream is not installed: the class is compiled against the stand-in metadata headers
// (nvds_shim/) and runs a description whose DeepStream elements the test replaced by ordinary GStreamer
// ones, with the stand-in batch metadata of nvds_meta_standin.cc. Everything else is real: parsing,
// the probe, relabelling, state events, rebuilds with backoff, the RTSP mount.
//
//   owl_ds_pipeline_harness <seconds> <labels, comma-separated> <description> [<rtsp port> <mount> <launch>]
//
// Prints JSON lines: {"event":"state",...}, {"event":"error",...}, the first 3 frames as
// {"event":"frame",...} (with obj_label / display_text after the probe), {"event":"rtsp","port":N} once
// serving, and {"event":"stats",...} at the end. Reconnect delays are 200 ms doubling up to 800 ms, stall
// timeout 1500 ms.
#include <cstdio>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "deepstream/ds_pipeline.h"
#include "gstreamer/gst_support.h"
#include "nvds_meta_standin.h"

namespace {

std::mutex g_out;

void Print(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_out);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

std::string Json(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) >= 0x20) out += ch;
  }
  return out + "\"";
}

template <typename T>
std::string JsonArray(const std::vector<T>& values) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out << ",";
    if constexpr (std::is_same_v<T, std::string>) {
      out << Json(values[i]);
    } else {
      out << values[i];
    }
  }
  out << "]";
  return out.str();
}

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) parts.push_back(part);
  return parts;
}

int Run(int argc, char** argv) {
  if (argc != 4 && argc != 7) {
    std::fprintf(stderr, "usage: %s <seconds> <labels> <description> [<rtsp port> <mount> <launch>]\n", argv[0]);
    return 2;
  }
  owl::EnsureGstInit();
  owl::ds::DsPipelineOptions options;
  options.description = argv[3];
  options.reconnect.initial_delay_ms = 200;
  options.reconnect.max_delay_ms = 800;
  options.reconnect.stall_timeout_ms = 1500;
  std::shared_ptr<owl::RtspServer> server;
  if (argc == 7) {
    server = std::make_shared<owl::RtspServer>("127.0.0.1", std::stoi(argv[4]));
    server->Start();
    options.output_enabled = true;
    options.mount = argv[5];
    options.mount_launch = argv[6];
  }

  int frames_printed = 0;
  owl::ds::DsPipeline::Callbacks callbacks;
  callbacks.on_state = [](const owl::StateEvent& e) {
    Print("{\"event\":\"state\",\"state\":" + Json(owl::StateName(e.state)) + ",\"reason\":" + Json(e.reason) + "}");
  };
  callbacks.on_error = [](const owl::ErrorInfo& e) {
    Print("{\"event\":\"error\",\"message\":" + Json(e.message) + ",\"code\":" + Json(e.code) + "}");
  };
  callbacks.on_frame = [&frames_printed](std::unique_ptr<owl::ds::DsFrame> frame) {
    if (frames_printed < 3) {  // streaming thread, one at a time
      ++frames_printed;
      const owl::ds::standin::ObjectTexts texts = owl::ds::standin::CurrentTexts();
      Print("{\"event\":\"frame\",\"id\":" + std::to_string(frame->frame_id) + ",\"width\":" +
            std::to_string(frame->width) + ",\"height\":" + std::to_string(frame->height) + ",\"labels\":" +
            JsonArray(frame->labels) + ",\"scores\":" + JsonArray(frame->scores) + ",\"boxes\":" +
            JsonArray(frame->boxes) + ",\"objLabels\":" + JsonArray(texts.obj_labels) + ",\"displayTexts\":" +
            JsonArray(texts.display_texts) + "}");
    }
    return true;
  };

  owl::ds::DsPipeline pipeline(options, server, callbacks);
  pipeline.SetLabels(std::make_shared<const std::vector<std::string>>(Split(argv[2])));
  pipeline.Start();
  if (server) Print("{\"event\":\"rtsp\",\"port\":" + std::to_string(server->port()) + "}");
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(std::stod(argv[1]) * 1000)));
  pipeline.Stop();
  const owl::PipelineStats stats = pipeline.stats();
  Print("{\"event\":\"stats\",\"framesIn\":" + std::to_string(stats.frames_in) + ",\"framesOut\":" +
        std::to_string(stats.frames_out) + ",\"framesToJs\":" + std::to_string(stats.frames_to_model) +
        ",\"reconnects\":" + std::to_string(stats.reconnects) + "}");
  if (server) server->Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const owl::CodedError& e) {
    Print("{\"event\":\"thrown\",\"message\":" + Json(e.what()) + ",\"code\":" + Json(e.info().code) + "}");
    return 1;
  } catch (const std::exception& e) {
    Print("{\"event\":\"thrown\",\"message\":" + Json(e.what()) + "}");
    return 1;
  }
}
