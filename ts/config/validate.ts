// SPDX-License-Identifier: Apache-2.0
// Validates merged settings against the schema and turns zod issues into ConfigError lines that name the
// source of each refused value.
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './errors';
import { joinPath, originOf, type ConfigLayer } from './layers';
import { configSchema, type OwlConfig } from './schema';

/**
 * Validates settings and fills in defaults.
 * @throws {ConfigError} listing every refused value with its source and key path.
 */
export function validateConfig(layer: ConfigLayer): OwlConfig {
  const result = configSchema.safeParse(layer.values);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.flatMap((issue) => toConfigIssues(issue, layer.origins)));
}

function toConfigIssues(issue: z.core.$ZodIssue, origins: ReadonlyMap<string, string>): ConfigIssue[] {
  // One line per unknown key, so each names the key to remove or correct.
  const paths = issue.code === 'unrecognized_keys'
    ? issue.keys.map((key) => joinPath([...issue.path, key]))
    : [joinPath(issue.path)];
  return paths.map((path) => ({ source: originOf(origins, path), path, message: issue.message }));
}
