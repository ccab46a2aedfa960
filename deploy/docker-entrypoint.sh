#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Entry point of the DeepStream image: builds the TensorRT engine at first start (it is specific to the
# GPU and TensorRT version, so it cannot ship in the image), then runs owl-stream with the container's
# arguments. The engine lands in the mounted model folder and is reused by later starts. It is built for a batch
# of OWL_INPUT_MAX_STREAMS frames (default 8, input.maxStreams' default): one service's cameras share it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${OWL_ENGINE:-auto}" != portable ]; then
  deploy/build-engine.sh "${OWL_MODEL_FOLDER:?set OWL_MODEL_FOLDER}" \
    "${OWL_MODEL_IMAGE_ENCODER_ENGINE:?set OWL_MODEL_IMAGE_ENCODER_ENGINE}" "${OWL_INPUT_MAX_STREAMS:-8}"
fi
exec node build/ts/cli/main.js "$@"
