// SPDX-License-Identifier: Apache-2.0
// The one schema of owl-stream's settings: it validates configs/*.yaml, environment variables and flags
// (after they are merged), supplies every default, and types the config (`OwlConfig`).
// configs/default.yaml mirrors these defaults with comments; test/config.test.ts keeps the two equal. Defaults
// that other layers apply too (the Pipeline API, the Redis publisher) are written once in defaults.ts.
import { z } from 'zod';
import { PRECISION_SETTINGS } from '../model/precision';
import {
  DEFAULT_PROMPT_LIMITS, parsePrompts, PromptError, type PromptErrorCode, type PromptLimits, type PromptSet,
} from '../model/prompts';
import { describeValue } from '../errors/expected';
import { TRACKER_DEFAULTS, X264_PRESETS } from '../generated/shared-constants';
import {
  DEEPSTREAM_DEFAULTS, ENCODER_DEFAULTS, MODEL_PRECISION_DEFAULT, MQTT_DEFAULTS, OUTPUT_URL_DEFAULT, OVERLAY_DEFAULTS,
  RECONNECT_DEFAULTS, REDIS_DEFAULTS, RTSP_DEFAULTS, TEST_SOURCE_DEFAULTS, TRACKING_DEFAULTS,
} from './defaults';
import {
  checkedInteger, checkedText, decimal, flag, integer, nonEmptyText, type Normaliser, normalisedText, oneOf, section, text,
} from './fields';
import { checkInput, classifyInput, INPUT_URI_ALLOWED } from './input-uri';
import { checkOutputUrl, OUTPUT_URL_ALLOWED } from './output-url';
import { KAFKA_BROKER_ALLOWED, KAFKA_PROTO_CFG_ALLOWED, parseKafkaBroker, parseProtoCfg } from '../kafka/settings';
import {
  checkMqttUrl, isTopicTemplate, MQTT_CLIENT_ID, MQTT_CLIENT_ID_ALLOWED, MQTT_TOPIC_ALLOWED, MQTT_URL_ALLOWED,
} from '../mqtt/target';
import type { MqttQos } from '../mqtt/publisher-options';
import { checkUrl } from './url-policy';

const MAX_SIDE = 7680;

/** An input URI in its normal form; `vst: false` refuses VST addresses. */
const inputUri = (vst: boolean): Normaliser => (value) => {
  const checked = checkInput(value);
  if (!checked.ok) return checked;
  if (!vst && checked.input.kind === 'vst') return { ok: false, problem: '' };
  return { ok: true, value: checked.uri };
};
const sideOrSource = (fallback: number) =>
  integer(0, MAX_SIDE, fallback, `0 (source size) or an integer from 1 to ${MAX_SIDE}`);

const reconnectSchema = section({
  initialDelayMs: integer(10, 600_000, RECONNECT_DEFAULTS.initialDelayMs),
  maxDelayMs: integer(10, 3_600_000, RECONNECT_DEFAULTS.maxDelayMs),
  stallTimeoutMs: integer(100, 600_000, RECONNECT_DEFAULTS.stallTimeoutMs),
}).superRefine((value, ctx) => {
  if (value.maxDelayMs < value.initialDelayMs) {
    ctx.addIssue({ code: 'custom', path: ['maxDelayMs'], input: value.maxDelayMs,
      message: `expected at least initialDelayMs (${value.initialDelayMs}), received ${value.maxDelayMs}` });
  }
});

const inputSchema = section({
  uri: normalisedText(INPUT_URI_ALLOWED, inputUri(true), false).default(''),
  rtsp: section({
    transport: oneOf(['tcp', 'udp'], RTSP_DEFAULTS.transport),
    latencyMs: integer(0, 60_000, RTSP_DEFAULTS.latencyMs),
  }).prefault({}),
  vst: section({
    stream: text(''),
    timeoutMs: integer(100, 600_000, 5000),
    // Every VST stream becomes a stream of ours, added and removed as VST's list changes.
    follow: flag(false),
    pollMs: integer(500, 3_600_000, 10_000),
  }).prefault({}),
  test: section({
    width: integer(16, MAX_SIDE, TEST_SOURCE_DEFAULTS.width),
    height: integer(16, MAX_SIDE, TEST_SOURCE_DEFAULTS.height),
    fps: integer(1, 240, TEST_SOURCE_DEFAULTS.fps),
  }).prefault({}),
  reconnect: reconnectSchema.prefault({}),
  maxStreams: integer(1, 256, 8),
  allowEmpty: flag(false),
});

