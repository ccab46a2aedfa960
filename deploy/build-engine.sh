#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the TensorRT engine of the image encoder for the deepstream engine, once per device:
#
#   deploy/build-engine.sh <model folder> <engine file>
#
# The model folder is an export of deploy/export/owl_export.py; its owl.json gives the ONNX file
# (files.imageEncoder) and the square input size (imageSize). Does nothing when the engine is newer
# than the ONNX file. trtexec comes from TensorRT (DeepStream images: /usr/src/tensorrt/bin/trtexec);
# TRTEXEC overrides the path. Batch 1 and fp16, as NanoOWL builds it and the nvinfer config expects.
set -euo pipefail
say() { printf '[build-engine] %s\n' "$*" >&2; }

[ $# -eq 2 ] || { say "usage: $0 <model folder> <engine file>"; exit 2; }
model_dir=$1
engine=$2
manifest=$model_dir/owl.json
if [ ! -f "$manifest" ]; then
  say "$manifest not found: export the model first (deploy/export/owl_export.py --out $model_dir)"
  exit 1
fi

# owl.json -> "<image size> <image encoder file>"
if ! read -r size onnx_name < <(node -e '
  const owl = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const size = owl.imageSize, file = owl.files && owl.files.imageEncoder;
  if (!Number.isInteger(size) || size <= 0 || typeof file !== "string") process.exit(1);
  console.log(size + " " + file);' "$manifest"); then
  say "$manifest has no integer imageSize or files.imageEncoder: re-export the model"
  exit 1
fi
onnx=$model_dir/$onnx_name
[ -f "$onnx" ] || { say "$onnx not found (named by $manifest)"; exit 1; }

if [ -s "$engine" ] && [ "$engine" -nt "$onnx" ]; then
  say "$engine is up to date"
  exit 0
fi

trtexec=${TRTEXEC:-$(command -v trtexec || echo /usr/src/tensorrt/bin/trtexec)}
[ -x "$trtexec" ] || { say "trtexec not found at $trtexec: install TensorRT or set TRTEXEC"; exit 1; }

mkdir -p "$(dirname "$engine")"
partial=$engine.partial
say "building $engine from $onnx (${size}x${size}, fp16); this takes minutes on a Jetson"
"$trtexec" --onnx="$onnx" --saveEngine="$partial" --fp16 --shapes="image:1x3x${size}x${size}"
mv -f "$partial" "$engine"  # only a complete engine gets the final name
say "wrote $engine"
