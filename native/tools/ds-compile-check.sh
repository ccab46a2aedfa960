#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Compiles owl-stream's DeepStream sources against the REAL headers of a DeepStream SDK on a machine without
# the SDK (no GPU, no TensorRT): a development step, not part of the build or CI (deploy/README.md,
# "Compiling against the real SDK headers").
#
#   native/tools/ds-compile-check.sh [--out DIR] [--no-test] <deepstream-includes-dir>
#
# <deepstream-includes-dir> holds nvdsmeta.h: sources/includes of an install, includes/ of NVIDIA/DeepStream.
#  1. every native/src/deepstream/*.cc compiled to an object with -Wall -Wextra -Werror (SDK and system headers
#     as -isystem), GStreamer from pkg-config, node-addon-api and node-api-headers from node_modules, and
#     OWL_HAVE_DEEPSTREAM=1 as the addon is built with the SDK;
#  2. libowl_ds_parser.so linked from the parser's objects and the decode core with --no-undefined, and
#     checked to export exactly its four C entry points;
#  3. the nvinfer-like parser harness compiled against the same headers, and the parser tests
#     (test/deepstream-parser.test.ts, test/deepstream-config.test.ts) run on that library and harness
#     (OWL_DS_PARSER_BUILD) when the TS tests are built; --no-test skips this step.
# TensorRT's headers, which nvdsinfer_custom_impl.h includes, cannot be installed here: the script writes
# forward declarations of the few TensorRT names the SDK headers mention into DIR/shim. They are our own
# declarations, enough for code that never calls TensorRT; nothing else is stood in for.
# CXXFLAGS is added to every compile (e.g. CXXFLAGS="-include nvll_osd_struct.h" for a reformatted mirror).
set -euo pipefail

usage() {
  echo "usage: $0 [--out DIR] [--no-test] <deepstream-includes-dir>" >&2
  exit 2
}

out=""
run_tests=1
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || usage; out="$2"; shift 2 ;;
    --no-test) run_tests=0; shift ;;
    -h|--help) usage ;;
    -*) usage ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || usage
sdk="$(cd "$1" && pwd)"
root="$(cd "$(dirname "$0")/../.." && pwd)"
for header in nvdsmeta.h nvds_version.h nvdsinfer_custom_impl.h gstnvdsmeta.h; do
  if [ ! -f "$sdk/$header" ]; then
    echo "ds-compile-check: $sdk has no $header: give the SDK's includes folder (sources/includes or includes)" >&2
    exit 2
  fi
done
version="$(sed -n 's/^#define NVDS_VERSION_\(MAJOR\|MINOR\|MICRO\) \([0-9]*\).*/\2/p' "$sdk/nvds_version.h" |
  paste -sd.)"

if [ -z "$out" ]; then
  out="$(mktemp -d "${TMPDIR:-/tmp}/owl-ds-compile-check.XXXXXX")"
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out/shim" "$out/obj"

# Forward declarations of the TensorRT names the SDK headers use in declarations (6.2 to 9.1): engine-building
# hooks our code never calls. Written here, not copied from TensorRT.
cat > "$out/shim/NvInfer.h" <<'EOF'
// owl-stream ds-compile-check: forward declarations only, NOT TensorRT's header.
#pragma once
#include <cstdint>
namespace nvinfer1 {
class IBuilder;
class IBuilderConfig;
class ICudaEngine;
class INetworkDefinition;
class IPluginFactory;
enum class DataType : int32_t;
}  // namespace nvinfer1
EOF
for header in NvInferRuntime.h NvOnnxParser.h NvUffParser.h; do
  printf '// owl-stream ds-compile-check: NOT TensorRT'"'"'s header.\n#pragma once\n#include "NvInfer.h"\n' \
    > "$out/shim/$header"
