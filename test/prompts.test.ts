// SPDX-License-Identifier: Apache-2.0
// The prompt rules shared by the config file, the CLI, the REST API and the model runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PROMPT_LIMITS, parsePrompts, PromptError, PromptErrorCode } from '../ts/model/prompts';

function refused(code: PromptErrorCode, message: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof PromptError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.message, message);
    return true;
  };
}

test('comma-separated prompts and thresholds are trimmed and paired', () => {
  assert.deepEqual(parsePrompts(' a person ,a hat,  a bike', '0.1, 0.2 ,0.3'),
    { objects: ['a person', 'a hat', 'a bike'], thresholds: [0.1, 0.2, 0.3] });
  assert.deepEqual(parsePrompts(['a person', ' a hat'], [0.5, '0.25']),
    { objects: ['a person', 'a hat'], thresholds: [0.5, 0.25] });
  assert.deepEqual(parsePrompts('a person', '1e-1'), { objects: ['a person'], thresholds: [0.1] });
});

test('exactly one threshold applies to every prompt', () => {
  assert.deepEqual(parsePrompts('a,b,c', '0.2'), { objects: ['a', 'b', 'c'], thresholds: [0.2, 0.2, 0.2] });
  assert.deepEqual(parsePrompts('a,b', [0]), { objects: ['a', 'b'], thresholds: [0, 0] });
});

test('mismatched counts are refused (the seed silently dropped prompts)', () => {
  assert.throws(() => parsePrompts('a,b,c', '0.1,0.2'), refused('count_mismatch',
    '3 prompts but 2 thresholds: give one threshold per prompt, or a single threshold for all'));
  assert.throws(() => parsePrompts('a', '0.1,0.2'), refused('count_mismatch',
    '1 prompt but 2 thresholds: give one threshold per prompt, or a single threshold for all'));
});

test('thresholds must be numbers in [0, 1]', () => {
  assert.deepEqual(parsePrompts('a,b', '0,1').thresholds, [0, 1]);
  assert.throws(() => parsePrompts('a', '1.5'), refused('threshold_out_of_range',
    'threshold 1 must be a number from 0 to 1, received 1.5'));
  assert.throws(() => parsePrompts('a,b', '0.1,-0.1'), refused('threshold_out_of_range',
    'threshold 2 must be a number from 0 to 1, received -0.1'));
  assert.throws(() => parsePrompts('a', 'abc'), refused('threshold_not_number',
    'threshold 1 must be a number from 0 to 1, received "abc"'));
  assert.throws(() => parsePrompts('a,b', '0.1, '), refused('threshold_not_number',
    'threshold 2 must be a number from 0 to 1, received " "'));
  assert.throws(() => parsePrompts('a', '0x1'), refused('threshold_not_number',
    'threshold 1 must be a number from 0 to 1, received "0x1"'));
  assert.throws(() => parsePrompts('a', [NaN]), refused('threshold_not_number',
    'threshold 1 must be a number from 0 to 1, received NaN'));
  assert.throws(() => parsePrompts('a', ''), refused('missing_thresholds',
    'no thresholds given: give one per prompt, or a single one for all'));
});

test('prompts must be non-empty text without "|"', () => {
  assert.throws(() => parsePrompts('', '0.1'), refused('missing_objects',
    'no prompts given: objects must list at least one prompt, e.g. "a person,a hat"'));
  assert.throws(() => parsePrompts(undefined, '0.1'), refused('missing_objects',
    'no prompts given: objects must list at least one prompt, e.g. "a person,a hat"'));
  assert.throws(() => parsePrompts('a person,,a hat', '0.1'), refused('empty_prompt', 'prompt 2 is empty'));
  assert.throws(() => parsePrompts('a person, ', '0.1'), refused('empty_prompt', 'prompt 2 is empty'));
  assert.throws(() => parsePrompts(['a', 3], '0.1'), refused('invalid_prompt', 'prompt 2 must be text, received 3'));
  assert.throws(() => parsePrompts('a person|a hat', '0.1'), refused('invalid_character',
    'prompt 1 ("a person|a hat") contains "|", which separates fields in the Redis object strings'));
});

test('prompt count and length are bounded (defaults 25 prompts, 200 characters)', () => {
  assert.deepEqual(DEFAULT_PROMPT_LIMITS, { maxPrompts: 25, maxPromptLength: 200 });
  const many = Array.from({ length: 26 }, (_, i) => `thing ${i}`);
  assert.equal(parsePrompts(many.slice(0, 25), '0.1').objects.length, 25);
  assert.throws(() => parsePrompts(many, '0.1'), refused('too_many_prompts', '26 prompts given, at most 25 allowed'));
  assert.throws(() => parsePrompts('a,b,c', '0.1', { maxPrompts: 2, maxPromptLength: 200 }),
    refused('too_many_prompts', '3 prompts given, at most 2 allowed'));
  assert.equal(parsePrompts('x'.repeat(200), '0.1').objects[0].length, 200);
  assert.throws(() => parsePrompts('x'.repeat(201), '0.1'), refused('prompt_too_long',
    'prompt 1 is 201 characters long, at most 200 allowed'));
  // Length counts characters (code points), not UTF-16 units.
  assert.equal(parsePrompts('🦉'.repeat(5), '0.1', { maxPrompts: 1, maxPromptLength: 5 }).objects.length, 1);
});
