// SPDX-License-Identifier: Apache-2.0
// Reads a YAML config file into a layer; syntax errors and non-mapping documents name the file.
import fs from 'node:fs';
import { parseDocument } from 'yaml';
import { describeValue } from '../errors/expected';
import { ConfigError } from './errors';
import { documentLayer, isMapping, type ConfigLayer } from './layers';

/** Reads a file as text (injectable for tests). */
export type ReadText = (path: string) => string;

const readUtf8: ReadText = (path) => fs.readFileSync(path, 'utf8');

/**
 * Reads and parses a YAML config file (not yet validated).
 * @param path file path, used as the source name in errors.
 * @throws {ConfigError} when the file cannot be read, is not YAML, or is not a mapping.
 */
export function readConfigFile(path: string, read: ReadText = readUtf8): ConfigLayer {
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    const message = `cannot read the config file: ${(err as Error).message}`;
    throw new ConfigError([{ source: path, path: '', message }]);
  }
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(document.errors.map((err) => ({ source: path, path: '',
      message: `invalid YAML: ${err.message}` })));
  }
  const value: unknown = document.toJS();
  if (value === null || value === undefined) return documentLayer({}, path);
  if (!isMapping(value)) {
    throw new ConfigError([{ source: path, path: '',
      message: `expected a mapping of sections (input, output, model, ...), received ${describeValue(value)}` }]);
  }
  return documentLayer(value, path);
}
