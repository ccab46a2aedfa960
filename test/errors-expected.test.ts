// SPDX-License-Identifier: Apache-2.0
// The one TS rendering of refused values (ts/errors/expected.ts), shared by the config, pipeline, Redis, model
// and CLI messages: what each kind of value looks like, and that hostile text stays one short line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeValue, expectedMessage, expectedValue } from '../ts/errors/expected';

test('values are shown short and typed; lists and mappings are named, never shown', () => {
  assert.deepEqual([undefined, null, 1.5, NaN, true, 'abc', '', 10n, [1, 2], { token: 'secret' }, new Date(NaN),
    () => 1].map(describeValue),
  ['nothing', 'null', '1.5', 'NaN', 'true', '"abc"', '""', '10n', 'a list', 'a mapping', 'Date(NaN)', 'a function']);
});

test('strings are JSON-quoted, so control characters are escaped, and cut at 60 characters', () => {
  assert.equal(describeValue('a\nb\u0001'), '"a\\nb\\u0001"');
  const long = describeValue('x'.repeat(500));
  assert.equal(long.length, 60);
  assert.ok(long.endsWith('..."'));
});

test('the template: "Expected <what> for <field> but received <value>", as the addon writes it', () => {
  assert.equal(expectedValue('an integer', 'port', 'x'), 'Expected an integer for port but received "x"');
  assert.equal(expectedMessage('a [1,3,4,4] tensor', 'the frame', '10 floats'),
    'Expected a [1,3,4,4] tensor for the frame but received 10 floats');
});
