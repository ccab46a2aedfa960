// SPDX-License-Identifier: Apache-2.0
// What the DeepStream config generators need, as one plain typed object: the service maps its validated
// config (ts/config) and the loaded model's description onto it, so the generators stay pure functions.
import path from 'node:path';
import type { OwlConfig } from '../config/schema';
import { parseKafkaBroker, parseProtoCfg } from '../kafka/settings';
import type { ModelFolder } from '../model/model-folder';
import { parseMqttUrl, topicFor } from '../mqtt/target';

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
  /** null: the Redis output is off. */
  redis: {
    host: string;
    port: number;
    /** Redis stream key = nvmsgbroker topic. */
    stream: string;
    /** `XADD ... MAXLEN ~ maxlen`; 0 = unbounded. */
    maxlen: number;
    /** One message every N frames (nvmsgconv frame-interval). */
    frameInterval: number;
  } | null;
  /** null: the MQTT output is off. */
  mqtt: {
    host: string;
    port: number;
    /** mqtts:// : TLS. */
    secure: boolean;
    /** The topic with the sensor id in place. */
    topic: string;
    clientId: string;
    username: string;
    password: string;
    caFile: string;
    certFile: string;
    keyFile: string;
    frameInterval: number;
  } | null;
  /** null: the Kafka output is off. */
  kafka: {
    host: string;
    port: number;
    topic: string;
    /** librdkafka settings. */
    protoCfg: [string, string][];
    frameInterval: number;
  } | null;
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
    redis: !config.redis.enabled ? null : {
      host: config.redis.host, port: config.redis.port, stream: config.redis.stream, maxlen: config.redis.maxlen,
      frameInterval: config.redis.outputInterval,
    },
    mqtt: mqttInput(config.mqtt, sensorId),
    kafka: kafkaInput(config.kafka),
    sensor: { id: sensorId, type: config.sensor.type },
  };
}

function mqttInput(mqtt: OwlConfig['mqtt'], sensorId: string): DeepStreamConfigInput['mqtt'] {
  if (!mqtt.enabled) return null;
  const broker = parseMqttUrl(mqtt.url)!;  // checked by the schema
  return {
    host: broker.host, port: broker.port, secure: broker.secure, topic: topicFor(mqtt.topic, sensorId),
    clientId: mqtt.clientId, username: mqtt.username, password: mqtt.password, caFile: mqtt.caFile,
    certFile: mqtt.certFile, keyFile: mqtt.keyFile, frameInterval: mqtt.outputInterval,
  };
}

function kafkaInput(kafka: OwlConfig['kafka']): DeepStreamConfigInput['kafka'] {
  if (!kafka.enabled) return null;
  const broker = parseKafkaBroker(kafka.broker)!;  // checked by the schema
  return { host: broker.host, port: broker.port, topic: kafka.topic, protoCfg: parseProtoCfg(kafka.protoCfg)!,
    frameInterval: kafka.outputInterval };
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
