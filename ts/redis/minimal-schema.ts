// SPDX-License-Identifier: Apache-2.0
// Metropolis Minimal Schema: the JSON one processed frame becomes on the Redis stream, and its reader.
// The writer matches DeepStream nvmsgconv's minimal payload (ids as JSON strings) or, on request,
// mmj_utils' SchemaGenerator (ids as JSON numbers). An object's confidence is written as nvmsgconv writes it for an
// object without secondary attributes (generate_event_message_minimal, DeepStream 9.1): an empty `#` group of six
// attribute fields, then the confidence, so consumers that take the confidence from field 13 or from the last field
// both read it. The reader accepts all of these, plus DeepStream's other `|#|…|confidence` tails and its 64-bit
// untracked object id.
// A frame decoded again after a prompt change is written once more with the same `id` and `@timestamp` and one key
// more, `"redecode": true`, last: readers of DeepStream's payload skip the unknown key; readers that count frames
// skip the entries that carry it.
import { expectedValue } from '../errors/expected';

/** The `version` every payload carries. */
const MINIMAL_SCHEMA_VERSION = '4.0';

/**
 * JSON type of the payload's `id` and `sensorId`: `'string'` like DeepStream's nvmsgconv,
 * `'number'` like mmj_utils' SchemaGenerator.
 */
export type IdFormat = 'string' | 'number';

/** One detection of a frame, in source-frame pixels. */
export interface Detection {
  /** The prompt text that matched; must not contain `|`, the schema's field separator. */
  label: string;
  /** `[left, top, right, bottom]` in source-frame pixels. */
  box: readonly [number, number, number, number];
  /**
   * Object id (a tracker's track id, the same in every frame the object is followed); when absent the next value of
   * `nextObjectId` (so callers that show ids elsewhere can match).
   */
  id?: number;
  /** The detection's score in [0, 1], appended as DeepStream does (`…|label|#||||||0.63`); absent: not written. */
  confidence?: number;
}

/** What the metadata output needs to know about one processed frame. */
export interface FrameMetadata {
  /** Frame number; becomes the payload's `id`. A non-negative safe integer. */
  frameId: number;
  /** When the frame was captured or processed; emitted as UTC ISO 8601 with milliseconds. */
  timestamp: Date;
  /** Camera / stream name; becomes `sensorId`. */
  sensorId: string;
  objects: readonly Detection[];
  /**
   * True when this is the frame's image-encoder output decoded again with new prompts: its second entry, which
   * replaces the first (written as `"redecode": true`). Always published, whatever the output interval.
   */
  redecode?: boolean;
}

/** How {@link buildMinimalSchema} writes ids. */
export interface MinimalSchemaOptions {
  /** @default 'string' */
  idFormat?: IdFormat;
  /** Returns the id of the next object without one (a per-run counter). */
  nextObjectId: () => number;
}

/** One object of a parsed payload. Coordinates are numbers; ids stay strings (64-bit ids exceed JS numbers). */
export interface MinimalSchemaObject {
  /** Tracking id as written, e.g. `"7"` or DeepStream's untracked `"18446744073709551615"`. */
  id: string;
  left: number;
  top: number;
  right: number;
  bottom: number;
  label: string;
  /** DeepStream's fields between `#` and the confidence (classifier results, vehicle/person attributes); often empty strings. */
  attributes: string[];
  /** DeepStream's trailing confidence, when the payload has one. */
  confidence?: number;
}

/** A parsed payload; `id` and `sensorId` are strings whichever JSON type they had. */
export interface MinimalSchemaMessage {
  version: string;
  id: string;
  /** The `@timestamp` string as written. */
  timestamp: string;
  sensorId: string;
  objects: MinimalSchemaObject[];
  /** Whether the payload carries `"redecode": true`: frame `id` again, decoded with new prompts. */
  redecode: boolean;
}

/** A payload or frame that does not fit the Minimal Schema; the message names the field and the value. */
export class MinimalSchemaError extends Error {
  override name = 'MinimalSchemaError';
}