const outputSchema = section({
  enabled: flag(true),
  url: normalisedText(OUTPUT_URL_ALLOWED, checkOutputUrl).default(OUTPUT_URL_DEFAULT),
  // Basic and digest authentication of the RTSP output; both empty: none. Prefer OWL_OUTPUT_AUTH_PASSWORD.
  auth: section({
    user: checkedText('a user name without ":"', (v) => !v.includes(':'), ''),
    password: text(''),
  }).superRefine((value, ctx) => {
    if ((value.user === '') !== (value.password === '')) {
      ctx.addIssue({ code: 'custom', path: [value.user === '' ? 'user' : 'password'], input: '',
        message: 'expected both output.auth.user and output.auth.password, or neither' });
    }
  }).prefault({}),
  encoder: section({
    preset: oneOf(X264_PRESETS, ENCODER_DEFAULTS.preset),
    bitrateKbps: integer(100, 100_000, ENCODER_DEFAULTS.bitrateKbps),
    width: sideOrSource(ENCODER_DEFAULTS.width),
    height: sideOrSource(ENCODER_DEFAULTS.height),
  }).prefault({}),
});

const modelSchema = section({
  folder: nonEmptyText('google/owlvit-base-patch32'),
  imageEncoderEngine: text('nanoowl/data/owl_image_encoder_patch32.engine'),
  threads: integer(0, 1024, 0, 'an integer from 0 (all cores) to 1024'),
  precision: oneOf(PRECISION_SETTINGS, MODEL_PRECISION_DEFAULT),
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
  uri: normalisedText('an rtsp:// URL, a file path or test:[pattern] (a VST address belongs in input.uri, with '
    + 'input.vst.follow: true)', inputUri(false)),
  output: checkedText('a mount path such as /out/front', (v) => v === '' || MOUNT_PATH.test(v), ''),
  prompts: section({ objects: z.unknown(), thresholds: z.unknown() })
    .transform((value, ctx) => checkPrompts(value, { maxPrompts: MAX_PROMPTS, maxPromptLength: MAX_PROMPT_LENGTH }, ctx)
      ?? z.NEVER)
    .optional(),
  sensor: section({ id: text(''), type: text(''), location: text('') }).prefault({}),
});

// A comma-separated string (OWL_STREAMS) or a list whose items may be bare URIs.
const streamsSchema = z.preprocess((value) => {
  // Spaces around commas are layout; any other whitespace stays, and the URL validator refuses it.
  const items = typeof value === 'string' ? value.split(',').map((s) => s.replace(/^ +| +$/g, '')).filter((s) => s !== '')
    : value;
  return Array.isArray(items) ? items.map((item) => (typeof item === 'string' ? { uri: item } : item)) : items;
}, z.array(streamSchema, { error: (issue) => `expected a list of streams, received ${describeValue(issue.input)}` }))
  .default([]);

const redisSchema = section({
  enabled: flag(true),
  host: nonEmptyText(REDIS_DEFAULTS.host),
  port: integer(1, 65_535, REDIS_DEFAULTS.port),
  stream: nonEmptyText(REDIS_DEFAULTS.stream),
  maxlen: integer(0, 1_000_000_000, REDIS_DEFAULTS.maxlen, 'an integer from 0 (unbounded) to 1000000000'),
  outputInterval: integer(1, 1_000_000, REDIS_DEFAULTS.outputInterval),
  queueSize: integer(1, 1_000_000, REDIS_DEFAULTS.queueSize),
  idFormat: oneOf(['string', 'number'], REDIS_DEFAULTS.idFormat),
  // AUTH password (requirepass / ACL default user); prefer OWL_REDIS_PASSWORD or passwordFile to writing it here.
  password: text(REDIS_DEFAULTS.password),
  // A file whose content (trailing newline dropped) is the password, e.g. a Docker or Kubernetes secret.
  passwordFile: text(''),
  // TLS to Redis (its tls-port); tlsCaFile: the CA bundle that signed Redis's certificate ('' = the system's).
  tls: flag(REDIS_DEFAULTS.tls),
  tlsCaFile: text(REDIS_DEFAULTS.tlsCaFile),
}).superRefine((value, ctx) => {
  if (value.password !== '' && value.passwordFile !== '') {
    ctx.addIssue({ code: 'custom', path: ['passwordFile'], input: value.passwordFile,
      message: 'expected redis.password or redis.passwordFile, not both' });
  }
});