done
cat > "$out/shim/NvCaffeParser.h" <<'EOF'
// owl-stream ds-compile-check: forward declarations only, NOT TensorRT's header.
#pragma once
#include "NvInfer.h"
namespace nvcaffeparser1 {
class IPluginFactoryV2;
}  // namespace nvcaffeparser1
EOF

cxx="${CXX:-g++}"
read -r -a gst_flags <<< "$(pkg-config --cflags gstreamer-1.0 gstreamer-app-1.0 gstreamer-video-1.0 \
  gstreamer-rtsp-server-1.0 | sed 's/-I/-isystem /g')"
read -r -a extra_flags <<< "${CXXFLAGS:-}"
common=(-std=c++17 -O2 -fPIC -Wall -Wextra -Werror -I"$root/native/src" -isystem "$sdk" -isystem "$out/shim"
  "${extra_flags[@]}")
addon=("${gst_flags[@]}" -isystem "$root/node_modules/node-api-headers/include"
  -isystem "$root/node_modules/node-addon-api" -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS
  -DNODE_ADDON_API_DISABLE_DEPRECATED -DOWL_HAVE_DEEPSTREAM=1
  -DOWL_DEEPSTREAM_DIR='"/opt/nvidia/deepstream/deepstream"')
hidden=(-fvisibility=hidden -fvisibility-inlines-hidden)

echo "ds-compile-check: DeepStream $version headers in $sdk ($("$cxx" --version | head -n1))"
parser_objects=()
for source in "$root"/native/src/deepstream/*.cc; do
  name="$(basename "$source" .cc)"
  echo "  compile native/src/deepstream/$name.cc"
  case "$name" in
    owl_bbox_parser|prompt_store)
      "$cxx" "${common[@]}" "${hidden[@]}" -c "$source" -o "$out/obj/$name.o"
      parser_objects+=("$out/obj/$name.o") ;;
    *)
      "$cxx" "${common[@]}" "${addon[@]}" -c "$source" -o "$out/obj/$name.o" ;;
  esac
done
for source in "$root"/native/src/decode/*.cc; do
  case "$source" in *_binding.cc) continue ;; esac
  "$cxx" "${common[@]}" "${hidden[@]}" -c "$source" -o "$out/obj/decode_$(basename "$source" .cc).o"
done

echo "  link libowl_ds_parser.so (--no-undefined)"
"$cxx" -shared -Wl,--no-undefined -o "$out/libowl_ds_parser.so" "${parser_objects[@]}" "$out"/obj/decode_*.o
exported="$(nm -D --defined-only "$out/libowl_ds_parser.so" | awk '$2 == "T" { print $3 }' | sort | paste -sd' ')"
if [ "$exported" != "NvDsInferParseOwl OwlDsLastError OwlDsSetDecodeOptions OwlDsSetPrompts" ]; then
  echo "ds-compile-check: libowl_ds_parser.so exports '$exported', expected its four C entry points" >&2
  exit 1
fi
sdk_symbols="$(nm -u "$out"/obj/ds_*.o | awk '{ print $2 }' | grep -i nvds | sort -u | paste -sd' ' || true)"
echo "  the addon's objects need from the SDK's libraries: ${sdk_symbols:-nothing}"

echo "  compile native/test/parser_harness.cc"
"$cxx" "${common[@]}" "$root/native/test/parser_harness.cc" -o "$out/owl_parser_harness" -ldl -pthread

if [ "$run_tests" = 1 ]; then
  tests=("$root/build/test/deepstream-parser.test.js" "$root/build/test/deepstream-config.test.js")
  if [ -f "${tests[0]}" ]; then
    echo "  run the parser tests on this library and harness (OWL_DS_PARSER_BUILD=$out)"
    OWL_DS_PARSER_BUILD="$out" node --test --test-concurrency=1 --test-reporter=dot "${tests[@]}"
  else
    echo "  parser tests not built (npx tsc -p tsconfig.json): skipped"
  fi
fi
echo "ds-compile-check: DeepStream $version: OK"
