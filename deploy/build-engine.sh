#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the TensorRT engine of the image encoder for the deepstream engine, once per device:
#
#   deploy/build-engine.sh <model folder> <engine file> [max batch]
#
# The model folder is an export of deploy/export/owl_export.py; its owl.json gives the ONNX file
# (files.imageEncoder) and the square input size (imageSize). fp16. The max batch is the most frames one
# TensorRT call takes: the number of cameras of one service (input.maxStreams), whose frames nvinfer batches;
# default 1, as NanoOWL builds it. Batch 1 is a fixed shape (--shapes); a larger batch an optimisation profile
# from 1 to it, tuned for the full batch (--minShapes/--optShapes/--maxShapes), which the ONNX file's dynamic
# batch axis allows. Does nothing when the engine is newer than the ONNX file and was built for the same batch
# (recorded beside it in <engine>.batch). trtexec comes from TensorRT (DeepStream images:
# /usr/src/tensorrt/bin/trtexec); TRTEXEC overrides the path.
set -euo pipefail
say() { printf '[build-engine] %s\n' "$*" >&2; }

[ $# -eq 2 ] || [ $# -eq 3 ] || { say "usage: $0 <model folder> <engine file> [max batch]"; exit 2; }
model_dir=$1
engine=$2
batch=${3:-1}
case $batch in
  ''|*[!0-9]*|0) say "max batch must be a positive integer, received '$batch'"; exit 2 ;;
esac
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

if [ -s "$engine" ] && [ "$engine" -nt "$onnx" ] && [ "$(cat "$engine.batch" 2>/dev/null)" = "$batch" ]; then
  say "$engine is up to date (batch $batch)"
  exit 0
fi

trtexec=${TRTEXEC:-$(command -v trtexec || echo /usr/src/tensorrt/bin/trtexec)}
[ -x "$trtexec" ] || { say "trtexec not found at $trtexec: install TensorRT or set TRTEXEC"; exit 1; }

shape=3x${size}x${size}
if [ "$batch" = 1 ]; then
  shapes=(--shapes="image:1x$shape")
else
  shapes=(--minShapes="image:1x$shape" --optShapes="image:${batch}x$shape" --maxShapes="image:${batch}x$shape")
fi
mkdir -p "$(dirname "$engine")"
partial=$engine.partial
say "building $engine from $onnx (${size}x${size}, batch up to $batch, fp16); this takes minutes on a Jetson"
"$trtexec" --onnx="$onnx" --saveEngine="$partial" --fp16 "${shapes[@]}"
mv -f "$partial" "$engine"  # only a complete engine gets the final name
echo "$batch" > "$engine.batch"
say "wrote $engine"
