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
#     OWL_HAVE_DEEPSTREAM=1 as the addon is built with the SDK; the SDK functions the objects call are listed
#     (the addon links libnvds_meta, libnvdsgst_meta and libnvdsgst_helper for them);
#  2. the tensor decode harness (native/test/tensor_decode_harness.cc) compiled against the same headers, and the
#     tensor decode tests (test/deepstream-tensor-decode.test.ts) run on it (OWL_DS_DECODE_BUILD) when the TS
#     tests are built; --no-test skips this step.
# Nothing is stood in for: the headers our sources include need only GLib and GStreamer (not TensorRT or CUDA).
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
for header in nvdsmeta.h nvds_version.h gstnvdsinfer.h gstnvdsmeta.h nvdsmeta_schema.h gst-nvevent.h; do
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
mkdir -p "$out/obj"

cxx="${CXX:-g++}"
read -r -a gst_flags <<< "$(pkg-config --cflags gstreamer-1.0 gstreamer-app-1.0 gstreamer-video-1.0 \
  gstreamer-rtsp-server-1.0 | sed 's/-I/-isystem /g')"
read -r -a gst_libs <<< "$(pkg-config --libs glib-2.0)"
read -r -a extra_flags <<< "${CXXFLAGS:-}"
common=(-std=c++17 -O2 -fPIC -Wall -Wextra -Werror -I"$root/native/src" -isystem "$sdk"
  "${extra_flags[@]}")
addon=("${gst_flags[@]}" -isystem "$root/node_modules/node-api-headers/include"
  -isystem "$root/node_modules/node-addon-api" -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS
  -DNODE_ADDON_API_DISABLE_DEPRECATED -DOWL_HAVE_DEEPSTREAM=1
  -DOWL_DEEPSTREAM_DIR='"/opt/nvidia/deepstream/deepstream"')

echo "ds-compile-check: DeepStream $version headers in $sdk ($("$cxx" --version | head -n1))"
for source in "$root"/native/src/deepstream/*.cc; do
  name="$(basename "$source" .cc)"
  echo "  compile native/src/deepstream/$name.cc"
  "$cxx" "${common[@]}" "${addon[@]}" -c "$source" -o "$out/obj/$name.o"
done
sdk_symbols="$(nm -u "$out"/obj/*.o | awk '{ print $2 }' | grep -E '^(nvds_|gst_buffer_get_nvds|gst_nvevent)' |
  sort -u | paste -sd' ' || true)"
echo "  the objects need from the SDK's libraries: ${sdk_symbols:-nothing}"

echo "  compile native/test/tensor_decode_harness.cc"
decode_sources=()
for source in "$root"/native/src/decode/*.cc; do
  case "$source" in *_binding.cc) ;; *) decode_sources+=("$source") ;; esac
done
"$cxx" "${common[@]}" "${gst_flags[@]}" "$root/native/test/tensor_decode_harness.cc" \
  "$root/native/src/deepstream/tensor_decode.cc" "$root/native/src/deepstream/stream_view.cc" \
  "${decode_sources[@]}" -o "$out/owl_tensor_decode_harness" -pthread "${gst_libs[@]}"

if [ "$run_tests" = 1 ]; then
  tests=("$root/build/test/deepstream-tensor-decode.test.js")
  if [ -f "${tests[0]}" ]; then
    echo "  run the tensor decode tests on this harness (OWL_DS_DECODE_BUILD=$out)"
    OWL_DS_DECODE_BUILD="$out" node --test --test-concurrency=1 --test-reporter=dot "${tests[@]}"
  else
    echo "  tensor decode tests not built (npx tsc -p tsconfig.json): skipped"
  fi
fi
echo "ds-compile-check: DeepStream $version: OK"