// The MQTT output (off by default): the same Minimal Schema messages as Redis, one topic per sensor.
const mqttSchema = section({
  enabled: flag(false),
  url: normalisedText(MQTT_URL_ALLOWED, checkMqttUrl).default(MQTT_DEFAULTS.url),
  topic: checkedText(MQTT_TOPIC_ALLOWED, isTopicTemplate, MQTT_DEFAULTS.topic),
  qos: integer(0, 2, MQTT_DEFAULTS.qos, '0, 1 or 2').transform((qos) => qos as MqttQos),
  retain: flag(false),
  clientId: checkedText(MQTT_CLIENT_ID_ALLOWED, (v) => MQTT_CLIENT_ID.test(v), ''),
  username: text(''),
  // Prefer OWL_MQTT_PASSWORD or passwordFile (a file holding it, e.g. a Docker secret) to writing it here.
  password: text(''),
  passwordFile: text(''),
  caFile: text(''),
  certFile: text(''),
  keyFile: text(''),
  outputInterval: integer(1, 1_000_000, MQTT_DEFAULTS.outputInterval),
  queueSize: integer(1, 1_000_000, MQTT_DEFAULTS.queueSize),
}).superRefine((value, ctx) => {
  if (value.password !== '' && value.passwordFile !== '') {
    ctx.addIssue({ code: 'custom', path: ['passwordFile'], input: value.passwordFile,
      message: 'expected mqtt.password or mqtt.passwordFile, not both' });
  }
  // A TLS file with a plain mqtt:// URL would be silently unused.
  if (value.url.startsWith('mqtt:')) {
    for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
      if (value[key] === '') continue;
      ctx.addIssue({ code: 'custom', path: [key], input: value[key],
        message: `mqtt.${key} is for TLS, but mqtt.url is mqtt:// (no TLS): use an mqtts:// URL, or leave it empty` });
    }
  }
  if ((value.certFile === '') !== (value.keyFile === '')) {
    const key = value.certFile === '' ? 'certFile' : 'keyFile';
    ctx.addIssue({ code: 'custom', path: [key], input: value[key],
      message: 'expected mqtt.certFile and mqtt.keyFile together (a client certificate and its key), or neither' });
  }
});

// The Kafka output of the deepstream engine (nvmsgbroker's Kafka adaptor); off by default.
const kafkaSchema = section({
  enabled: flag(false),
  broker: checkedText(KAFKA_BROKER_ALLOWED, (v) => parseKafkaBroker(v) !== null, 'localhost:9092'),
  topic: checkedText('a Kafka topic name: letters, digits, ".", "_" or "-" (at most 249)',
    (v) => /^[A-Za-z0-9._-]{1,249}$/.test(v), 'owl'),
  protoCfg: checkedText(KAFKA_PROTO_CFG_ALLOWED, (v) => parseProtoCfg(v) !== null, ''),
  outputInterval: integer(1, 1_000_000, 1),
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
  lineWidth: integer(1, 50, OVERLAY_DEFAULTS.lineWidth),
  fontSize: integer(6, 200, OVERLAY_DEFAULTS.fontSize),
  showScores: flag(OVERLAY_DEFAULTS.showScores),
});

// The annotated outputs registered in VST as sensors (ts/vst/output-registration.ts).
const vstSchema = section({
  registerOutput: flag(false),
  // VST's address; empty: input.uri's, when that is a VST address.
  url: normalisedText('a VST address such as http://host:81, or empty', (v) => {
    const checked = checkUrl(v, ['http:', 'https:']);
    return checked.ok ? { ok: true, value: checked.href } : checked;
  }, false).default(''),
  // The host VST reaches this machine's RTSP server at, where output.url binds a wildcard address.
  outputHost: nonEmptyText('127.0.0.1'),
  timeoutMs: integer(100, 600_000, 5000),
});

// What the service keeps across restarts (ts/state/): prompts and streams changed through the API.
const stateSchema = section({
  dir: text(''),
});

