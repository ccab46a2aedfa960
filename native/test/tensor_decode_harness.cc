// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY harness for the DeepStream engine's tensor decode (native/src/deepstream/tensor_decode.h,
// test/deepstream-tensor-decode.test.ts): it builds nvinfer's output layer descriptions from hand-built tensors,
// reads them as the probe after nvinfer does (FrameTensors, DecodeFrame) with a stream's prompts taken from a
// StreamTable, and prints the detections as one JSON line on stdout (%.9g round-trips float32). Compiled against
// the stand-in headers in every build, and against real SDK headers by native/tools/ds-compile-check.sh.
//
//   owl_tensor_decode_harness <case.bin> [--swap-stress N]
//
// case.bin (little-endian, written by the test):
//   "OWLT" u32 version=1
//   u32 net_width u32 net_height u32 net_channels u32 frame_width u32 frame_height
//   i32 q i32 d f32[q*d] text_embeds f32[q] thresholds      (q = 0: no prompts)
//   f32 nms_iou i32 max_detections
//   u32 num_layers, then per layer:
//     u32 name_len, name bytes, i32 data_type, u32 num_dims, u32 dims[num_dims], u32 byte_len, bytes
//
// --swap-stress N: decodes N frames on this thread while a second one keeps publishing the stream's view with
// the case's prompts and with every threshold at 1 (which keep nothing). Every frame must equal one of the two
// sequential results exactly (one view per frame, never a mix).
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "deepstream/stream_view.h"
#include "deepstream/tensor_decode.h"

namespace {

using owl::Detection;

struct Reader {
  std::vector<char> bytes;
  std::size_t pos = 0;

  template <typename T>
  T Get() {
    T value;
    Take(&value, sizeof value);
    return value;
  }
  void Take(void* out, std::size_t n) {
    if (pos + n > bytes.size()) throw std::runtime_error("case file truncated");
    std::memcpy(out, bytes.data() + pos, n);
    pos += n;
  }
  std::vector<float> Floats(std::size_t n) {
    std::vector<float> v(n);
    Take(v.data(), n * sizeof(float));
    return v;
  }
};

struct Case {
  NvDsInferNetworkInfo network{};
  int frame_width = 0, frame_height = 0;
  int q = 0, d = 0;
  std::vector<float> embeds, thresholds;
  owl::DecodeOptions options;
  std::vector<std::string> names;          // owns layerName strings
  std::vector<std::vector<char>> buffers;  // owns layer data
  std::vector<NvDsInferLayerInfo> layers;
  std::vector<void*> host;                 // NvDsInferTensorMeta.out_buf_ptrs_host
};

Case ReadCase(const char* path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error(std::string("cannot open ") + path);
  Reader r;
  r.bytes.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  char magic[4];
  r.Take(magic, 4);
  if (std::memcmp(magic, "OWLT", 4) != 0 || r.Get<uint32_t>() != 1) throw std::runtime_error("not an OWLT v1 case");
  Case c;
  c.network.width = r.Get<uint32_t>();
  c.network.height = r.Get<uint32_t>();
  c.network.channels = r.Get<uint32_t>();
  c.frame_width = static_cast<int>(r.Get<uint32_t>());
  c.frame_height = static_cast<int>(r.Get<uint32_t>());
  c.q = r.Get<int32_t>();
  c.d = r.Get<int32_t>();
  c.embeds = r.Floats(static_cast<std::size_t>(c.q) * c.d);
  c.thresholds = r.Floats(c.q);
  c.options.nms_iou = r.Get<float>();
  c.options.max_detections = r.Get<int32_t>();
  const uint32_t num_layers = r.Get<uint32_t>();
  c.names.resize(num_layers);
  c.buffers.resize(num_layers);
  for (uint32_t i = 0; i < num_layers; ++i) {
    c.names[i].resize(r.Get<uint32_t>());
    r.Take(c.names[i].data(), c.names[i].size());
    NvDsInferLayerInfo layer{};
    layer.dataType = static_cast<NvDsInferDataType>(r.Get<int32_t>());
    layer.inferDims.numDims = r.Get<uint32_t>();
    if (layer.inferDims.numDims > NVDSINFER_MAX_DIMS) throw std::runtime_error("too many dims");
    layer.inferDims.numElements = 1;
    for (unsigned k = 0; k < layer.inferDims.numDims; ++k) {
      layer.inferDims.d[k] = r.Get<uint32_t>();
      layer.inferDims.numElements *= layer.inferDims.d[k];
    }
    c.buffers[i].resize(r.Get<uint32_t>());
    r.Take(c.buffers[i].data(), c.buffers[i].size());
    layer.bindingIndex = static_cast<int>(i) + 1;  // 0 is the input `image`
    layer.isInput = 0;
    c.layers.push_back(layer);
  }
  for (uint32_t i = 0; i < num_layers; ++i) {  // pointers taken once the owners stop moving
    c.layers[i].layerName = c.names[i].c_str();
    c.host.push_back(c.buffers[i].empty() ? nullptr : c.buffers[i].data());
  }
  return c;
}

std::string Json(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", ch);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string Json(const std::vector<Detection>& detections) {
  std::string out = "[";
  char buf[256];
  for (std::size_t i = 0; i < detections.size(); ++i) {
    const Detection& d = detections[i];
    std::snprintf(buf, sizeof buf, "%s{\"label\":%d,\"score\":%.9g,\"x0\":%.9g,\"y0\":%.9g,\"x1\":%.9g,\"y1\":%.9g}",
                  i ? "," : "", d.label, d.score, d.x0, d.y0, d.x1, d.y1);
    out += buf;
  }
  return out + "]";
}

bool Same(const std::vector<Detection>& a, const std::vector<Detection>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].label != b[i].label || a[i].score != b[i].score || a[i].x0 != b[i].x0 || a[i].y0 != b[i].y0 ||
        a[i].x1 != b[i].x1 || a[i].y1 != b[i].y1) {
      return false;
    }
  }
  return true;
}

