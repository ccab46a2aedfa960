// SPDX-License-Identifier: Apache-2.0
// What the DeepStream config generators need, as one plain typed object: the service maps its validated
// config (ts/config) and the loaded model's description onto it, so the generators stay pure functions.
// Prompts, sensor ids and outputs are per stream and reach the running pipeline with each stream
// (NativeDeepStreamPipeline.addSource / setPrompts), not through these files.
import path from 'node:path';
import type { OwlConfig } from '../config/schema';
import { parseKafkaBroker, parseProtoCfg } from '../kafka/settings';
import type { ModelFolder } from '../model/model-folder';
import { parseMqttUrl, SENSOR_PLACEHOLDER } from '../mqtt/target';

/** The model files and preprocessing the DeepStream engine uses (from the model folder's owl.json). */
export interface DeepStreamModel {
  /** Image encoder ONNX file, absolute (nvinfer builds the engine from it when `engineFile` does not fit). */
  onnxFile: string;
  /** TensorRT engine of the image encoder, absolute (deploy/build-engine.sh builds it at first start). */
  engineFile: string;
  /** Square model input side in pixels (768 for base-patch32). */
  inputSize: number;
  /** Per-channel normalisation in [0,1] units (CLIP: mean 0.4815/0.4578/0.4082, std 0.2686/0.2613/0.2758). */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** nvtracker's algorithm and what owl-stream decides of it (config `deepstream.tracker`; tracker-config.ts writes the rest). */
export interface DeepStreamTracker {
  /**
   * NvMultiObjectTracker's mode: NvDCF (visual + motion, carries boxes through frames nvinfer skips), NvSORT
   * (motion only) or IOU (overlap only; needs a detection every frame).
   */
  algorithm: 'NvDCF' | 'NvSORT' | 'IOU';
  /** tracker-width / tracker-height: the frame size the tracker works at (multiples of 32). */
  width: number;
  height: number;
  /** Detections below this confidence are not tracked (ours are already above the prompt's threshold). */
  minDetectorConfidence: number;
  /** Frames a new track must be matched before it gets an id and is reported (probationAge). */
  probationAge: number;
  /** Frames a track lives on without a matching detection (maxShadowTrackingAge). */
  maxShadowTrackingAge: number;
  maxTargetsPerStream: number;
}

/** Everything the generated DeepStream files depend on. */
export interface DeepStreamConfigInput {
  model: DeepStreamModel;
  /** CUDA device. @default 0 */
  gpuId: number;
  /** Most streams at once: nvstreammux batch-size (input.maxStreams). */
  maxStreams: number;
  /**
   * nvinfer batch-size, the frames per TensorRT call: maxStreams for an engine built for that batch; 1 runs an
   * engine built for batch 1 (NanoOWL's own) on every stream, one frame at a time.
   */
  inferBatchSize: number;
  /** nvinfer interval: batches skipped between two inferences (the tracker carries the boxes). @default 0 */
  inferInterval: number;
  /** null: no tracking. */
  tracker: DeepStreamTracker | null;
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
}

/**
 * Maps the validated service config onto the generators' input: nvinfer's batch (`deepstream.inferBatchSize`, 0 for
 * input.maxStreams) and interval, and NvMultiObjectTracker's settings (`deepstream.tracker`) while `tracker.enabled`
 * (the tracker section's other keys are the portable engine's ByteTrack settings and do not carry over).
 * @param model absolute paths and preprocessing of the loaded model.
 * @throws {Error} for an MQTT topic with `{sensorId}` (checkSharedMqttTopic).
 */
export function deepStreamConfigInput(config: OwlConfig, model: DeepStreamModel): DeepStreamConfigInput {
  const maxStreams = config.input.maxStreams;
  const { inferBatchSize, inferInterval, tracker } = config.deepstream;
  return {
    model,
    gpuId: 0,
    maxStreams,
    inferBatchSize: inferBatchSize === 0 ? maxStreams : inferBatchSize,
    inferInterval,
    tracker: config.tracker.enabled ? { ...tracker } : null,
    redis: !config.redis.enabled ? null : {
      host: config.redis.host, port: config.redis.port, stream: config.redis.stream, maxlen: config.redis.maxlen,
      frameInterval: config.redis.outputInterval,
    },
    mqtt: mqttInput(config.mqtt),
    kafka: kafkaInput(config.kafka),
  };
}

/**
 * One nvmsgbroker publishes every stream's messages to one topic (its `topic` property; NvDsPayload carries none):
 * a topic per sensor cannot be had.
 * @throws {Error} for an MQTT output on whose topic names `{sensorId}`, saying what to give instead.
 */
export function checkSharedMqttTopic(mqtt: Pick<OwlConfig['mqtt'], 'enabled' | 'topic'>): void {
  if (!mqtt.enabled || !mqtt.topic.includes(SENSOR_PLACEHOLDER)) return;
  throw new Error(`mqtt.topic ${JSON.stringify(mqtt.topic)} names ${SENSOR_PLACEHOLDER}, but engine deepstream `
    + 'publishes every stream\'s messages through one nvmsgbroker, to one topic: give a topic without it (e.g. '
    + '"owl/detections"; each message names its sensorId)');
}

function mqttInput(mqtt: OwlConfig['mqtt']): DeepStreamConfigInput['mqtt'] {
  if (!mqtt.enabled) return null;
  checkSharedMqttTopic(mqtt);
  const broker = parseMqttUrl(mqtt.url)!;  // checked by the schema
  return {
    host: broker.host, port: broker.port, secure: broker.secure, topic: mqtt.topic,
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