// An IoU of 0 would match any two boxes of a label: the least is 0.01.
const iou = (fallback: number) => decimal(0.01, 1, fallback);

const trackerSchema = section({
  enabled: flag(TRACKING_DEFAULTS.enabled),
  drawPredicted: flag(TRACKING_DEFAULTS.drawPredicted),
  lowScoreRatio: decimal(0, 1, TRACKING_DEFAULTS.lowScoreRatio),
  minHits: integer(1, 100, TRACKER_DEFAULTS.minHits),
  bufferMs: integer(0, 600_000, TRACKER_DEFAULTS.bufferMs),
  matchIou: iou(TRACKER_DEFAULTS.matchIou),
  lowMatchIou: iou(TRACKER_DEFAULTS.lowMatchIou),
});

// nvtracker's frame size: multiples of 32 (NvMultiObjectTracker's visual features work on such blocks).
const trackerSide = (fallback: number) => checkedInteger(32, 4096, fallback, 'a multiple of 32 from 32 to 4096',
  (v) => v % 32 === 0);

// Engine deepstream's own settings (nvinfer, nvtracker); the portable engine ignores them.
const deepstreamSchema = section({
  inferInterval: integer(0, 1000, DEEPSTREAM_DEFAULTS.inferInterval),
  inferBatchSize: integer(0, 256, DEEPSTREAM_DEFAULTS.inferBatchSize,
    'an integer from 0 (input.maxStreams) to 256'),
  tracker: section({
    algorithm: oneOf(['NvDCF', 'NvSORT', 'IOU'], DEEPSTREAM_DEFAULTS.tracker.algorithm),
    width: trackerSide(DEEPSTREAM_DEFAULTS.tracker.width),
    height: trackerSide(DEEPSTREAM_DEFAULTS.tracker.height),
    minDetectorConfidence: decimal(0, 1, DEEPSTREAM_DEFAULTS.tracker.minDetectorConfidence),
    probationAge: integer(0, 1000, DEEPSTREAM_DEFAULTS.tracker.probationAge),
    maxShadowTrackingAge: integer(0, 100_000, DEEPSTREAM_DEFAULTS.tracker.maxShadowTrackingAge),
    maxTargetsPerStream: integer(1, 10_000, DEEPSTREAM_DEFAULTS.tracker.maxTargetsPerStream),
  }).prefault({}),
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
  mqtt: mqttSchema.prefault({}),
  kafka: kafkaSchema.prefault({}),
  api: apiSchema.prefault({}),
  sensor: sensorSchema.prefault({}),
  overlay: overlaySchema.prefault({}),
  tracker: trackerSchema.prefault({}),
  deepstream: deepstreamSchema.prefault({}),
  log: section({ level: oneOf(LOG_LEVELS, 'info') }).prefault({}),
  state: stateSchema.prefault({}),
  vst: vstSchema.prefault({}),
  streams: streamsSchema,
}).superRefine((config, ctx) => {
  const { input, streams } = config;
  const follow = input.vst.follow;
  if (follow && classifyInput(input.uri)?.kind !== 'vst') {
    ctx.addIssue({ code: 'custom', path: ['input', 'vst', 'follow'], input: follow,
      message: `following VST needs a VST address (http://host:81) in input.uri, received ${describeValue(input.uri)}` });
  }
  if (config.vst.registerOutput && config.vst.url === '' && classifyInput(input.uri)?.kind !== 'vst') {
    ctx.addIssue({ code: 'custom', path: ['vst', 'url'], input: config.vst.url,
      message: 'vst.registerOutput needs a VST address: set vst.url (http://host:81), or give one as input.uri' });
  }
  const count = streams.length + (input.uri !== '' && !follow ? 1 : 0);
  if (count > input.maxStreams) {
    ctx.addIssue({ code: 'custom', path: ['streams'], input: streams,
      message: `${count} streams configured, at most input.maxStreams (${input.maxStreams}) allowed` });
  }
  if (config.deepstream.inferBatchSize > input.maxStreams) {
    ctx.addIssue({ code: 'custom', path: ['deepstream', 'inferBatchSize'], input: config.deepstream.inferBatchSize,
      message: `expected at most input.maxStreams (${input.maxStreams}), received ${config.deepstream.inferBatchSize}` });
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
