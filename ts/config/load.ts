// SPDX-License-Identifier: Apache-2.0
// One config file alone (no environment, no flags), validated: for tools and tests.
import { readConfigFile, type ReadText } from './file';
import type { OwlConfig } from './schema';
import { validateConfig } from './validate';

/**
 * Reads and validates one YAML config file; missing keys take their defaults.
 * @throws {ConfigError} naming the file, the key path and the allowed values.
 */
export function loadConfigFile(path: string, read?: ReadText): OwlConfig {
  return validateConfig(readConfigFile(path, read));
}
