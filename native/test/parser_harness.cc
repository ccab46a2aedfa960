// SPDX-License-Identifier: Apache-2.0
// TEST-ONLY harness for libowl_ds_parser.so (test/deepstream-parser.test.ts). It loads the library the
// way nvinfer does (dlopen + dlsym of `NvDsInferParseOwl`), sets the prompts through the library's C
// setters, builds the NvDsInferLayerInfo vector from hand-built tensors and prints what the parser
// returned as one JSON line on stdout. The parser's logged reasons go to stderr.
//
//   owl_parser_harness <libowl_ds_parser.so> <case.bin> [--swap-stress N]
//
// case.bin (little-endian, written by the test):
//   "OWLP" u32 version=1
//   u32 net_width u32 net_height u32 net_channels u32 num_classes_configured
//   i32 q i32 d f32[q*d] text_embeds f32[q] thresholds      (q = 0: no prompts)
//   f32 nms_iou i32 max_detections
//   u32 num_layers, then per layer:
//     u32 name_len, name bytes, i32 data_type, u32 num_dims, u32 dims[num_dims], u32 byte_len, bytes
//
// --swap-stress N: parses N frames on a second thread while this thread keeps swapping between the
// case's prompts and the same prompts with every threshold at 1 (which keep nothing). Every frame must
// equal one of the two sequential results exactly (one snapshot per frame, never a mix).
#include <dlfcn.h>
#include <nvds_version.h>
#include <nvdsinfer_custom_impl.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using SetPromptsFn = bool (*)(const float*, int, int, const float*);
using SetOptionsFn = bool (*)(float, int);
using LastErrorFn = const char* (*)();

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
  unsigned num_classes = 0;
  int q = 0, d = 0;
  std::vector<float> embeds, thresholds;
  float nms_iou = 0.f;
  int max_detections = 100;
  std::vector<std::string> names;             // owns layerName strings
  std::vector<std::vector<char>> buffers;     // owns layer buffers
  std::vector<NvDsInferLayerInfo> layers;
};

Case ReadCase(const char* path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::runtime_error(std::string("cannot open ") + path);
  Reader r;
  r.bytes.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  char magic[4];
  r.Take(magic, 4);
  if (std::memcmp(magic, "OWLP", 4) != 0 || r.Get<uint32_t>() != 1) throw std::runtime_error("not an OWLP v1 case");
  Case c;
  c.network.width = r.Get<uint32_t>();
  c.network.height = r.Get<uint32_t>();
  c.network.channels = r.Get<uint32_t>();
  c.num_classes = r.Get<uint32_t>();
  c.q = r.Get<int32_t>();
  c.d = r.Get<int32_t>();
  c.embeds = r.Floats(static_cast<std::size_t>(c.q) * c.d);
  c.thresholds = r.Floats(c.q);
  c.nms_iou = r.Get<float>();
  c.max_detections = r.Get<int32_t>();
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
    c.layers[i].buffer = c.buffers[i].empty() ? nullptr : c.buffers[i].data();
  }
  return c;
}

void* Symbol(void* lib, const char* name) {
  void* sym = dlsym(lib, name);
  if (sym == nullptr) throw std::runtime_error(std::string("symbol not exported: ") + name);
  return sym;
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

// %.9g round-trips every float32 exactly. "rotation" only where the headers have the field (DeepStream 8+).
std::string Json(const std::vector<NvDsInferObjectDetectionInfo>& objects) {
  std::string out = "[";
  char buf[256];
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const auto& o = objects[i];
    std::snprintf(buf, sizeof buf,
                  "%s{\"classId\":%u,\"left\":%.9g,\"top\":%.9g,\"width\":%.9g,\"height\":%.9g,\"confidence\":%.9g",
                  i ? "," : "", o.classId, o.left, o.top, o.width, o.height, o.detectionConfidence);
    out += buf;
#if NVDS_VERSION_MAJOR >= 8
    std::snprintf(buf, sizeof buf, ",\"rotation\":%.9g", o.rotation_angle);
    out += buf;
#endif
    out += "}";
  }
  return out + "]";
}

