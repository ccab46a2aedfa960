// SPDX-License-Identifier: Apache-2.0
// Secrets kept in files (Docker and Kubernetes secrets): `redis.passwordFile` is read when the configuration is
// resolved (at start and on SIGHUP) into `redis.password`. The file's content never appears in a message.
import fs from 'node:fs';
import { ConfigError } from './errors';
import { originOf } from './layers';
import { controlCharProblem } from './safe-text';
import type { OwlConfig } from './schema';

/** Reads a secret file (injectable for tests). */
export type ReadSecret = (path: string) => string;

const readUtf8: ReadSecret = (path) => fs.readFileSync(path, 'utf8');

/**
 * The config with `redis.password` read from `redis.passwordFile` when that is set.
 * @param origins where each key came from, so an error names the file, variable or flag that set the path.
 * @throws {ConfigError} when the file cannot be read, is empty or holds a control character.
 */
export function readSecretFiles(config: OwlConfig, origins: ReadonlyMap<string, string>,
  read: ReadSecret = readUtf8): OwlConfig {
  const file = config.redis.passwordFile;
  if (file === '') return config;
  const refuse = (message: string) => new ConfigError([{ source: originOf(origins, 'redis.passwordFile'),
    path: 'redis.passwordFile', message: `${message} (${JSON.stringify(file.slice(0, 200))})` }]);
  let text: string;
  try {
    text = read(file);
  } catch (err) {
    throw refuse(`cannot read the password file: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  // One trailing line break is how editors and `echo` end a file; it is not part of the password.
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw refuse('the password file is empty');
  const problem = controlCharProblem(password);
  if (problem !== null) throw refuse(`the password in the file ${problem}`);
  return { ...config, redis: { ...config.redis, password } };
}