/** Returns a per-run object id counter: 0, 1, 2, … */
export function createObjectIdCounter(): () => number {
  let next = 0;
  return () => next++;
}

/**
 * Formats a pixel coordinate for the payload: rounded to 2 decimals (half up, on hundredths), shortest
 * decimal form without trailing zeros (`120.5`, `33`, `410.25`), `-0` written as `0`.
 * Two decimals are far below a pixel yet keep the payload short and stable across platforms.
 */
export function formatCoordinate(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return Object.is(rounded, -0) ? '0' : String(rounded);
}

/** DeepStream's attribute group of an object without secondary attributes (six empty fields), before its confidence. */
const EMPTY_ATTRIBUTES = '#||||||';

/**
 * Formats a confidence as C++ streams write a float (nvmsgconv's `ss << confidence`): 6 significant digits, no
 * trailing zeros (`0.63`, `0.123457`, `1`).
 */
export function formatConfidence(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/**
 * Builds the payload JSON of one frame, keys in the order `version`, `id`, `@timestamp`, `sensorId`, `objects`
 * (then `redecode: true` for a re-decode), each object as `id|left|top|right|bottom|label`, followed by
 * `|#||||||<confidence>` when it has one. The output is compact JSON (no spaces).
 * @throws {MinimalSchemaError} when the frame id, timestamp, a box or a label cannot be written.
 */
export function buildMinimalSchema(frame: FrameMetadata, options: MinimalSchemaOptions): string {
  const idFormat = options.idFormat ?? 'string';
  if (!Number.isSafeInteger(frame.frameId) || frame.frameId < 0) {
    throw new MinimalSchemaError(expectedValue('a non-negative integer', 'frameId', frame.frameId));
  }
  if (!(frame.timestamp instanceof Date) || Number.isNaN(frame.timestamp.getTime())) {
    throw new MinimalSchemaError(expectedValue('a valid Date', 'timestamp', frame.timestamp));
  }
  if (typeof frame.sensorId !== 'string') {
    throw new MinimalSchemaError(expectedValue('a string', 'sensorId', frame.sensorId));
  }
  frame.objects.forEach(checkDetection);
  return JSON.stringify({
    version: MINIMAL_SCHEMA_VERSION,
    id: idFormat === 'number' ? frame.frameId : String(frame.frameId),
    '@timestamp': frame.timestamp.toISOString(),
    sensorId: idFormat === 'number' ? sensorIdAsNumber(frame.sensorId) : frame.sensorId,
    objects: frame.objects.map(({ label, box, id, confidence }) =>
      [String(id ?? options.nextObjectId()), ...box.map(formatCoordinate), label,
        ...(confidence === undefined ? [] : [EMPTY_ATTRIBUTES, formatConfidence(confidence)])].join('|')),
    ...(frame.redecode === true ? { redecode: true } : {}),
  });
}

/**
 * Parses a payload written by owl-stream, DeepStream's nvmsgconv (minimal) or mmj_utils' SchemaGenerator.
 * Accepts `id`/`sensorId` as strings or numbers, extra top-level keys (`masks`, `customMessage`), and object
 * strings with DeepStream's `|#|…` tail, whose last field is taken as the confidence when it is a number, or
 * with a bare `|<confidence>` after the label (DeepStream 7.x).
 * `redecode` is true only for a payload with `"redecode": true`.
 * @throws {MinimalSchemaError} naming the first malformed field.
 */
export function parseMinimalSchema(json: string): MinimalSchemaMessage {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new MinimalSchemaError(expectedValue('JSON', 'the metadata', json) + ` (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MinimalSchemaError(expectedValue('a JSON object', 'the metadata', value));
  }
  const payload = value as Record<string, unknown>;
  const { version, '@timestamp': timestamp, objects } = payload;
  if (typeof version !== 'string') {
    throw new MinimalSchemaError(expectedValue('a string', 'version', version));
  }
  if (typeof timestamp !== 'string' || Number.isNaN(Date.parse(timestamp))) {
    throw new MinimalSchemaError(expectedValue('an ISO 8601 timestamp', '@timestamp', timestamp));
  }
  if (!Array.isArray(objects)) {
    throw new MinimalSchemaError(expectedValue('an array', 'objects', objects));
  }
  return {
    version,
    id: parseId(payload.id, 'id'),
    timestamp,
    sensorId: parseId(payload.sensorId, 'sensorId'),
    objects: objects.map((entry: unknown, i) => parseObject(entry, `objects[${i}]`)),
    redecode: payload.redecode === true,
  };
}

const OBJECT_FIELDS = 'id|left|top|right|bottom|label';
const COORDINATE_NAMES = ['left', 'top', 'right', 'bottom'] as const;
const OBJECT_ID = /^-?\d+$/;

function checkDetection({ label, box, id, confidence }: Detection, i: number): void {
  if (typeof label !== 'string' || label.includes('|')) {
    throw new MinimalSchemaError(expectedValue("a label without '|'", `objects[${i}].label`, label));
  }
  if (!Array.isArray(box) || box.length !== 4 || !box.every(Number.isFinite)) {
    throw new MinimalSchemaError(expectedValue('4 finite numbers', `objects[${i}].box`, box));
  }
  if (id !== undefined && !(Number.isSafeInteger(id) && id >= 0)) {
    throw new MinimalSchemaError(expectedValue('a non-negative integer', `objects[${i}].id`, id));
  }
  if (confidence !== undefined && !(typeof confidence === 'number' && confidence >= 0 && confidence <= 1)) {
    throw new MinimalSchemaError(expectedValue('a number from 0 to 1', `objects[${i}].confidence`, confidence));
  }
}

// mmj_utils writes numbers; a sensor name that is not a plain integer can only stay a string.
function sensorIdAsNumber(sensorId: string): number | string {
  const n = Number(sensorId);
  return /^(0|[1-9]\d*)$/.test(sensorId) && Number.isSafeInteger(n) ? n : sensorId;
}

function parseId(value: unknown, field: string): string {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new MinimalSchemaError(expectedValue('a non-empty string or a number', field, value));
}

function parseObject(entry: unknown, where: string): MinimalSchemaObject {
  if (typeof entry !== 'string') {
    throw new MinimalSchemaError(expectedValue('a string', where, entry));
  }
  const fields = entry.split('|');
  if (fields.length < 6) {
    throw new MinimalSchemaError(
      expectedValue(OBJECT_FIELDS, where, entry) + ` (${fields.length} fields)`);
  }
  const [id, , , , , label, marker, ...tail] = fields;
  if (!OBJECT_ID.test(id)) {
    throw new MinimalSchemaError(expectedValue('an integer id', where, id));
  }
  // DeepStream 7.x writes the confidence right after the label, with no `#` (eventmsg_payload.cpp).
  const bareConfidence = fields.length === 7 && marker.trim() !== '' ? Number(marker) : NaN;
  if (marker !== undefined && marker !== '#' && !Number.isFinite(bareConfidence)) {
    throw new MinimalSchemaError(
      expectedValue("'#' after the label (labels cannot contain '|')", where, entry));
  }
  const [left, top, right, bottom] = COORDINATE_NAMES.map((name, k) => {
    const text = fields[k + 1];
    const n = text.trim() === '' ? NaN : Number(text);
    if (!Number.isFinite(n)) {
      throw new MinimalSchemaError(expectedValue('a number', `${where}.${name}`, text));
    }
    return n;
  });
  const last = Number.isFinite(bareConfidence) ? marker : tail.at(-1);
  const confidence = last !== undefined && last.trim() !== '' ? Number(last) : NaN;
  const object: MinimalSchemaObject = {
    id, left, top, right, bottom, label,
    attributes: Number.isFinite(confidence) ? tail.slice(0, -1) : tail,
  };
  if (Number.isFinite(confidence)) object.confidence = confidence;
  return object;
}

