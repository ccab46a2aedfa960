// SPDX-License-Identifier: Apache-2.0
// Builders for config fields whose every failure reads "expected <what is allowed>, received <value>",
// so a wrong type, an out-of-range number and a bad enum value all name the allowed values.
import { z } from 'zod';
import { describeValue } from '../errors/expected';

type Issue = { input?: unknown };

function expecting(allowed: string): (issue: Issue) => string {
  return (issue) => `expected ${allowed}, received ${describeValue(issue.input)}`;
}

/**
 * An integer in [min, max].
 * @param allowed overrides the generated description, e.g. "0 (source size) or an integer from 16 to 7680".
 */
export function integer(min: number, max: number, fallback: number, allowed = `an integer from ${min} to ${max}`) {
  const error = expecting(allowed);
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error }).default(fallback);
}

/** A finite number in [min, max]. */
export function decimal(min: number, max: number, fallback: number) {
  const error = expecting(`a number from ${min} to ${max}`);
  return z.number({ error }).min(min, { error }).max(max, { error }).default(fallback);
}

/** Any string, the empty one included (empty usually means "not set", see the key's comment). */
export function text(fallback: string) {
  return z.string({ error: expecting('a string') }).default(fallback);
}

/** A non-empty string. */
export function nonEmptyText(fallback: string) {
  const error = expecting('a non-empty string');
  return z.string({ error }).min(1, { error }).default(fallback);
}

/** A string accepted by `check`, described by `allowed` in errors. */
export function checkedText(allowed: string, check: (value: string) => boolean, fallback: string) {
  const error = expecting(allowed);
  return z.string({ error }).refine(check, { error }).default(fallback);
}

/** A string accepted by `check`, with no default: the key must be given. */
export function requiredText(allowed: string, check: (value: string) => boolean) {
  const error = expecting(allowed);
  return z.string({ error }).refine(check, { error });
}

/** One of a fixed list of strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) {
  return z.enum(values, { error: expecting(`one of ${values.map((v) => JSON.stringify(v)).join(', ')}`) })
    .default(fallback as never);
}

/** true or false. */
export function flag(fallback: boolean) {
  return z.boolean({ error: expecting('true or false') }).default(fallback);
}

/**
 * A mapping with exactly these keys, each optional (missing keys take their defaults). An unknown key is
 * refused with the list of allowed ones.
 */
export function section<S extends z.ZodRawShape>(shape: S) {
  const keys = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => issue.code === 'unrecognized_keys'
      ? `unknown key; allowed keys: ${keys}`
      : `expected a mapping with keys ${keys}, received ${describeValue(issue.input)}`,
  });
}
