// SPDX-License-Identifier: Apache-2.0
// The one schema of owl-stream's settings: it validates configs/*.yaml, environment variables and flags
// (after they are merged), supplies every default, and types the config (`OwlConfig`).
// configs/default.yaml mirrors these defaults with comments; test/config.test.ts keeps the two equal.
import { z } from 'zod';
import { PRECISION_SETTINGS } from '../model/precision';
import {
  DEFAULT_PROMPT_LIMITS, parsePrompts, PromptError, type PromptErrorCode, type PromptLimits, type PromptSet,
} from '../model/prompts';
import { describeValue } from './describe';
import { checkedText, decimal, flag, integer, nonEmptyText, oneOf, requiredText, section, text } from './fields';
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
    // Every VST stream becomes a stream of ours, added and removed as VST's list changes.
    follow: flag(false),
    pollMs: integer(500, 3_600_000, 10_000),
  }).prefault({}),
  test: section({
    width: integer(16, MAX_SIDE, 1280),
    height: integer(16, MAX_SIDE, 720),
    fps: integer(1, 240, 30),
  }).prefault({}),
  reconnect: reconnectSchema.prefault({}),
  maxStreams: integer(1, 256, 8),
  allowEmpty: flag(false),
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
  precision: oneOf(PRECISION_SETTINGS, 'auto'),
  nmsIou: decimal(0, 1, 0),
  maxDetections: integer(1, 10_000, 100),
  textCacheSize: integer(0, 100_000, 64),
  maxBatch: integer(1, 256, 8),
  batchWindowMs: integer(0, 10_000, 50),
});

// Which key a prompt rule belongs to, so the error names the key to fix.
const THRESHOLD_CODES: ReadonlySet<PromptErrorCode> = new Set<PromptErrorCode>(
  ['missing_thresholds', 'threshold_not_number', 'threshold_out_of_range', 'count_mismatch']);

const MAX_PROMPTS = 1000;
const MAX_PROMPT_LENGTH = 10_000;

/** parsePrompts as a zod transform step: a refused list becomes an issue on the key to fix. */
function checkPrompts(value: { objects: unknown; thresholds: unknown }, limits: PromptLimits,
  ctx: z.RefinementCtx, path: (string | number)[] = []): PromptSet | null {
  try {
    return parsePrompts(value.objects, value.thresholds, limits);
  } catch (err) {
    if (!(err instanceof PromptError)) throw err;
    const key = THRESHOLD_CODES.has(err.code) ? 'thresholds' : 'objects';
    ctx.addIssue({ code: 'custom', path: [...path, key], input: value[key], message: err.message });
    return null;
  }
}

const promptsSchema = section({
  // Lists, or comma-separated strings as the CLI and the seed take them; parsePrompts checks both.
  objects: z.unknown().default(['a person']),
  thresholds: z.unknown().default([0.1]),
  maxPrompts: integer(1, MAX_PROMPTS, DEFAULT_PROMPT_LIMITS.maxPrompts),
  maxPromptLength: integer(1, MAX_PROMPT_LENGTH, DEFAULT_PROMPT_LIMITS.maxPromptLength),
}).transform((value, ctx) => {
  const prompts = checkPrompts(value, value, ctx);
  return prompts === null ? z.NEVER : { ...prompts, maxPrompts: value.maxPrompts, maxPromptLength: value.maxPromptLength };
});

/** What a stream id may hold: it names the stream in the API, in metrics labels and in its output mount. */
export const STREAM_ID = /^[A-Za-z0-9._~-]{1,100}$/;
const MOUNT_PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

// One entry of `streams:`. Its prompts are checked against the configured limits by the root schema.
const streamSchema = section({
  id: checkedText('letters, digits, ".", "_", "~" or "-" (at most 100)', (v) => v === '' || STREAM_ID.test(v), ''),
  name: text(''),
  uri: requiredText('an rtsp:// URL, a file path or test:[pattern] (a VST address belongs in input.uri, with '
    + 'input.vst.follow: true)',
    (v) => { const kind = classifyInput(v)?.kind; return kind !== undefined && kind !== 'vst'; }),
  output: checkedText('a mount path such as /out/front', (v) => v === '' || MOUNT_PATH.test(v), ''),
  prompts: section({ objects: z.unknown(), thresholds: z.unknown() })
    .transform((value, ctx) => checkPrompts(value, { maxPrompts: MAX_PROMPTS, maxPromptLength: MAX_PROMPT_LENGTH }, ctx)
      ?? z.NEVER)
    .optional(),
  sensor: section({ id: text(''), type: text(''), location: text('') }).prefault({}),
});

// A comma-separated string (OWL_STREAMS) or a list whose items may be bare URIs.
const streamsSchema = z.preprocess((value) => {
  const items = typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter((s) => s !== '') : value;
  return Array.isArray(items) ? items.map((item) => (typeof item === 'string' ? { uri: item } : item)) : items;
}, z.array(streamSchema, { error: (issue) => `expected a list of streams, received ${describeValue(issue.input)}` }))
  .default([]);

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
  streams: streamsSchema,
}).superRefine((config, ctx) => {
  const { input, streams } = config;
  const follow = input.vst.follow;
  if (follow && classifyInput(input.uri)?.kind !== 'vst') {
    ctx.addIssue({ code: 'custom', path: ['input', 'vst', 'follow'], input: follow,
      message: `following VST needs a VST address (http://host:81) in input.uri, received ${describeValue(input.uri)}` });
  }
  const count = streams.length + (input.uri !== '' && !follow ? 1 : 0);
  if (count > input.maxStreams) {
    ctx.addIssue({ code: 'custom', path: ['streams'], input: streams,
      message: `${count} streams configured, at most input.maxStreams (${input.maxStreams}) allowed` });
  }
  const seen = { id: new Set<string>(), output: new Set<string>() };
  streams.forEach((stream, i) => {
    for (const key of ['id', 'output'] as const) {
      if (stream[key] === '') continue;
      if (seen[key].has(stream[key])) {
        ctx.addIssue({ code: 'custom', path: ['streams', i, key], input: stream[key],
          message: `${JSON.stringify(stream[key])} is already used by an earlier stream; give each stream its own` });
      }
      seen[key].add(stream[key]);
    }
    if (stream.prompts !== undefined) checkPrompts(stream.prompts, config.prompts, ctx, ['streams', i, 'prompts']);
  });
});

/** The validated configuration with every default filled in. */
export type OwlConfig = z.infer<typeof configSchema>;

/** Every default (what an empty config file gives). */
export function defaultConfig(): OwlConfig {
  return configSchema.parse({});
}