std::shared_ptr<const owl::ds::StreamView> View(const Case& c, const std::vector<float>& thresholds) {
  auto prompts = std::make_shared<owl::ds::StreamPrompts>();
  if (c.q > 0) prompts->set = owl::MakePromptSet(c.embeds.data(), c.q, c.d, thresholds);
  auto view = std::make_shared<owl::ds::StreamView>();
  view->id = "stream";
  view->prompts = prompts;
  view->counters = std::make_shared<owl::ds::StreamCounters>();
  return view;
}

std::vector<Detection> DecodeWith(const Case& c, const owl::ds::StreamTable& table) {
  const owl::ds::FrameTensors tensors(c.layers.data(), static_cast<unsigned>(c.layers.size()), c.host.data(), c.network);
  return owl::ds::DecodeFrame(tensors, table.Get(0)->prompts->set, c.frame_width, c.frame_height, c.options);
}

int Run(int argc, char** argv) {
  if (argc != 2 && !(argc == 4 && std::strcmp(argv[2], "--swap-stress") == 0)) {
    std::fprintf(stderr, "usage: %s <case.bin> [--swap-stress N]\n", argv[0]);
    return 2;
  }
  const Case c = ReadCase(argv[1]);
  owl::ds::StreamTable table(1);
  try {
    table.Publish(0, View(c, c.thresholds));
  } catch (const owl::DecodeError& e) {
    std::printf("{\"promptError\":%s}\n", Json(e.what()).c_str());
    return 0;
  }
  std::vector<Detection> detections;
  try {
    detections = DecodeWith(c, table);
  } catch (const std::exception& e) {  // TensorError, DecodeError
    std::printf("{\"error\":%s}\n", Json(e.what()).c_str());
    return 0;
  }
  if (argc == 2) {
    std::printf("{\"detections\":%s}\n", Json(detections).c_str());
    return 0;
  }

  const long frames = std::stol(argv[3]);
  const auto full_view = table.Get(0);
  const auto empty_view = View(c, std::vector<float>(static_cast<std::size_t>(c.q), 1.f));
  table.Publish(0, empty_view);
  const std::vector<Detection> none = DecodeWith(c, table);
  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    for (long swaps = 0; !stop; ++swaps) table.Publish(0, swaps % 2 ? empty_view : full_view);
  });
  long full = 0, empty = 0, torn = 0;
  for (long i = 0; i < frames; ++i) {
    const std::vector<Detection> got = DecodeWith(c, table);
    if (Same(got, detections)) ++full;
    else if (Same(got, none)) ++empty;
    else ++torn;
  }
  stop = true;
  swapper.join();
  std::printf("{\"full\":%ld,\"empty\":%ld,\"torn\":%ld}\n", full, empty, torn);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "owl_tensor_decode_harness: %s\n", e.what());
    return 1;
  }
}
