// SPDX-License-Identifier: Apache-2.0
// Pipeline options: the public shape with its defaults, validated and normalised in one place before
// anything crosses into the addon (which then only keeps cheap type guards). The defaults are the service's
// (ts/config/defaults.ts), so the Pipeline API and a service configuration mean the same thing by an omission.
import path from 'node:path';

import {
  ENCODER_DEFAULTS, OUTPUT_URL_DEFAULT, OVERLAY_DEFAULTS, RECONNECT_DEFAULTS, RTSP_DEFAULTS, TEST_SOURCE_DEFAULTS,
} from '../config/defaults';
import { classifyInput, INPUT_URI_ALLOWED } from '../config/input-uri';
import { OUTPUT_URL_ALLOWED, parseOutputUrl, type OutputAddress } from '../config/output-url';
import type { NativePipelineOptions } from '../native';
import { OVERLAY_PALETTE, type Rgb } from './palette';
import { X264_PRESETS, type X264Preset } from '../generated/shared-constants';
import { PipelineError } from './pipeline-error';
import type { RtspServer } from './rtsp-server';

export { X264_PRESETS, type X264Preset } from '../generated/shared-constants';

/** Three per-channel (R, G, B) values. */
export type Triple = readonly [number, number, number];

/** A mount on an RtspServer the caller shares between pipelines. */
export interface RtspMount {
  server: RtspServer;
  /** e.g. "/out" */
  mount: string;
}

/** What `Pipeline.start()` accepts; everything but `input` has a default. */
export interface PipelineOptions {
  /**
   * The video to read: an `rtsp://` URL, a file path or `file://` URL (played in a loop), or
   * `test:[pattern]` for the built-in moving pattern (a GStreamer videotestsrc pattern name; default `ball`).
   * VST addresses must be resolved to their RTSP URL first (ts/vst).
   */
  input: string;
  /** @default 'tcp' */
  rtspTransport?: 'tcp' | 'udp';
  /** RTSP jitter-buffer latency in ms. @default 50 */
  latencyMs?: number;
  /** Size and rate of a `test:` input. @default { width: 1280, height: 720, fps: 30 } */
  testSource?: { width?: number; height?: number; fps?: number };
  /**
   * Where the annotated video is served: an `rtsp://host:port/mount` URL (the pipeline runs a server of its
   * own), a mount on a shared RtspServer, or null for none (headless).
   * @default 'rtsp://0.0.0.0:6000/out'
   */
  output?: string | RtspMount | null;
  encoder?: {
    /** @default 'ultrafast' (on small CPUs the encoder competes with the model) */
    preset?: X264Preset;
    /** @default 2000 */
    bitrateKbps?: number;
    /**
     * Output size; both or neither. @default the source's size (served from start: black frames at the test
     * source's size, or at 1280x720 until a camera's first frame; clients that joined by then stay at that size)
     */
    width?: number;
    height?: number;
  };
  /**
   * The model's input: frames are scaled so their long side is `inputSize`, centred in the square and
   * normalised per channel as (x/255 - mean) / std. null: no inference branch, no 'frame' events.
   * @default null
   */
  inference?: { inputSize: number; mean: Triple; std: Triple } | null;
  reconnect?: {
    /** First retry delay; doubles after each failure. @default 1000 */
    initialDelayMs?: number;
    /** @default 30000 */
    maxDelayMs?: number;
    /** No frame for this long while playing counts as lost (twice this while connecting). @default 5000 */
    stallTimeoutMs?: number;
  };
  overlay?: OverlayStyle & {
    /** Colour of prompt i is palette[i % length]. @default OVERLAY_PALETTE */
    palette?: readonly Rgb[];
  };
}

/** How boxes and labels are drawn; `Pipeline.setOverlay()` changes it while running. */
export interface OverlayStyle {
  /** Box line width in output pixels, 1 to 64. @default 3 */
  lineWidth?: number;
  /** Label text height in output pixels, 0 to 256; 0 hides labels. @default 20 */
  fontSize?: number;
  /** Append the score to each label ("a person 0.42"). @default false */
  showScores?: boolean;
}

