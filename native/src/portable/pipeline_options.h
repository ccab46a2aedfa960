// SPDX-License-Identifier: Apache-2.0
// The portable pipeline's options as plain C++ (read once from the normalised JS object that
// ts/pipeline/options.ts builds; field names match NativePipelineOptions in ts/native.ts).
#pragma once

#include <napi.h>

#include <array>
#include <string>

#include "common/reconnect_loop.h"
#include "portable/overlay.h"

namespace owl {

struct InputOptions {
  enum class Kind { kRtsp, kFile, kTest };
  Kind kind = Kind::kTest;
  std::string uri;  // rtsp:// URL, file path, or test pattern name
  bool rtsp_tcp = true;
  int latency_ms = 200;
  int width = 1280, height = 720, fps = 30;  // test source only
};

struct OutputOptions {
  bool enabled = false;  // false: headless, no video branch
  std::string mount;
  std::string preset;
  int bitrate_kbps = 4000;
  int width = 0, height = 0;  // 0: the source's size
};

struct InferenceOptions {
  int input_size = 0;  // 0: no inference branch
  std::array<float, 3> mean{};
  std::array<float, 3> std{};
};

struct PipelineOptions {
  InputOptions input;
  OutputOptions output;
  InferenceOptions inference;
  ReconnectOptions reconnect;
  OverlayStyle overlay;
};

/**
 * [sync] Reads NativePipelineOptions (except output.server, which the caller unwraps). Throws
 * Napi::TypeError naming the field ("Expected a 32-bit integer for input.width but received string").
 */
PipelineOptions ReadPipelineOptions(const Napi::Object& object);

/** [sync] Reads `reconnect` of NativePipelineOptions, the same in NativeDeepStreamOptions; TypeError as above. */
ReconnectOptions ReadReconnectOptions(const Napi::Object& object);

}  // namespace owl
