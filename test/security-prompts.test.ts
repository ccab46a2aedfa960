// SPDX-License-Identifier: Apache-2.0
// Issue #13, item 2: control characters and broken encodings in prompts (and every other request text) are
// refused with 400 naming the position, checked on the RAW query string (Koa's parser would have turned them into
// U+FFFD), before they can reach a log line or a Redis label. Real HTTP against the API over a stand-in service.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApi } from '../ts/api/app';
import type { ApiServer } from '../ts/api/server';
import { StandInControlService } from './helpers/control-service-standin';

let service: StandInControlService;
let server: ApiServer;
let base: string;

before(async () => {
  service = new StandInControlService();
  server = createApi(service, { token: '', maxBodyBytes: 4096, promptLimits: { maxPrompts: 25, maxPromptLength: 200 } });
  base = `http://127.0.0.1:${(await server.listen('127.0.0.1', 0)).port}`;
});
after(() => server.close());

async function call(path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const response = await fetch(base + path, init);
  return { status: response.status, body: await response.json() };
}

const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body) });

describe('prompts with control characters or broken encodings', () => {
  it('refuses the issue\'s requests with 400, naming what and where, and keeps the prompts', async () => {
    const cases: [string, string, string][] = [
      ['/prompt?objects=line1%0aline2', 'invalid_character',
        'the query string contains a line feed (U+000A) at position 14; control characters are not accepted'],
      ['/prompt?objects=a%00', 'invalid_character',
        'the query string contains a NUL character (U+0000) at position 10; control characters are not accepted'],
      ['/prompt?objects=%1b%5b31mred', 'invalid_character',
        'the query string contains an escape character (U+001B) at position 9; control characters are not accepted'],
      ['/prompt?objects=a%0d&thresholds=0.2', 'invalid_character',
        'the query string contains a carriage return (U+000D) at position 10; control characters are not accepted'],
      ['/prompt?objects=%C2%85x', 'invalid_character',
        'the query string contains a next-line character (U+0085) at position 9; control characters are not accepted'],
      ['/prompt?objects=%E2%80%AEevil', 'invalid_character',
        'the query string contains a bidirectional control (U+202E) at position 9; control characters are not accepted'],
      ['/prompt?objects=%FF%FE', 'invalid_encoding',
        'the query string is not UTF-8 at position 9 (byte 0xFF); percent-encode text as UTF-8'],
      // An encoded lone surrogate (CESU-8), and an overlong encoding of "/".
      ['/prompt?objects=a%ED%A0%80', 'invalid_encoding',
        'the query string is not UTF-8 at position 10 (byte 0xED); percent-encode text as UTF-8'],
      ['/prompt?objects=%C0%AF', 'invalid_encoding',
        'the query string is not UTF-8 at position 9 (byte 0xC0); percent-encode text as UTF-8'],
      ['/prompt?objects=caf%C3', 'invalid_encoding',
        'the query string is not UTF-8 at position 12 (byte 0xC3); percent-encode text as UTF-8'],
      ['/prompt?objects=100%', 'invalid_encoding',
        'the query string has a broken percent-encoding at position 12 ("%" must be followed by two hex digits; write "%25" for "%")'],
      ['/prompt?objects=%zz', 'invalid_encoding',
        'the query string has a broken percent-encoding at position 9 ("%" must be followed by two hex digits; write "%25" for "%")'],
      ['/prompt%0a?objects=a', 'invalid_character',
        'the path contains a line feed (U+000A) at position 8; control characters are not accepted'],
    ];
    for (const [path, code, message] of cases) {
      const res = await call(path);
      assert.equal(res.status, 400, path);
      assert.deepEqual(res.body, { error: { code, message } }, path);
    }
    assert.deepEqual(service.prompts, { objects: ['a person'], thresholds: [0.1] });
  });

  it('still takes text that only looks unusual: UTF-8, spaces, plus signs', async () => {
    const res = await call('/prompt?objects=caf%C3%A9,a+red+car,%F0%9F%90%88&thresholds=0.2');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { objects: ['café', 'a red car', '🐈'], thresholds: [0.2, 0.2, 0.2] });
  });

  it('refuses control characters in JSON bodies, every route, naming the prompt and position', async () => {
    service.prompts = { objects: ['a person'], thresholds: [0.1] };
    const prompt = await call('/prompt', json({ objects: ['a person', 'a\u001b[2Jhat'], thresholds: [0.1] }));
    assert.equal(prompt.status, 400);
    assert.deepEqual(prompt.body.error, { code: 'invalid_character',
      message: 'prompt 2 contains an escape character (U+001B) at position 2; prompts are plain text without control characters' });
    const trailing = await call('/prompt', json({ objects: 'a person\n', thresholds: 0.1 }));
    assert.equal(trailing.body.error.message, 'prompt 1 contains a line feed (U+000A) at position 9; prompts are plain text '
      + 'without control characters', 'not trimmed away first');
    const lone = await call('/prompt', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: '{"objects": ["a\\ud800b"], "thresholds": [0.1]}' });
    assert.equal(lone.body.error.message, 'prompt 1 contains a lone surrogate (U+D800) at position 2; prompts are plain text '
      + 'without control characters');
    const classes = await call('/api/v1/detection/classes', json({ objects: ['a car\r\nX'], thresholds: [0.2] }));
    assert.equal(classes.status, 422);
    assert.equal(classes.body.detail, 'prompt 1 contains a carriage return (U+000D) at position 6; prompts are plain text '
      + 'without control characters');
    const description = await call('/api/v1/live-stream', json({ liveStreamUrl: 'rtsp://cam/1', description: 'gate\nX' }));
    assert.equal(description.status, 422);
    assert.equal(description.body.detail, 'description contains a line feed (U+000A) at position 5; send plain text');
    const id = await call('/api/v1/detection/classes', json({ objects: ['a'], thresholds: [0.2], id: 'front\u0000' }));
    assert.equal(id.body.detail, 'id contains a NUL character (U+0000) at position 6; send plain text');
    const deleted = await fetch(`${base}/api/v1/live-stream/front%0d%0a`, { method: 'DELETE' });
    assert.equal(deleted.status, 400);
    assert.deepEqual(service.prompts, { objects: ['a person'], thresholds: [0.1] });
    assert.equal(service.streams().length, 1, 'nothing added, nothing removed');
  });
});