/** The default output URL (the seed's `--stream_output`). */
export const DEFAULT_OUTPUT_URL = OUTPUT_URL_DEFAULT;

/** PipelineOptions with defaults applied, checked, and the output resolved. */
export interface ResolvedPipelineOptions {
  native: Omit<NativePipelineOptions, 'output'> & { output: Omit<NativePipelineOptions['output'], 'server'> };
  /** Where to serve: an address (a server of the pipeline's own), a shared server, or none. */
  output: OutputAddress | RtspServer | null;
  showScores: boolean;
}

/**
 * Applies defaults and validates.
 * @throws {PipelineError} code EINVAL: "Expected <what> for <field> but received <value>".
 */
export function resolvePipelineOptions(options: PipelineOptions): ResolvedPipelineOptions {
  if (typeof options !== 'object' || options === null) throw PipelineError.invalid('options', 'an object', options);
  const test = options.testSource ?? {};
  const encoder = options.encoder ?? {};
  const reconnect = options.reconnect ?? {};
  const overlay = options.overlay ?? {};
  const transport = options.rtspTransport ?? RTSP_DEFAULTS.transport;
  if (transport !== 'tcp' && transport !== 'udp') {
    throw PipelineError.invalid('rtspTransport', "'tcp' or 'udp'", transport);
  }
  const preset = encoder.preset ?? ENCODER_DEFAULTS.preset;
  if (!X264_PRESETS.includes(preset)) throw PipelineError.invalid('encoder.preset', X264_PRESETS.join(', '), preset);
  const width = int(encoder.width ?? ENCODER_DEFAULTS.width, 'encoder.width', 0, 7680);
  const height = int(encoder.height ?? ENCODER_DEFAULTS.height, 'encoder.height', 0, 4320);
  if ((width === 0) !== (height === 0)) {
    throw PipelineError.invalid('encoder.width and encoder.height', 'both or neither', `${width}x${height}`);
  }
  const { mount, output } = resolveOutput(options.output === undefined ? DEFAULT_OUTPUT_URL : options.output);
  const input = resolveInput(options.input);
  return {
    native: {
      input: {
        ...input,
        rtspTransport: transport,
        latencyMs: int(options.latencyMs ?? RTSP_DEFAULTS.latencyMs, 'latencyMs', 0, 60_000),
        width: int(test.width ?? TEST_SOURCE_DEFAULTS.width, 'testSource.width', 16, 7680),
        height: int(test.height ?? TEST_SOURCE_DEFAULTS.height, 'testSource.height', 16, 4320),
        fps: int(test.fps ?? TEST_SOURCE_DEFAULTS.fps, 'testSource.fps', 1, 240),
      },
      output: { mount, preset, width, height,
        bitrateKbps: int(encoder.bitrateKbps ?? ENCODER_DEFAULTS.bitrateKbps, 'encoder.bitrateKbps', 100, 100_000) },
      inference: resolveInference(options.inference ?? null),
      reconnect: {
        initialDelayMs: int(reconnect.initialDelayMs ?? RECONNECT_DEFAULTS.initialDelayMs, 'reconnect.initialDelayMs', 1,
          3_600_000),
        maxDelayMs: int(reconnect.maxDelayMs ?? RECONNECT_DEFAULTS.maxDelayMs, 'reconnect.maxDelayMs', 1, 3_600_000),
        stallTimeoutMs: int(reconnect.stallTimeoutMs ?? RECONNECT_DEFAULTS.stallTimeoutMs, 'reconnect.stallTimeoutMs',
          100, 3_600_000),
        probeAddress: input.kind === 'rtsp' ? cameraAddress(input.uri) : '',
      },
      overlay: {
        ...resolveStyle(overlay, OVERLAY_DEFAULTS),
        palette: resolvePalette(overlay.palette ?? OVERLAY_PALETTE),
      },
    },
    output,
    showScores: overlay.showScores ?? OVERLAY_DEFAULTS.showScores,
  };
}

/**
 * Overlay style fields given over those of `current`, validated (showScores is the caller's: it is how labels
 * are written, not drawn).
 * @throws {PipelineError} code EINVAL naming the field.
 */
