// SPDX-License-Identifier: Apache-2.0
// How owl-stream talks to Redis, shared by the publisher and the viewer: the stream entry layout,
// password and TLS, and connection errors turned into messages that say what to check.
import fs from 'node:fs';
import type { RedisOptions } from 'ioredis';
import { tlsFailureReason } from '../errors/tls-reason';

/** Field of each stream entry that holds the payload (mmj_utils' field; DeepStream's `payloadkey` default). */
export const PAYLOAD_FIELD = 'metadata';

/** The payload of a stream entry given as XRANGE/XREAD return its fields (`[name, value, name, value, …]`). */
export function entryPayload(fields: readonly string[]): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === PAYLOAD_FIELD) return fields[i + 1];
  }
  return undefined;
}

/** How long a TCP connect may take before it counts as failed. */
export const CONNECT_TIMEOUT_MS = 3000;

/** How to authenticate to Redis and whether to use TLS (config `redis.password`, `redis.tls`, `redis.tlsCaFile`). */
export interface RedisAccess {
  /** AUTH password ('' or absent: none). Never logged. */
  password?: string;
  /** TLS (`rediss://`, Redis's tls-port). */
  tls?: boolean;
  /** PEM file of the CA that signed Redis's certificate; '' or absent: the system's CAs. */
  tlsCaFile?: string;
}

/**
 * The ioredis options for `access`.
 * @throws {Error} naming the CA file when it cannot be read.
 */
export function accessOptions(access: RedisAccess): Pick<RedisOptions, 'password' | 'tls'> {
  const options: Pick<RedisOptions, 'password' | 'tls'> = {};
  if (access.password !== undefined && access.password !== '') options.password = access.password;
  if (access.tls === true) {
    let ca: Buffer | undefined;
    if (access.tlsCaFile !== undefined && access.tlsCaFile !== '') {
      try {
        ca = fs.readFileSync(access.tlsCaFile);
      } catch (err) {
        throw new Error(`cannot read the Redis CA file redis.tlsCaFile (${JSON.stringify(access.tlsCaFile.slice(0, 200))}): `
          + `${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
      }
    }
    options.tls = ca === undefined ? {} : { ca };
  }
  return options;
}

/**
 * Turns a connection error into one sentence that names `host:port` and what to check.
 * @example describeRedisError(err, 'localhost', 6379)
 * // "Redis at localhost:6379 refused the connection (ECONNREFUSED): check that redis-server runs there
 * //  and that the Redis host and port (--redis_host, --redis_port) are right"
 */
export function describeRedisError(err: Error, host: string, port: number): string {
  const target = `${host}:${port}`;
  const check = 'check that redis-server runs there and that the Redis host and port (--redis_host, --redis_port) are right';
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ECONNREFUSED':
      return `Redis at ${target} refused the connection (ECONNREFUSED): ${check}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Redis host '${host}' cannot be resolved (${(err as NodeJS.ErrnoException).code}): check --redis_host`;
    case 'ETIMEDOUT':
      return `Redis at ${target} did not answer within ${CONNECT_TIMEOUT_MS} ms (ETIMEDOUT): ${check}, and that no firewall is in the way`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `Redis at ${target} dropped the connection (${(err as NodeJS.ErrnoException).code}); if it serves TLS `
        + 'only, set redis.tls (OWL_REDIS_TLS=true)';
    default:
      break;
  }
  const message = err.message;
  if (/\bNOAUTH\b/.test(message)) {
    return `Redis at ${target} needs a password (NOAUTH): set OWL_REDIS_PASSWORD or redis.passwordFile`;
  }
  if (/\bWRONGPASS\b|invalid password/i.test(message)) {
    return `Redis at ${target} refused the password (WRONGPASS): check OWL_REDIS_PASSWORD or redis.passwordFile`;
  }
  const tls = tlsFailureReason(message);
  if (tls !== null) return `Redis at ${target}: TLS failed (${tls}): check redis.tls and redis.tlsCaFile`;
  return `Redis at ${target}: ${message}`;
}
