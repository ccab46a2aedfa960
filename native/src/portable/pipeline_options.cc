// SPDX-License-Identifier: Apache-2.0
#include "portable/pipeline_options.h"

#include "common/attr.h"
#include "common/expected.h"
#include "common/uri_guard.h"

namespace owl {
namespace {

InputOptions::Kind ReadKind(const Napi::Object& input) {
  const std::string kind = AttrAsString(input, "kind", "input");
  if (kind == "rtsp") return InputOptions::Kind::kRtsp;
  if (kind == "file") return InputOptions::Kind::kFile;
  if (kind == "test") return InputOptions::Kind::kTest;
  throw Napi::TypeError::New(input.Env(), ExpectedMessage("'rtsp', 'file' or 'test'", "input.kind", "'" + kind + "'"));
}

std::vector<Rgb> ReadPalette(const Napi::Object& overlay) {
  Napi::Array array = AttrAsArray(overlay, "palette", "overlay");
  std::vector<Rgb> palette;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    bool ok = item.IsArray() && item.As<Napi::Array>().Length() == 3;
    Rgb rgb{};
    for (uint32_t c = 0; ok && c < 3; ++c) {
      Napi::Value v = item.As<Napi::Array>().Get(c);
      double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
      ok = d >= 0 && d <= 255;
      rgb[c] = static_cast<uint8_t>(d);
    }
    if (!ok) {
      throw Napi::TypeError::New(overlay.Env(), "Expected [r, g, b] with values 0-255 for overlay.palette[" +
                                                    std::to_string(i) + "]");
    }
    palette.push_back(rgb);
  }
  if (palette.empty()) throw Napi::TypeError::New(overlay.Env(), "Expected at least one colour in overlay.palette");
  return palette;
}

}  // namespace

ReconnectOptions ReadReconnectOptions(const Napi::Object& object) {
  const Napi::Object reconnect = AttrAsObject(object, "reconnect", "");
  ReconnectOptions options;
  options.initial_delay_ms = AttrAsInt32(reconnect, "initialDelayMs", "reconnect");
  options.max_delay_ms = AttrAsInt32(reconnect, "maxDelayMs", "reconnect");
  options.stall_timeout_ms = AttrAsInt32(reconnect, "stallTimeoutMs", "reconnect");
  // Optional: engines that give no camera address do without the return probe.
  if (!reconnect.Get("probeAddress").IsUndefined()) {
    options.probe_address = AttrAsString(reconnect, "probeAddress", "reconnect");
    RequireUriText(reconnect.Env(), options.probe_address, "reconnect.probeAddress");
  }
  return options;
}

PipelineOptions ReadPipelineOptions(const Napi::Object& object) {
  PipelineOptions options;
  Napi::Object input = AttrAsObject(object, "input", "");
  options.input.kind = ReadKind(input);
  options.input.uri = AttrAsString(input, "uri", "input");
  // Defence in depth: TS validated it (ts/config/url-policy.ts); rtspsrc writes it into its request line.
  if (options.input.kind == InputOptions::Kind::kRtsp) RequireUriText(input.Env(), options.input.uri, "input.uri");
  options.input.rtsp_tcp = AttrAsString(input, "rtspTransport", "input") != "udp";
  options.input.latency_ms = AttrAsInt32(input, "latencyMs", "input");
  options.input.width = AttrAsInt32(input, "width", "input");
  options.input.height = AttrAsInt32(input, "height", "input");
  options.input.fps = AttrAsInt32(input, "fps", "input");

  Napi::Object output = AttrAsObject(object, "output", "");
  options.output.enabled = !AttrAsObjectOrNull(output, "server", "output").IsEmpty();
  options.output.mount = AttrAsString(output, "mount", "output");
  options.output.preset = AttrAsString(output, "preset", "output");
  options.output.bitrate_kbps = AttrAsInt32(output, "bitrateKbps", "output");
  options.output.width = AttrAsInt32(output, "width", "output");
  options.output.height = AttrAsInt32(output, "height", "output");

  Napi::Object inference = AttrAsObject(object, "inference", "");
  options.inference.input_size = AttrAsInt32(inference, "inputSize", "inference");
  options.inference.mean = AttrAsFloat3(inference, "mean", "inference");
  options.inference.std = AttrAsFloat3(inference, "std", "inference");

  options.reconnect = ReadReconnectOptions(object);

  Napi::Object overlay = AttrAsObject(object, "overlay", "");
  options.overlay.line_width = AttrAsInt32(overlay, "lineWidth", "overlay");
  options.overlay.font_size = AttrAsInt32(overlay, "fontSize", "overlay");
  options.overlay.palette = ReadPalette(overlay);
  return options;
}

}  // namespace owl
