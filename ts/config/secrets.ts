// SPDX-License-Identifier: Apache-2.0
// Secrets kept in files (Docker and Kubernetes secrets): `redis.passwordFile` and `mqtt.passwordFile` are read when
// the configuration is resolved (at start and on SIGHUP) into `redis.password` and `mqtt.password`. The file's
// content never appears in a message.
import fs from 'node:fs';
import { ConfigError } from './errors';
import { originOf } from './layers';
import { controlCharProblem } from './safe-text';
import type { OwlConfig } from './schema';

/** Reads a secret file (injectable for tests). */
export type ReadSecret = (path: string) => string;

const readUtf8: ReadSecret = (path) => fs.readFileSync(path, 'utf8');

/** The sections whose `passwordFile` gives their `password`. */
const WITH_PASSWORD_FILE = ['redis', 'mqtt'] as const;

/**
 * The config with each `<section>.password` read from `<section>.passwordFile` where that is set.
 * @param origins where each key came from, so an error names the file, variable or flag that set the path.
 * @throws {ConfigError} when a file cannot be read, is empty or holds a control character.
 */
export function readSecretFiles(config: OwlConfig, origins: ReadonlyMap<string, string>,
  read: ReadSecret = readUtf8): OwlConfig {
  let resolved = config;
  for (const section of WITH_PASSWORD_FILE) {
    const file = config[section].passwordFile;
    if (file === '') continue;
    const key = `${section}.passwordFile`;
    const refuse = (message: string) => new ConfigError([{ source: originOf(origins, key), path: key,
      message: `${message} (${JSON.stringify(file.slice(0, 200))})` }]);
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
    resolved = { ...resolved, [section]: { ...resolved[section], password } };
  }
  return resolved;
}
