// SPDX-License-Identifier: Apache-2.0
// Everything the service needs to run the DeepStream engine: whether this build has it, the run folder
// of generated files, the options of the one native DeepStreamPipeline (ts/native.ts) and of each stream
// added to it. The native side only parses, links and runs; the choices (encoder, muxer size, ports, files)
// are made here.
import dgram from 'node:dgram';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { OwlConfig } from '../config/schema';
import type { DeepStreamBinding, NativeDeepStreamOptions } from '../native';
import type { DeepStreamStreamOptions } from '../pipeline/deepstream-pipeline';
import { cameraAddress, type RtspMount } from '../pipeline/options';
import { OVERLAY_PALETTE } from '../pipeline/palette';
import { guardRedisAdaptorEnvironment } from './broker-config';
import { brokerBranches, deepStreamMqttWarnings } from './broker-branches';
import { deepStreamConfigInput, type DeepStreamModel } from './config-input';
import {
  brokerComponentIds, deepStreamCoreDescription, deepStreamOutputDescription, deepStreamSourceDescription, rtspMountLaunch,
  type DeepStreamMuxer, type DeepStreamOutput, type DeepStreamSource,
} from './pipeline-description';
import { writeDeepStreamFiles, type DeepStreamConfigPaths } from './run-folder';

/** The engines a config may ask for. */
export type EngineChoice = OwlConfig['engine'];

export type { DeepStreamBinding } from '../native';

/** engine deepstream asked for, but this build has no DeepStream engine. */
export class DeepStreamUnavailableError extends Error {
  override readonly name = 'DeepStreamUnavailableError';
}

/**
 * The engine to run: `auto` is deepstream where the addon was built with the SDK, else portable.
 * @throws {DeepStreamUnavailableError} for `deepstream` without the SDK, naming where it was looked for.
 */
export function resolveEngine(choice: EngineChoice, binding: DeepStreamBinding): 'portable' | 'deepstream' {
  if (choice === 'portable') return 'portable';
  const available = binding.deepstreamAvailable && binding.DeepStreamPipeline !== undefined;
  if (choice === 'auto') return available ? 'deepstream' : 'portable';
  if (!available) {
    throw new DeepStreamUnavailableError(`engine deepstream needs the DeepStream SDK (not found at `
      + `${binding.deepstreamDir} when the addon was built); use --engine portable or install DeepStream 7.x `
      + 'and rebuild (node deploy/build-native.js)');
  }
  return 'deepstream';
}

/**
 * The H.264 encoder for this device: Jetson Orin Nano has no NVENC, so it encodes on the CPU (x264enc,
 * which DeepStream images add with user_additional_install.sh); every other device uses nvv4l2h264enc.
 * @param deviceModel the Jetson model string (/proc/device-tree/model, or /tmp/nv_jetson_model in a
 *   container as the seed mounts it); null off Jetson.
 */
export function deepStreamEncoder(deviceModel: string | null): 'hw' | 'sw' {
  return deviceModel !== null && /orin nano/i.test(deviceModel) ? 'sw' : 'hw';
}

/** The Jetson model string, or null (not a Jetson, or not visible in this container). */
export async function readDeviceModel(
  files = ['/tmp/nv_jetson_model', '/proc/device-tree/model'],
): Promise<string | null> {
  for (const file of files) {
    try {
      const text = (await fs.readFile(file, 'utf8')).replace(/\0/g, '').trim();
      if (text !== '') return text;
    } catch {
      // not there: try the next one
    }
  }
  return null;
}

const DEFAULT_MUX = { width: 1920, height: 1080 };

/**
 * Which nvstreammux DeepStream registers in this process: the new one exactly when USE_NEW_NVSTREAMMUX is
 * "yes", as the plugin decides at load time (gst-nvmultistream2 gstnvmultistream.cpp; deepstream-app's
 * set_streammux_properties tests it the same way). The plugin loads inside this process, so its environment is
 * the one to read.
 */
export function nvstreammuxKind(env: NodeJS.ProcessEnv): DeepStreamMuxer['kind'] {
  return env.USE_NEW_NVSTREAMMUX === 'yes' ? 'new' : 'legacy';
}

/**
 * The legacy nvstreammux's output size, shared by every stream: object metadata and the drawn video are in these
 * pixels (Redis and the service get each stream's own pixels, scaled back natively). The configured output size,
 * else 1920x1080 like the DeepStream samples. The new muxer keeps each frame's own size.
 */
export function muxSize(config: OwlConfig): { width: number; height: number } {
  const { width, height } = config.output.encoder;
  return width > 0 && height > 0 ? { width, height } : DEFAULT_MUX;
}

/** A UDP port free on 127.0.0.1 right now (the udpsink -> RTSP mount hop). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** The SDK's multi-object tracker library (nvtracker's ll-lib-file). */
function trackerLib(deepstreamDir: string): string {
  return path.join(deepstreamDir, 'lib', 'libnvds_nvmultiobjecttracker.so');
}

