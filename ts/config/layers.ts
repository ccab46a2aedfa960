// SPDX-License-Identifier: Apache-2.0
// Settings come in layers (defaults < file < environment < flags). Each layer remembers where each of its
// values came from, so that a refused value names its file, variable or flag.
import { parseDecimal } from './decimal';

/** A partial config document and, per dotted key path, the source that set it. */
export interface ConfigLayer {
  values: Record<string, unknown>;
  origins: Map<string, string>;
}

/** Plain mapping (not a list, not null). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Dotted path of key segments; list indices as `[i]`. */
export function joinPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) =>
    typeof key === 'number' ? `${acc}[${key}]` : acc === '' ? String(key) : `${acc}.${String(key)}`, '');
}

/** A layer made of a whole document (a parsed file): every key in it is attributed to `source`. */
export function documentLayer(document: Record<string, unknown>, source: string): ConfigLayer {
  const origins = new Map<string, string>([['', source]]);
  const walk = (value: unknown, path: string[]): void => {
    if (path.length > 0) origins.set(joinPath(path), source);
    if (isMapping(value)) for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
  };
  walk(document, []);
  return { values: document, origins };
}

/** An empty layer to which single settings are added with `setSetting`. */
export function emptyLayer(): ConfigLayer {
  return { values: {}, origins: new Map() };
}

/** Sets one key path in a layer and records its source. */
export function setSetting(layer: ConfigLayer, path: readonly string[], value: unknown, source: string): void {
  let node = layer.values;
  for (const key of path.slice(0, -1)) {
    if (!isMapping(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
  layer.origins.set(joinPath(path), source);
}

/** Merges layers, later ones winning key by key (mappings are merged, other values replaced). */
export function mergeLayers(layers: readonly ConfigLayer[]): ConfigLayer {
  const merged = emptyLayer();
  for (const layer of layers) {
    merged.values = mergeValues(merged.values, layer.values) as Record<string, unknown>;
    for (const [path, source] of layer.origins) merged.origins.set(path, source);
  }
  return merged;
}

function mergeValues(base: unknown, over: unknown): unknown {
  if (!isMapping(base) || !isMapping(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = mergeValues(base[key], value);
  return out;
}

/** The source of a key path: its own, else its nearest parent's, else `default`. */
export function originOf(origins: ReadonlyMap<string, string>, path: string): string {
  for (let p = path; ; p = parentPath(p)) {
    const source = origins.get(p);
    if (source !== undefined) return source;
    if (p === '') return 'default';
  }
}

function parentPath(path: string): string {
  const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return cut < 0 ? '' : path.slice(0, cut);
}

const BOOLEANS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false,
  on: true, off: false };

/**
 * Reads a text setting (environment variable or flag) as the type of the key's default: numbers and booleans
 * are converted when they parse, and otherwise kept as text so the schema reports `received "abc"`.
 */
export function textAsType(text: string, typeOfDefault: unknown): unknown {
  const word = text.trim().toLowerCase();
  if (typeof typeOfDefault === 'number') return parseDecimal(text) ?? text;
  if (typeof typeOfDefault === 'boolean' && Object.hasOwn(BOOLEANS, word)) return BOOLEANS[word];
  return text;
}
