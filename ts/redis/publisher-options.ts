// SPDX-License-Identifier: Apache-2.0
// Options of the Redis metadata output: one interface, its defaults (the service's, ts/config/defaults.ts), and
// the one place that checks them.
import { REDIS_DEFAULTS } from '../config/defaults';
import { expectInteger, expectedMessage, expectedValue } from '../errors/expected';
import type { RedisAccess } from './connection';
import type { IdFormat } from './minimal-schema';

/** Options of {@link RedisPublisher}; every field is optional (password and TLS: see RedisAccess). */
export interface RedisPublisherOptions extends RedisAccess {
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
   * Entries kept in memory while Redis is slow or down (a batch in flight included). Past it the oldest
   * entries are dropped and counted in `status().dropped`. @default 1000
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
    // Known keys only: a config section passed whole (redis.passwordFile, ...) adds nothing.
    if (value !== undefined && Object.hasOwn(DEFAULT_REDIS_PUBLISHER_OPTIONS, key)) Object.assign(merged, { [key]: value });
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
  // The password's value is never shown, whatever it is.
  if (typeof merged.password !== 'string') {
    throw new TypeError(expectedMessage('a string', 'password', `a ${typeof merged.password} (not shown)`));
  }
  if (typeof merged.tls !== 'boolean') throw new TypeError(expectedValue('a boolean', 'tls', merged.tls));
  if (typeof merged.tlsCaFile !== 'string') throw new TypeError(expectedValue('a string', 'tlsCaFile', merged.tlsCaFile));
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
