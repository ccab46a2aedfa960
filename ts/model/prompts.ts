// SPDX-License-Identifier: Apache-2.0
// The prompt rules, shared by the config file, the CLI, the REST API and the model runtime, so that a
// prompt list is accepted or refused with the same message wherever it comes from.
import { parseDecimal } from '../config/decimal';
import { controlCharProblem } from '../config/safe-text';
import { describeValue } from '../errors/expected';

/** Bounds on a prompt list (from config `prompts.maxPrompts` / `prompts.maxPromptLength`). */
export interface PromptLimits {
  /** Most prompts in one list. */
  maxPrompts: number;
  /** Most characters (code points) in one prompt. */
  maxPromptLength: number;
}

/** The seed service's successor allows 25 prompts; 200 characters is far beyond the 16-token text window. */
export const DEFAULT_PROMPT_LIMITS: Readonly<PromptLimits> = Object.freeze({ maxPrompts: 25, maxPromptLength: 200 });

/** A valid prompt list: one threshold per prompt, each in [0, 1]. */
export interface PromptSet {
  objects: string[];
  thresholds: number[];
}

/** Why a prompt list was refused; `code` is stable and machine-readable, `message` says what to fix. */
export type PromptErrorCode =
  | 'missing_objects'
  | 'missing_thresholds'
  | 'invalid_prompt'
  | 'empty_prompt'
  | 'invalid_character'
  | 'prompt_too_long'
  | 'too_many_prompts'
  | 'threshold_not_number'
  | 'threshold_out_of_range'
  | 'count_mismatch';

/** A refused prompt list. */
export class PromptError extends Error {
  override readonly name = 'PromptError';
  constructor(readonly code: PromptErrorCode, message: string) {
    super(message);
  }
}

// Redis object strings are `id|left|top|right|bottom|label`: a `|` in a label would break readers.
const FORBIDDEN = '|';

/**
 * Validates and normalises a prompt list.
 * @param objects comma-separated prompts ("a person, a hat") or a list of prompts; each is trimmed.
 * @param thresholds comma-separated numbers ("0.1,0.2") or a list; exactly one applies to every prompt.
 * @param limits bounds on count and length; @default DEFAULT_PROMPT_LIMITS
 * @returns the prompts and one threshold per prompt.
 * @throws {PromptError} naming the first rule broken.
 */
export function parsePrompts(objects: unknown, thresholds: unknown,
  limits: PromptLimits = DEFAULT_PROMPT_LIMITS): PromptSet {
  const prompts = parseObjects(objects, limits);
  const values = parseThresholds(thresholds);
  if (values.length === 1) return { objects: prompts, thresholds: prompts.map(() => values[0]) };
  if (values.length !== prompts.length) {
    throw new PromptError('count_mismatch', `${count(prompts.length, 'prompt')} but ${count(values.length, 'threshold')}: `
      + 'give one threshold per prompt, or a single threshold for all');
  }
  return { objects: prompts, thresholds: values };
}

function parseObjects(objects: unknown, limits: PromptLimits): string[] {
  const items = toItems(objects);
  if (items === null || items.length === 0 || (items.length === 1 && items[0] === '')) {
    throw new PromptError('missing_objects', 'no prompts given: objects must list at least one prompt, e.g. "a person,a hat"');
  }
  if (items.length > limits.maxPrompts) {
    throw new PromptError('too_many_prompts', `${items.length} prompts given, at most ${limits.maxPrompts} allowed`);
  }
  return items.map((item, i) => {
    if (typeof item !== 'string') {
      throw new PromptError('invalid_prompt', `prompt ${i + 1} must be text, received ${describeValue(item)}`);
    }
    // Before trimming: a line break at either end is as much a forged log line as one in the middle.
    const control = controlCharProblem(item);
    if (control !== null) {
      throw new PromptError('invalid_character', `prompt ${i + 1} ${control}; prompts are plain text without `
        + 'control characters');
    }
    const prompt = item.trim();
    if (prompt === '') throw new PromptError('empty_prompt', `prompt ${i + 1} is empty`);
    if (prompt.includes(FORBIDDEN)) {
      throw new PromptError('invalid_character', `prompt ${i + 1} (${describeValue(prompt)}) contains "${FORBIDDEN}", `
        + 'which separates fields in the Redis object strings');
    }
    const length = [...prompt].length;
    if (length > limits.maxPromptLength) {
      throw new PromptError('prompt_too_long',
        `prompt ${i + 1} is ${length} characters long, at most ${limits.maxPromptLength} allowed`);
    }
    return prompt;
  });
}

function parseThresholds(thresholds: unknown): number[] {
  const items = toItems(thresholds);
  if (items === null || items.length === 0 || (items.length === 1 && items[0] === '')) {
    throw new PromptError('missing_thresholds', 'no thresholds given: give one per prompt, or a single one for all');
  }
  return items.map((item, i) => {
    const value = typeof item === 'number' ? item : typeof item === 'string' ? parseDecimal(item) : undefined;
    if (value === undefined || !Number.isFinite(value)) {
      throw new PromptError('threshold_not_number', `threshold ${i + 1} must be a number from 0 to 1, received ${describeValue(item)}`);
    }
    if (value < 0 || value > 1) {
      throw new PromptError('threshold_out_of_range', `threshold ${i + 1} must be a number from 0 to 1, received ${value}`);
    }
    return value === 0 ? 0 : value; // "-0" is 0
  });
}

/** A comma-separated string or a list, as a list; null when absent. Other values become one item (refused later). */
function toItems(value: unknown): unknown[] | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value.split(',');
  return Array.isArray(value) ? value : [value];
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
