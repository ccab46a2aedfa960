// SPDX-License-Identifier: Apache-2.0
// The one rendering of a refused value on the TS side: "Expected <what> for <field> but received <value>", the
// template the addon uses too (native/src/common/expected.h), and describeValue for the value itself, which
// every layer's messages share (config issues show it after their own "expected ..., received").
import { escapeControlChars } from '../config/safe-text';

const MAX_SHOWN = 60;

/**
 * A short, typed, one-line rendering of a received value: strings JSON-quoted (every control character escaped:
 * JSON escapes C0, escapeControlChars the rest) and cut, numbers and booleans as they are, `nothing` for
 * undefined, lists and mappings named but never shown (they may be whole documents, or hold secrets).
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return `Date(${value.getTime()})`;
  if (typeof value === 'function') return 'a function';
  if (value !== null && typeof value === 'object') return 'a mapping';
  const text = typeof value === 'string' ? escapeControlChars(JSON.stringify(value))
    : typeof value === 'bigint' ? `${value}n` : String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 4)}..."` : text;
}

/** "Expected <expected> for <field> but received <received>", with `received` already rendered. */
export function expectedMessage(expected: string, field: string, received: string): string {
  return `Expected ${expected} for ${field} but received ${received}`;
}

/** "Expected <expected> for <field> but received <describeValue(value)>". */
export function expectedValue(expected: string, field: string, value: unknown): string {
  return expectedMessage(expected, field, describeValue(value));
}

/**
 * Checks an option that must be an integer in [min, max].
 * @throws {TypeError} "Expected an integer >= min (or: in min..max) for <name> but received <value>".
 */
export function expectInteger(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new TypeError(expectedValue(`an integer ${range}`, name, value));
  }
}
