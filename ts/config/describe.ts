// SPDX-License-Identifier: Apache-2.0
// How a refused value is shown in error messages: short, typed, never the whole document.

const MAX_SHOWN = 60;

/** A short rendering of a received value: strings quoted, mappings and lists named, long text cut. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a mapping';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 4)}..."` : text;
}
