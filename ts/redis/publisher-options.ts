// SPDX-License-Identifier: Apache-2.0
// Options of the Redis metadata output: one interface, its defaults (the service's, ts/config/defaults.ts), and
// the one place that checks them.
import { REDIS_DEFAULTS } from '../config/defaults';
import { expectedValue } from '../errors/expected';
import type { IdFormat } from './minimal-schema';

/** Options of {@link RedisPublisher}; every field is optional. */
export interface RedisPublisherOptions {
  /** Redis host. @default 'localhost' */
  host?: string;
  /** Redis port. @default 6379 */
  port?: number;
  /** Stream key the entries are appended to. @default 'owl' */
  stream?: string;
  /**
   * Approximate bound of the stream's length (`XADD … MAXLEN ~ maxlen`); Redis trims whole nodes, so the
   * stream may hold a little more. 0 = no bound (the seed app's behaviour). @default 10000
   */
  maxlen?: number;
  /**
   * Entries kept in memory while Redis is slow or down (not counting one batch in flight). Past it the
   * oldest entries are dropped and counted in `status().dropped`. @default 1000
   */
  queueSize?: number;
  /** Most entries pipelined in one round trip. @default 100 */
  batchSize?: number;
  /** Publish every Nth frame of each sensor handed to `publish()`: 1 = every frame, 60 = the seed app. @default 1 */
  outputInterval?: number;
  /** JSON type of the payload's `id` and `sensorId` (DeepStream: strings, mmj_utils: numbers). @default 'string' */
  idFormat?: IdFormat;
  /** Receives warnings for operators: Redis unreachable or back, queue overflow, rejected frames. @default console.warn */
  warn?: (message: string) => void;
}

/** Defaults of {@link RedisPublisherOptions}. */
export const DEFAULT_REDIS_PUBLISHER_OPTIONS: Readonly<Required<RedisPublisherOptions>> = Object.freeze({
  ...REDIS_DEFAULTS,
  batchSize: 100,
  warn: (message: string) => console.warn(message),
});

/**
 * Merges options over the defaults and checks them.
 * @throws {TypeError} "Expected X for Y but received Z" for the first bad option.
 */
export function parsePublisherOptions(options: RedisPublisherOptions = {}): Required<RedisPublisherOptions> {
  const merged = { ...DEFAULT_REDIS_PUBLISHER_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) Object.assign(merged, { [key]: value });
  }
  expectNonEmptyString(merged.host, 'host');
  expectInteger(merged.port, 'port', 1, 65535);
  expectNonEmptyString(merged.stream, 'stream');
  expectInteger(merged.maxlen, 'maxlen', 0);
  expectInteger(merged.queueSize, 'queueSize', 1);
  expectInteger(merged.batchSize, 'batchSize', 1);
  expectInteger(merged.outputInterval, 'outputInterval', 1);
  if (merged.idFormat !== 'string' && merged.idFormat !== 'number') {
    throw new TypeError(expectedValue("'string' or 'number'", 'idFormat', merged.idFormat));
  }
  if (typeof merged.warn !== 'function') {
    throw new TypeError(expectedValue('a function', 'warn', merged.warn));
  }
  return merged;
}

function expectNonEmptyString(value: unknown, name: string): void {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(expectedValue('a non-empty string', name, value));
  }
}

function expectInteger(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new TypeError(expectedValue(`an integer ${range}`, name, value));
  }
}
