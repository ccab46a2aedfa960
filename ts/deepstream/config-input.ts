// SPDX-License-Identifier: Apache-2.0
// What the DeepStream config generators need, as one plain typed object: the service maps its validated
// config (ts/config) and the loaded model's description onto it, so the generators stay pure functions.
import path from 'node:path';
import type { OwlConfig } from '../config/schema';
import type { ModelFolder } from '../model/model-folder';

/** The model files and preprocessing the DeepStream engine uses (from the model folder's owl.json). */
export interface DeepStreamModel {
  /** Image encoder ONNX file, absolute (nvinfer builds the engine from it when `engineFile` is missing). */
  onnxFile: string;
  /** TensorRT engine of the image encoder, absolute (deploy/build-engine.sh builds it at first start). */
  engineFile: string;
  /** Square model input side in pixels (768 for base-patch32). */
  inputSize: number;
  /** Per-channel normalisation in [0,1] units (CLIP: mean 0.4815/0.4578/0.4082, std 0.2686/0.2613/0.2758). */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** Everything the generated DeepStream files depend on. */
export interface DeepStreamConfigInput {
  /** Prompts at start (the label file); later changes reach the parser and the relabel probe live. */
  prompts: readonly string[];
  /**
   * The most prompts a running pipeline accepts (`num-detected-classes`): nvinfer drops class ids at or
   * above it, and it is fixed while the pipeline runs. @default 25 (config `prompts.maxPrompts`)
   */
  maxPrompts: number;
  model: DeepStreamModel;
  /** Absolute path of libowl_ds_parser.so: the same file the addon links (one prompt store per process). */
  parserLibPath: string;
  /** CUDA device. @default 0 */
  gpuId: number;
  redis: {
    host: string;
    port: number;
    /** Redis stream key = nvmsgbroker topic. */
    stream: string;
    /** `XADD ... MAXLEN ~ maxlen`; 0 = unbounded. */
    maxlen: number;
  };
  sensor: {
    /** `sensorId` of every message (resolved before generation: config, VST name or URL segment). */
    id: string;
    /** e.g. "camera". */
    type: string;
  };
}

/**
 * Maps the validated service config onto the generators' input.
 * @param model absolute paths and preprocessing of the loaded model.
 * @param parserLibPath absolute path of libowl_ds_parser.so beside the addon.
 * @param sensorId the resolved sensor id (config, VST stream name or URL segment).
 */
export function deepStreamConfigInput(config: OwlConfig, model: DeepStreamModel, parserLibPath: string,
  sensorId: string): DeepStreamConfigInput {
  return {
    prompts: config.prompts.objects,
    maxPrompts: config.prompts.maxPrompts,
    model,
    parserLibPath,
    gpuId: 0,
    redis: {
      host: config.redis.host, port: config.redis.port, stream: config.redis.stream, maxlen: config.redis.maxlen,
    },
    sensor: { id: sensorId, type: config.sensor.type },
  };
}

/**
 * The DeepStream view of a loaded model folder.
 * @param engineFile config `model.imageEncoderEngine`; a relative path is taken from the working directory.
 */
export function deepStreamModel(folder: ModelFolder, engineFile: string): DeepStreamModel {
  return {
    onnxFile: folder.paths.imageEncoder,
    engineFile: path.resolve(engineFile),
    inputSize: folder.config.imageSize,
    mean: folder.config.mean,
    std: folder.config.std,
  };
}