bool Same(const std::vector<NvDsInferObjectDetectionInfo>& a, const std::vector<NvDsInferObjectDetectionInfo>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].classId != b[i].classId || a[i].left != b[i].left || a[i].top != b[i].top ||
        a[i].width != b[i].width || a[i].height != b[i].height ||
        a[i].detectionConfidence != b[i].detectionConfidence) {
      return false;
    }
#if NVDS_VERSION_MAJOR >= 8
    if (a[i].rotation_angle != b[i].rotation_angle) return false;
#endif
  }
  return true;
}

int Run(int argc, char** argv) {
  if (argc != 3 && !(argc == 5 && std::strcmp(argv[3], "--swap-stress") == 0)) {
    std::fprintf(stderr, "usage: %s <libowl_ds_parser.so> <case.bin> [--swap-stress N]\n", argv[0]);
    return 2;
  }
  void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) throw std::runtime_error(std::string("dlopen: ") + dlerror());
  auto parse = reinterpret_cast<NvDsInferParseCustomFunc>(Symbol(lib, "NvDsInferParseOwl"));
  auto set_prompts = reinterpret_cast<SetPromptsFn>(Symbol(lib, "OwlDsSetPrompts"));
  auto set_options = reinterpret_cast<SetOptionsFn>(Symbol(lib, "OwlDsSetDecodeOptions"));
  auto last_error = reinterpret_cast<LastErrorFn>(Symbol(lib, "OwlDsLastError"));

  Case c = ReadCase(argv[2]);
  if (!set_options(c.nms_iou, c.max_detections)) {
    std::printf("{\"setterError\":%s}\n", Json(last_error()).c_str());
    return 0;
  }
  if (!set_prompts(c.embeds.data(), c.q, c.d, c.thresholds.data())) {
    std::printf("{\"setterError\":%s}\n", Json(last_error()).c_str());
    return 0;
  }
  NvDsInferParseDetectionParams params;
  params.numClassesConfigured = c.num_classes;
  params.perClassPreclusterThreshold.assign(c.num_classes, 0.f);
  params.perClassPostclusterThreshold.assign(c.num_classes, 0.f);

  std::vector<NvDsInferObjectDetectionInfo> objects;
  const bool ok = parse(c.layers, c.network, params, objects);
  if (argc == 3) {
    std::printf("{\"ok\":%s,\"objects\":%s}\n", ok ? "true" : "false", Json(objects).c_str());
    return 0;
  }

  const long frames = std::stol(argv[4]);
  const std::vector<float> keep_nothing(c.q, 1.f);
  std::vector<NvDsInferObjectDetectionInfo> none;
  set_prompts(c.embeds.data(), c.q, c.d, keep_nothing.data());
  if (!parse(c.layers, c.network, params, none)) throw std::runtime_error("parse failed with thresholds 1");
  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    for (long swaps = 0; !stop; ++swaps) {
      set_prompts(c.embeds.data(), c.q, c.d, swaps % 2 ? keep_nothing.data() : c.thresholds.data());
    }
  });
  long full = 0, empty = 0, torn = 0;
  for (long i = 0; i < frames; ++i) {
    std::vector<NvDsInferObjectDetectionInfo> got;
    if (!parse(c.layers, c.network, params, got)) ++torn;
    else if (Same(got, objects)) ++full;
    else if (Same(got, none)) ++empty;
    else ++torn;
  }
  stop = true;
  swapper.join();
  std::printf("{\"ok\":%s,\"full\":%ld,\"empty\":%ld,\"torn\":%ld}\n", ok ? "true" : "false", full, empty, torn);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "owl_parser_harness: %s\n", e.what());
    return 1;
  }
}
