// SPDX-License-Identifier: Apache-2.0
// The one schema of owl-stream's settings: it validates configs/*.yaml, environment variables and flags
// (after they are merged), supplies every default, and types the config (`OwlConfig`).
// configs/default.yaml mirrors these defaults with comments; test/config.test.ts keeps the two equal.
import { z } from 'zod';
import { DEFAULT_PROMPT_LIMITS, parsePrompts, PromptError, type PromptErrorCode } from '../model/prompts';
import { checkedText, decimal, flag, integer, nonEmptyText, oneOf, section, text } from './fields';
import { classifyInput, INPUT_URI_ALLOWED } from './input-uri';
import { OUTPUT_URL_ALLOWED, parseOutputUrl } from './output-url';

const MAX_SIDE = 7680;
const sideOrSource = (fallback: number) =>
  integer(0, MAX_SIDE, fallback, `0 (source size) or an integer from 1 to ${MAX_SIDE}`);

/** x264enc speed presets, fastest first. */
export const ENCODER_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower',
  'veryslow', 'placebo'] as const;

const reconnectSchema = section({
  initialDelayMs: integer(10, 600_000, 1000),
  maxDelayMs: integer(10, 3_600_000, 30_000),
  stallTimeoutMs: integer(100, 600_000, 5000),
}).superRefine((value, ctx) => {
  if (value.maxDelayMs < value.initialDelayMs) {
    ctx.addIssue({ code: 'custom', path: ['maxDelayMs'], input: value.maxDelayMs,
      message: `expected at least initialDelayMs (${value.initialDelayMs}), received ${value.maxDelayMs}` });
  }
});

const inputSchema = section({
  uri: checkedText(INPUT_URI_ALLOWED, (v) => v === '' || classifyInput(v) !== null, ''),
  rtsp: section({
    transport: oneOf(['tcp', 'udp'], 'tcp'),
    latencyMs: integer(0, 60_000, 50),
  }).prefault({}),
  vst: section({
    stream: text(''),
    timeoutMs: integer(100, 600_000, 5000),
  }).prefault({}),
  test: section({
    width: integer(16, MAX_SIDE, 1280),
    height: integer(16, MAX_SIDE, 720),
    fps: integer(1, 240, 30),
  }).prefault({}),
  reconnect: reconnectSchema.prefault({}),
});

const outputSchema = section({
  enabled: flag(true),
  url: checkedText(OUTPUT_URL_ALLOWED, (v) => parseOutputUrl(v) !== null, 'rtsp://0.0.0.0:6000/out'),
  encoder: section({
    preset: oneOf(ENCODER_PRESETS, 'ultrafast'),
    bitrateKbps: integer(100, 100_000, 2000),
    width: sideOrSource(0),
    height: sideOrSource(0),
  }).prefault({}),
});

const modelSchema = section({
  folder: nonEmptyText('google/owlvit-base-patch32'),
  imageEncoderEngine: text('nanoowl/data/owl_image_encoder_patch32.engine'),
  threads: integer(0, 1024, 0, 'an integer from 0 (all cores) to 1024'),
  nmsIou: decimal(0, 1, 0),
  maxDetections: integer(1, 10_000, 100),
  textCacheSize: integer(0, 100_000, 64),
});

// Which key a prompt rule belongs to, so the error names the key to fix.
const THRESHOLD_CODES: ReadonlySet<PromptErrorCode> = new Set<PromptErrorCode>(
  ['missing_thresholds', 'threshold_not_number', 'threshold_out_of_range', 'count_mismatch']);

const promptsSchema = section({
  // Lists, or comma-separated strings as the CLI and the seed take them; parsePrompts checks both.
  objects: z.unknown().default(['a person']),
  thresholds: z.unknown().default([0.1]),
  maxPrompts: integer(1, 1000, DEFAULT_PROMPT_LIMITS.maxPrompts),
  maxPromptLength: integer(1, 10_000, DEFAULT_PROMPT_LIMITS.maxPromptLength),
}).transform((value, ctx) => {
  try {
    const prompts = parsePrompts(value.objects, value.thresholds, value);
    return { ...prompts, maxPrompts: value.maxPrompts, maxPromptLength: value.maxPromptLength };
  } catch (err) {
    if (!(err instanceof PromptError)) throw err;
    const key = THRESHOLD_CODES.has(err.code) ? 'thresholds' : 'objects';
    ctx.issues.push({ code: 'custom', path: [key], input: value[key], message: err.message });
    return z.NEVER;
  }
});

const redisSchema = section({
  host: nonEmptyText('localhost'),
  port: integer(1, 65_535, 6379),
  stream: nonEmptyText('owl'),
  maxlen: integer(0, 1_000_000_000, 10_000, 'an integer from 0 (unbounded) to 1000000000'),
  outputInterval: integer(1, 1_000_000, 1),
  queueSize: integer(1, 1_000_000, 1000),
  idFormat: oneOf(['string', 'number'], 'string'),
});

const apiSchema = section({
  host: nonEmptyText('0.0.0.0'),
  port: integer(0, 65_535, 5000, 'an integer from 0 (any free port) to 65535'),
  token: text(''),
  maxBodyBytes: integer(256, 1_048_576, 16_384),
});

const sensorSchema = section({
  id: text(''),
  type: nonEmptyText('camera'),
  location: text(''),
});

const overlaySchema = section({
  lineWidth: integer(1, 50, 3),
  fontSize: integer(6, 200, 20),
  showScores: flag(false),
});

/** Log levels, most severe first. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/** The whole configuration; every key is optional in input and has a default. */
export const configSchema = section({
  input: inputSchema.prefault({}),
  output: outputSchema.prefault({}),
  engine: oneOf(['auto', 'portable', 'deepstream'], 'auto'),
  model: modelSchema.prefault({}),
  prompts: promptsSchema.prefault({}),
  redis: redisSchema.prefault({}),
  api: apiSchema.prefault({}),
  sensor: sensorSchema.prefault({}),
  overlay: overlaySchema.prefault({}),
  log: section({ level: oneOf(LOG_LEVELS, 'info') }).prefault({}),
});

/** The validated configuration with every default filled in. */
export type OwlConfig = z.infer<typeof configSchema>;

/** Every default (what an empty config file gives). */
export function defaultConfig(): OwlConfig {
  return configSchema.parse({});
}
