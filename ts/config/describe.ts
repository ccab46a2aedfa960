// SPDX-License-Identifier: Apache-2.0
// How a refused value is shown in error messages: short, typed, never the whole document, no control characters.
import { escapeControlChars } from './safe-text';

const MAX_SHOWN = 60;

/** A short rendering of a received value: strings quoted, mappings and lists named, long text cut. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a mapping';
  // JSON escapes C0 controls; DEL, C1, separators and bidirectional controls are escaped too.
  const text = typeof value === 'string' ? escapeControlChars(JSON.stringify(value)) : String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 4)}..."` : text;
}