/** What prepareDeepStream needs besides the config. */
export interface DeepStreamRunInputs {
  config: OwlConfig;
  model: DeepStreamModel;
  /** Folder for the generated files (created; files are replaced). */
  runDir: string;
  /** Where the SDK is (its Redis adaptor and tracker library): the binding's deepstreamDir. */
  deepstreamDir: string;
  /** Streams have video outputs (config output.enabled). */
  outputs: boolean;
  /** Some stream is a live source (RTSP, VST, test), not a file: the legacy muxer's live-source. */
  liveSources: boolean;
  /**
   * The environment DeepStream's plugins read in this process: USE_NEW_NVSTREAMMUX picks the muxer, and
   * DEEPSTREAM_ENABLE_SENSOR_ID_EXTRACTION is removed from it (guardRedisAdaptorEnvironment).
   * @default process.env
   */
  env?: NodeJS.ProcessEnv;
}

/** The native options plus where the generated files are, for logs and /status. */
export interface DeepStreamRun {
  options: NativeDeepStreamOptions;
  files: DeepStreamConfigPaths;
  /** Lines for the service log (an environment variable changed for DeepStream's sake). */
  warnings: string[];
}

/**
 * Writes the run folder and builds the options of the shared native pipeline (its streams come with addSource:
 * deepStreamStream).
 * @throws {Error} for bad paths or sizes (the message names the value).
 */
export async function prepareDeepStream(inputs: DeepStreamRunInputs): Promise<DeepStreamRun> {
  const { config, env = process.env } = inputs;
  const redisWarning = guardRedisAdaptorEnvironment(env);
  const configInput = deepStreamConfigInput(config, inputs.model);
  const files = await writeDeepStreamFiles(configInput, inputs.runDir);
  const tracker = configInput.tracker;
  const brokers = brokerBranches(configInput, files, inputs.deepstreamDir);
  const components = brokerComponentIds(brokers.length);
  const description = deepStreamCoreDescription({
    mux: nvstreammuxKind(env) === 'new' ? { kind: 'new' } : { kind: 'legacy', ...muxSize(config) },
    maxStreams: configInput.maxStreams,
    liveSources: inputs.liveSources,
    inferConfigPath: files.nvinfer,
    tracker: tracker === null || files.tracker === null ? null : {
      libPath: trackerLib(inputs.deepstreamDir), configPath: files.tracker, width: tracker.width,
      height: tracker.height, gpuId: configInput.gpuId,
    },
    brokers,
    outputs: inputs.outputs,
  });
  return {
    files,
    warnings: [...(redisWarning === null ? [] : [redisWarning]), ...deepStreamMqttWarnings(config.mqtt)],
    options: {
      description,
      maxStreams: configInput.maxStreams,
      reconnect: {
        initialDelayMs: config.input.reconnect.initialDelayMs,
        maxDelayMs: config.input.reconnect.maxDelayMs,
        stallTimeoutMs: config.input.reconnect.stallTimeoutMs,
      },
      decode: { nmsIou: config.model.nmsIou, maxDetections: config.model.maxDetections },
      overlay: {
        lineWidth: config.overlay.lineWidth, fontSize: config.overlay.fontSize, showScores: config.overlay.showScores,
        palette: OVERLAY_PALETTE.map(([r, g, b]) => [r, g, b]),
      },
      messages: brokers.map((broker, i) => ({ componentId: components[i], interval: broker.frameInterval })),
    },
  };
}

/** One stream of the shared pipeline, as the service knows it. */
export interface DeepStreamStreamInputs {
  source: DeepStreamSource;
  /** `sensorId` of its Redis entries (resolved: config, VST stream name or URL segment). */
  sensorId: string;
  /**
   * Its mount ("/out" for the first stream, "/out/<id>" for the others), encoder and the channel of its held mount
   * (DeepStreamOutput.heldChannel); null: no video output.
   */
  output: (RtspMount & Pick<DeepStreamOutput, 'encoder' | 'bitrateKbps' | 'swPreset' | 'heldChannel'>) | null;
}

/**
 * What DeepStreamPipeline.addSource takes for one stream: its source bin, its output bin with a free UDP port, and
 * what its RTSP mount serves.
 * @throws {Error} for an empty sensor id, a relative file path or a line break in a value.
 */
export async function deepStreamStream(inputs: DeepStreamStreamInputs): Promise<DeepStreamStreamOptions> {
  if (inputs.sensorId === '') {
    throw new Error('the sensor id is empty: resolve it (sensor.id, VST stream name or URL) first');
  }
  const description = deepStreamSourceDescription(inputs.source);
  const source = {
    description,
    // A camera is probed while its stream waits to retry, as in the portable engine.
    probeAddress: inputs.source.kind === 'rtsp' ? cameraAddress(inputs.source.url) : '',
    sensorId: inputs.sensorId,
  };
  const { output } = inputs;
  if (output === null) return { ...source, output: null };
  const udpPort = await freeUdpPort();
  return {
    ...source,
    output: {
      server: output.server,
      mount: output.mount,
      launch: rtspMountLaunch(udpPort),
      description: deepStreamOutputDescription({
        encoder: output.encoder, bitrateKbps: output.bitrateKbps, udpPort, swPreset: output.swPreset,
        heldChannel: output.heldChannel ?? null,
      }),
    },
  };
}
