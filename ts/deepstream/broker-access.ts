// SPDX-License-Identifier: Apache-2.0
// Redis credentials for nvmsgbroker's Redis adaptor (engine deepstream). The adaptor reads its password from the
// environment variable PASSWORD_REDIS (DeepStream 9.1; it overrides the config file's `password` key, which is
// marked for deprecation), so the password stays off disk: it is never written into the generated run folder.
// The adaptor (hiredis, no TLS options) cannot speak TLS: redis.tls is refused with this engine.
import type { OwlConfig } from '../config/schema';

/** The variable DeepStream's Redis adaptor reads the password from. */
export const BROKER_PASSWORD_VARIABLE = 'PASSWORD_REDIS';

/**
 * Hands `redis.password` to the in-process Redis adaptor through its environment variable (before any pipeline
 * starts). Older DeepStream releases have no password support: the broker then fails with NOAUTH, reported by
 * /status.
 * @throws {Error} when `redis.tls` is set, which the adaptor cannot do.
 */
export function exportBrokerAccess(redis: OwlConfig['redis'], env: NodeJS.ProcessEnv = process.env): void {
  if (redis.tls) {
    throw new Error('redis.tls is set, but DeepStream\'s Redis adaptor (nvmsgbroker) has no TLS: use engine portable, '
      + 'or reach Redis over a TLS tunnel (e.g. stunnel) and set redis.tls to false');
  }
  if (redis.password !== '') env[BROKER_PASSWORD_VARIABLE] = redis.password;
}
