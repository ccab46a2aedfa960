// SPDX-License-Identifier: Apache-2.0
// Builders for config fields whose every failure reads "expected <what is allowed>, received <value>",
// so a wrong type, an out-of-range number and a bad enum value all name the allowed values.
import { z } from 'zod';
import { describeValue } from '../errors/expected';
import { controlCharProblem } from './safe-text';

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

/** An integer in [min, max] that also passes `check` (e.g. a multiple of 32); every failure names `allowed`. */
export function checkedInteger(min: number, max: number, fallback: number, allowed: string,
  check: (value: number) => boolean) {
  const error = expecting(allowed);
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error }).refine(check, { error })
    .default(fallback);
}

/** A finite number in [min, max]. */
export function decimal(min: number, max: number, fallback: number) {
  const error = expecting(`a number from ${min} to ${max}`);
  return z.number({ error }).min(min, { error }).max(max, { error }).default(fallback);
}

/** A string without control characters (ts/config/safe-text.ts): no setting has a use for them. */
function plainString(allowed: string) {
  return z.string({ error: expecting(allowed) }).superRefine((value, ctx) => {
    const problem = controlCharProblem(value);
    if (problem !== null) ctx.addIssue({ code: 'custom', input: value, message: `expected ${allowed}; the value ${problem}`,
      continue: false });
  });
}

/** Any string, the empty one included (empty usually means "not set", see the key's comment); no control characters. */
export function text(fallback: string) {
  return plainString('a string').default(fallback);
}

/** A non-empty string without control characters. */
export function nonEmptyText(fallback: string) {
  const error = expecting('a non-empty string');
  return plainString('a non-empty string').refine((value) => value !== '', { error }).default(fallback);
}

/** A string accepted by `check`, described by `allowed` in errors; no control characters. */
export function checkedText(allowed: string, check: (value: string) => boolean, fallback: string) {
  const error = expecting(allowed);
  return plainString(allowed).refine(check, { error }).default(fallback);
}

/**
 * A check that gives the normal form of a value, or what is wrong with it (worded to follow "the value"; '' when it
 * is simply not what is allowed).
 */
export type Normaliser = (value: string) => { ok: true; value: string } | { ok: false; problem: string };

/**
 * A string `normalise` accepts, replaced by its normal form (URLs: what is validated is what is used).
 * @param required false: '' is accepted as "not set".
 */
export function normalisedText(allowed: string, normalise: Normaliser, required = true) {
  return z.string({ error: expecting(allowed) }).transform((value, ctx) => {
    if (value === '' && !required) return value;
    const result = normalise(value);
    if (result.ok) return result.value;
    // What the check found, never the value (it may hold a password or what the problem is about); a value that
    // is merely of another kind is shown (escaped, passwords masked).
    const message = result.problem === '' ? `expected ${allowed}, received ${describeValue(maskUserinfo(value))}`
      : `expected ${allowed}; the value ${result.problem}`;
    ctx.addIssue({ code: 'custom', input: value, message });
    return z.NEVER;
  });
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

/** `scheme://user:secret@host...` with the credentials masked, on the raw text (no parsing). */
function maskUserinfo(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}
