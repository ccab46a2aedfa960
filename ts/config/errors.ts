// SPDX-License-Identifier: Apache-2.0
// The config layer's one error class: every refused setting says where it came from (file, environment
// variable, flag), which key, and what is allowed.
import { escapeControlChars } from './safe-text';

/** One refused setting. */
export interface ConfigIssue {
  /** Where the value came from: a file path, `environment OWL_X`, `--flag`, `command line` or `default`. */
  source: string;
  /** Dotted key path, e.g. `redis.port`; empty for the whole document or command line. */
  path: string;
  /** What is wrong and what is allowed, e.g. `expected an integer from 1 to 65535, received "abc"`. */
  message: string;
}

/**
 * Invalid configuration. `message` has one line per issue: `<source>: <path>: <message>`.
 * @example configs/x.yaml: redis.port: expected an integer from 1 to 65535, received "abc"
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
  }
}

function formatIssue(issue: ConfigIssue): string {
  // A file name or flag may carry anything; each line stays one line.
  return escapeControlChars([issue.source, issue.path, issue.message].filter((part) => part !== '').join(': '));
}
