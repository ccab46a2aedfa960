// SPDX-License-Identifier: Apache-2.0
// Everything the service needs to run the DeepStream engine: whether this build has it, the run folder
// of generated files, and the options of the native DeepStreamPipeline (ts/native.ts). The native side
// only parses and runs; the choices (encoder, muxer size, ports, files) are made here.
import dgram from 'node:dgram';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseOutputUrl } from '../config/output-url';
import type { OwlConfig } from '../config/schema';
import type { DeepStreamBinding, NativeDeepStreamOptions, NativeRtspServer } from '../native';
import { guardRedisAdaptorEnvironment } from './broker-config';
import { brokerBranches, deepStreamMqttWarnings } from './broker-branches';
import { deepStreamConfigInput, type DeepStreamModel } from './config-input';
import {
  deepStreamDescription, rtspMountLaunch, type DeepStreamMuxer, type DeepStreamSource,
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
 * The legacy nvstreammux's output size. Object metadata, the drawn video and nvmsgconv's Redis coordinates are
 * in these pixels (JS detections are scaled back to the source): the test source's size, else the configured
 * output size, else 1920x1080 like the DeepStream samples. The new muxer keeps each frame's own size.
 */
export function muxSize(config: OwlConfig, source: DeepStreamSource): { width: number; height: number } {
  if (source.kind === 'test') return { width: source.width, height: source.height };
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

/** What prepareDeepStream needs besides the config. */
export interface DeepStreamRunInputs {
  config: OwlConfig;
  model: DeepStreamModel;
  source: DeepStreamSource;
  /** Resolved sensor id (config, VST stream name or URL segment). */
  sensorId: string;
  /** Folder for the generated files (created; files are replaced). */
  runDir: string;
  /** The addon's folder: libowl_ds_parser.so lies beside owl_stream.node. */
  addonDir: string;
  /** Where the SDK is (its Redis adaptor): the binding's deepstreamDir. */
  deepstreamDir: string;
  /** null: no video output (config output.enabled false). */
  server: NativeRtspServer | null;
  /** Jetson model string (readDeviceModel), for the encoder choice. */
  deviceModel: string | null;
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
 * Writes the run folder and builds the native pipeline's options.
 * @throws {DeepStreamLabelError} for a prompt that cannot be a DeepStream label, or Error for bad paths.
 */
export async function prepareDeepStream(inputs: DeepStreamRunInputs): Promise<DeepStreamRun> {
  const { config, env = process.env } = inputs;
  const redisWarning = guardRedisAdaptorEnvironment(env);
  const configInput = deepStreamConfigInput(config, inputs.model, path.join(inputs.addonDir, 'libowl_ds_parser.so'),
    inputs.sensorId);
  const files = await writeDeepStreamFiles(configInput, inputs.runDir);
  const udpPort = inputs.server === null ? 0 : await freeUdpPort();
  const description = deepStreamDescription({
    source: inputs.source,
    mux: nvstreammuxKind(env) === 'new' ? { kind: 'new' } : { kind: 'legacy', ...muxSize(config, inputs.source) },
    inferConfigPath: files.nvinfer,
    output: inputs.server === null ? null : {
      encoder: deepStreamEncoder(inputs.deviceModel),
      bitrateKbps: config.output.encoder.bitrateKbps,
      udpPort,
      swPreset: config.output.encoder.preset,
    },
    brokers: brokerBranches(configInput, files, inputs.deepstreamDir),
  });
  const output = inputs.server === null ? null
    : { server: inputs.server, mount: parseOutputUrl(config.output.url)!.mount, launch: rtspMountLaunch(udpPort) };
  return {
    files,
    warnings: [...(redisWarning === null ? [] : [redisWarning]), ...deepStreamMqttWarnings(config.mqtt)],
    options: {
      description,
      output,
      reconnect: {
        initialDelayMs: config.input.reconnect.initialDelayMs,
        maxDelayMs: config.input.reconnect.maxDelayMs,
        stallTimeoutMs: config.input.reconnect.stallTimeoutMs,
      },
      decode: { nmsIou: config.model.nmsIou, maxDetections: config.model.maxDetections },
    },
  };
}
