#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Entry point of the DeepStream image: builds the TensorRT engine at first start (it is specific to the
# GPU and TensorRT version, so it cannot ship in the image), then runs owl-stream with the container's
# arguments. The engine lands in the mounted model folder and is reused by later starts. It is built for nvinfer's
# batch: OWL_DEEPSTREAM_INFER_BATCH_SIZE where set and not 0 (deepstream.inferBatchSize: 1 keeps NanoOWL's own
# batch-1 engine), else OWL_INPUT_MAX_STREAMS frames (default 8, input.maxStreams' default): one service's
# cameras share it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${OWL_ENGINE:-auto}" != portable ]; then
  batch="${OWL_DEEPSTREAM_INFER_BATCH_SIZE:-0}"
  [ "$batch" != 0 ] || batch="${OWL_INPUT_MAX_STREAMS:-8}"
  deploy/build-engine.sh "${OWL_MODEL_FOLDER:?set OWL_MODEL_FOLDER}" \
    "${OWL_MODEL_IMAGE_ENCODER_ENGINE:?set OWL_MODEL_IMAGE_ENCODER_ENGINE}" "$batch"
fi
exec node build/ts/cli/main.js "$@"