export function resolveStyle(style: OverlayStyle, current: { lineWidth: number; fontSize: number }):
  { lineWidth: number; fontSize: number } {
  if (typeof style !== 'object' || style === null) throw PipelineError.invalid('overlay', 'an object', style);
  if (style.showScores !== undefined && typeof style.showScores !== 'boolean') {
    throw PipelineError.invalid('overlay.showScores', 'true or false', style.showScores);
  }
  return {
    lineWidth: int(style.lineWidth ?? current.lineWidth, 'overlay.lineWidth', 1, 64),
    fontSize: int(style.fontSize ?? current.fontSize, 'overlay.fontSize', 0, 256),
  };
}

function resolveInput(input: unknown): { kind: 'rtsp' | 'file' | 'test'; uri: string } {
  const source = typeof input === 'string' ? classifyInput(input) : null;
  if (source === null) throw PipelineError.invalid('input', INPUT_URI_ALLOWED, input);
  switch (source.kind) {
    case 'rtsp':
      return { kind: 'rtsp', uri: source.url };
    case 'file':
      return { kind: 'file', uri: path.resolve(source.path) };
    case 'test': {
      const pattern = source.pattern === '' ? 'ball' : source.pattern;
      if (!/^[a-z0-9-]+$/.test(pattern)) throw PipelineError.invalid('input', 'test:<videotestsrc pattern>', input);
      return { kind: 'test', uri: pattern };
    }
    case 'vst':
      throw PipelineError.invalid('input', 'an RTSP URL (resolve VST addresses with ts/vst first)', input);
  }
}

/**
 * host:port of an RTSP camera (no credentials, default ports filled in): the reconnect loop probes it with a TCP
 * connect while it waits, to notice a returning camera within a second.
 */
export function cameraAddress(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port !== '' ? parsed.port : parsed.protocol === 'rtsps:' ? '322' : '554';
  return `${parsed.hostname}:${port}`;
}

function resolveOutput(output: string | RtspMount | null):
  { mount: string; output: OutputAddress | RtspServer | null } {
  if (output === null) return { mount: '/', output: null };
  if (typeof output === 'string') {
    const address = parseOutputUrl(output);
    if (address === null) throw PipelineError.invalid('output', OUTPUT_URL_ALLOWED, output);
    return { mount: address.mount, output: address };
  }
  if (typeof output !== 'object' || !/^\/[^\s?#]+$/.test(String(output.mount))) {
    throw PipelineError.invalid('output.mount', 'a path such as /out', output?.mount);
  }
  return { mount: output.mount, output: output.server };
}

function resolveInference(inference: PipelineOptions['inference']): NativePipelineOptions['inference'] {
  if (inference === null || inference === undefined) return { inputSize: 0, mean: [0, 0, 0], std: [1, 1, 1] };
  const triple = (value: readonly number[], field: string, positive: boolean): [number, number, number] => {
    if (!Array.isArray(value) || value.length !== 3 ||
      !value.every((v) => typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0))) {
      throw PipelineError.invalid(field, positive ? '3 positive numbers' : '3 finite numbers', value);
    }
    return [value[0], value[1], value[2]];
  };
  return {
    inputSize: int(inference.inputSize, 'inference.inputSize', 16, 4096),
    mean: triple(inference.mean, 'inference.mean', false),
    std: triple(inference.std, 'inference.std', true),
  };
}

function resolvePalette(palette: readonly Rgb[]): [number, number, number][] {
  if (!Array.isArray(palette) || palette.length === 0) {
    throw PipelineError.invalid('overlay.palette', 'a non-empty list of [r, g, b]', palette);
  }
  return palette.map((rgb, i) => {
    if (!Array.isArray(rgb) || rgb.length !== 3 || !rgb.every((c) => Number.isInteger(c) && c >= 0 && c <= 255)) {
      throw PipelineError.invalid(`overlay.palette[${i}]`, '[r, g, b] with integers 0-255', rgb);
    }
    return [rgb[0], rgb[1], rgb[2]];
  });
}

function int(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw PipelineError.invalid(field, `an integer from ${min} to ${max}`, value);
  }
  return value;
}
