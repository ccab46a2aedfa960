// SPDX-License-Identifier: Apache-2.0
// The REST API over real HTTP on 127.0.0.1, against a stand-in ControlService: the seed's prompt call, every
// bad-input class, the status routes, the Prometheus exposition, and bind errors.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createApi } from '../ts/api/app';
import { ApiError } from '../ts/api/errors';
import type { ApiServer } from '../ts/api/server';
import { PromptError } from '../ts/model/prompts';
import { StandInControlService } from './helpers/control-service-standin';

const OPTIONS = { token: '', maxBodyBytes: 1024, promptLimits: { maxPrompts: 3, maxPromptLength: 20 } };

let service: StandInControlService;
let server: ApiServer;
let base: string;

before(async () => {
  service = new StandInControlService();
  server = createApi(service, OPTIONS);
  const { port } = await server.listen('127.0.0.1', 0);
  base = `http://127.0.0.1:${port}`;
});
after(() => server.close());
beforeEach(() => {
  service.prompts = { objects: ['a person'], thresholds: [0.1] };
  service.failWith = null;
  service.state = new StandInControlService().state;
});

async function call(path: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(base + path, init);
  const text = await response.text();
  const json = text !== '' && (response.headers.get('content-type') ?? '').startsWith('application/json');
  return { status: response.status, body: json ? JSON.parse(text) : text, headers: response.headers };
}

const JSON_TYPE = { 'Content-Type': 'application/json' };
const post = (body: string, headers: Record<string, string> = JSON_TYPE) =>
  call('/prompt', { method: 'POST', body, headers });

function error(code: string, message: string) {
  return { error: { code, message } };
}

describe('REST API: prompts', () => {
  it('answers the seed\'s curl line with the prompts now in force', async () => {
    const res = await call('/prompt?objects=a%20person,a%20hat&thresholds=0.1,0.2');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { objects: ['a person', 'a hat'], thresholds: [0.1, 0.2] });
    assert.deepEqual(service.prompts, { objects: ['a person', 'a hat'], thresholds: [0.1, 0.2] });
  });

  it('reads the current prompts with GET /prompt and HEAD changes nothing', async () => {
    service.prompts = { objects: ['a cat'], thresholds: [0.3] };
    assert.deepEqual((await call('/prompt')).body, { objects: ['a cat'], thresholds: [0.3] });
    assert.equal((await call('/prompt?objects=a%20dog&thresholds=0.5', { method: 'HEAD' })).status, 200);
    assert.deepEqual(service.prompts, { objects: ['a cat'], thresholds: [0.3] });
  });

  it('sets prompts with POST /prompt, as lists or comma-separated strings, sent as application/json', async () => {
    assert.deepEqual((await post('{"objects": ["a dog", "a ball"], "thresholds": [0.2, 0.4]}')).body,
      { objects: ['a dog', 'a ball'], thresholds: [0.2, 0.4] });
    assert.deepEqual((await post('{"objects": "a cat, a hat", "thresholds": "0.3"}', { 'Content-Type': 'application/json; charset=UTF-8' }))
      .body, { objects: ['a cat', 'a hat'], thresholds: [0.3, 0.3] });
    // A form or text/plain body is what a web page can make a browser send anywhere: refused, nothing changes.
    for (const type of [undefined, 'application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=latin1',
      'application/jsonp', 'multipart/form-data; boundary=x']) {
      const res = await post('{"objects": "a box", "thresholds": 0.6}', type === undefined ? {} : { 'Content-Type': type });
      assert.equal(res.status, 415, String(type));
      assert.equal(res.body.error.code, 'unsupported_media_type', String(type));
      assert.match(res.body.error.message, /send the body as JSON with "Content-Type: application\/json"/);
    }
    assert.deepEqual(service.prompts, { objects: ['a cat', 'a hat'], thresholds: [0.3, 0.3] });
  });

  it('DELETE /prompt goes back to the configuration\'s prompts; DELETE /prompt/<id> resets one stream', async () => {
    service.prompts = { objects: ['a cat'], thresholds: [0.3] };
    service.streamPrompts.set('front', { objects: ['a dog'], thresholds: [0.2] });
    assert.deepEqual((await call('/prompt/front', { method: 'DELETE' })).body, { objects: ['a cat'], thresholds: [0.3] });
    assert.equal(service.streamPrompts.has('front'), false);
    assert.equal((await call('/prompt/nope', { method: 'DELETE' })).status, 422);
    assert.deepEqual((await call('/prompt', { method: 'DELETE' })).body, { objects: ['a person'], thresholds: [0.1] });
  });

  it('keeps a shared threshold when thresholds are omitted, and asks for them otherwise', async () => {
    service.prompts = { objects: ['a', 'b'], thresholds: [0.25, 0.25] };
    assert.deepEqual((await call('/prompt?objects=x,y,z')).body, { objects: ['x', 'y', 'z'], thresholds: [0.25, 0.25, 0.25] });
    service.prompts = { objects: ['a', 'b'], thresholds: [0.1, 0.2] };
    const res = await post('{"objects": ["x"]}');
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, error('missing_thresholds', 'thresholds missing, and the current prompts have different '
      + 'thresholds: give one per prompt, or a single one for all'));
  });

  it('answers 400 with what is wrong for every bad prompt request, and keeps the prompts in force', async () => {
    const cases: [string, RequestInit | undefined, number, string, string][] = [
      ['/prompt?thresholds=0.1', undefined, 400, 'missing_objects',
        'no prompts given: objects must list at least one prompt, e.g. "a person,a hat"'],
      ['/prompt?objects=&thresholds=0.1', undefined, 400, 'missing_objects',
        'no prompts given: objects must list at least one prompt, e.g. "a person,a hat"'],
      ['/prompt?objects=a,b,c&thresholds=0.1,0.2', undefined, 400, 'count_mismatch',
        '3 prompts but 2 thresholds: give one threshold per prompt, or a single threshold for all'],
      ['/prompt?objects=a,b&thresholds=0.1,high', undefined, 400, 'threshold_not_number',
        'threshold 2 must be a number from 0 to 1, received "high"'],
      ['/prompt?objects=a&thresholds=1.01', undefined, 400, 'threshold_out_of_range',
        'threshold 1 must be a number from 0 to 1, received 1.01'],
      ['/prompt?objects=a,%20,b&thresholds=0.1', undefined, 400, 'empty_prompt', 'prompt 2 is empty'],
      ['/prompt?objects=a,b,c,d&thresholds=0.1', undefined, 400, 'too_many_prompts', '4 prompts given, at most 3 allowed'],
      [`/prompt?objects=${'x'.repeat(21)}&thresholds=0.1`, undefined, 400, 'prompt_too_long',
        'prompt 1 is 21 characters long, at most 20 allowed'],
      ['/prompt?objects=a%7Cb&thresholds=0.1', undefined, 400, 'invalid_character',
        'prompt 1 ("a|b") contains "|", which separates fields in the Redis object strings'],
      ['/prompt?objects=a&objects=b&thresholds=0.1', undefined, 400, 'repeated_parameter',
        'objects is given 2 times; give it once, comma-separated'],
      ['/prompt?object=a&thresholds=0.1', undefined, 400, 'unknown_parameter',
        'unknown query parameter "object"; allowed: objects, thresholds'],
      ['/prompt', { method: 'POST', headers: JSON_TYPE, body: '{"objects": ["a",' }, 400, 'invalid_json',
        `request body is not valid JSON: ${jsonError('{"objects": ["a",')}`],
      ['/prompt', { method: 'POST', headers: JSON_TYPE, body: '' }, 400, 'invalid_json', 'request body is empty; expected a JSON object'],
      ['/prompt', { method: 'POST', headers: JSON_TYPE, body: Buffer.from([0x7b, 0xff, 0x7d]) }, 400, 'invalid_json', 'request body is not UTF-8 text'],
      ['/prompt', { method: 'POST', headers: JSON_TYPE, body: '["a person"]' }, 400, 'invalid_body',
        'expected a JSON object such as {"objects": ["a person"], "thresholds": [0.1]}'],
      ['/prompt', { method: 'POST', headers: JSON_TYPE, body: '{"objects": "a", "threshold": 0.1}' }, 400, 'unknown_field',
        'unknown field "threshold"; allowed: objects, thresholds'],
      ['/prompt', { method: 'POST', headers: JSON_TYPE, body: '{"objects": ["a", 1], "thresholds": [0.1]}' }, 400, 'invalid_prompt',
        'prompt 2 must be text, received 1'],
      ['/prompt', { method: 'POST', headers: JSON_TYPE, body: '{"objects": ["a", "b"], "thresholds": [0.1, true]}' }, 400, 'threshold_not_number',
        'threshold 2 must be a number from 0 to 1, received true'],
      ['/prompt', { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ objects: 'a'.repeat(2000), thresholds: 0.1 }) }, 413, 'body_too_large',
        'request body is larger than 1024 bytes'],
      ['/prompt', { method: 'POST', body: '{}', headers: { ...JSON_TYPE, 'Content-Encoding': 'gzip' } }, 415, 'unsupported_encoding',
        'Content-Encoding "gzip" is not supported; send plain JSON'],
    ];
    for (const [path, init, status, code, message] of cases) {
      const res = await call(path, init);
      assert.equal(res.status, status, `${path} ${String(init?.body ?? '')}`);
      assert.deepEqual(res.body, error(code, message), `${path} ${String(init?.body ?? '')}`);
    }
    assert.deepEqual(service.prompts, { objects: ['a person'], thresholds: [0.1] });
  });

  it('refuses a body larger than the limit even when it is streamed without Content-Length', async () => {
    const chunks = [Buffer.from('{"objects": "'), Buffer.alloc(4096, 'a'), Buffer.from('", "thresholds": 0.1}')];
    const res = await call('/prompt', {
      method: 'POST', headers: JSON_TYPE, body: new ReadableStream({ pull(c) { const next = chunks.shift(); if (next) c.enqueue(next); else c.close(); } }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'body_too_large');
  });

  it('passes the service\'s own refusals through: PromptError 400, ApiError its status, anything else 500', async () => {
    service.failWith = new PromptError('too_many_prompts', 'the engine takes at most 1 prompt');
    assert.deepEqual(await call('/prompt?objects=a,b&thresholds=0.1').then((r) => [r.status, r.body]),
      [400, error('too_many_prompts', 'the engine takes at most 1 prompt')]);
    service.failWith = new ApiError(503, 'model_not_loaded', 'the text encoder is still loading');
    assert.deepEqual(await call('/prompt?objects=a&thresholds=0.1').then((r) => [r.status, r.body]),
      [503, error('model_not_loaded', 'the text encoder is still loading')]);
    service.failWith = new Error('secret internals');
    assert.deepEqual(await call('/prompt?objects=a&thresholds=0.1').then((r) => [r.status, r.body]),
      [500, error('internal_error', 'internal error; see the service log')]);
  });
});

describe('REST API: routes and errors', () => {
  it('answers unknown routes 404 and wrong methods 405 in JSON', async () => {
    const missing = await call('/prompts');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
    assert.match(missing.body.error.message, /^no route for GET "\/prompts"; routes: GET \/prompt, POST \/prompt, DELETE \/prompt, DELETE \/prompt\/:stream, GET \/health, /);
    const wrong = await call('/health', { method: 'POST' });
    assert.equal(wrong.status, 405);
    assert.deepEqual(wrong.body, error('method_not_allowed', 'POST "/health" is not allowed; allowed: HEAD, GET'));
    assert.equal(wrong.headers.get('allow'), 'HEAD, GET');
    const put = await call('/prompt', { method: 'PUT' });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'HEAD, GET, POST, DELETE');
    const odd = await call('/prompt', { method: 'PROPFIND' });
    assert.equal(odd.status, 501);
    assert.deepEqual(odd.body, error('not_implemented', 'method "PROPFIND" is not implemented'));
  });

  it('/health is 200 whatever the pipeline does', async () => {
    service.state.model = { loaded: false, error: 'corrupt model file' };
    service.state.streams[0].state = 'lost';
    assert.deepEqual(await call('/health').then((r) => [r.status, r.body]), [200, { status: 'ok' }]);
  });

  it('/ready is 200 when the model is loaded and streams play, else 503 with why', async () => {
    const ready = await call('/ready');
    assert.equal(ready.status, 200);
    assert.deepEqual([ready.body.ready, ready.body.reasons], [true, []]);
    service.state.model = { loaded: false, error: 'model.onnx is truncated' };
    service.state.streams[0] = { id: 'front', state: 'connecting', reason: 'rtspsrc: connection refused', since: '' };
    service.state.redis = { state: 'down', error: 'ECONNREFUSED' };
    const notReady = await call('/ready');
    assert.equal(notReady.status, 503);
    assert.deepEqual(notReady.body.reasons, ['model not loaded: model.onnx is truncated',
      'stream front is connecting: rtspsrc: connection refused']);
    assert.deepEqual(notReady.body.redis, { state: 'down', error: 'ECONNREFUSED' });
    service.state.streams = [];
    service.state.model = { loaded: false, error: null };
    assert.deepEqual((await call('/ready')).body.reasons, ['model not loaded yet', 'no stream configured']);
  });

  it('/metrics is Prometheus text with counters, gauges and the latency histogram', async () => {
    const res = await call('/metrics');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const lines = (res.body as string).split('\n');
    const sample = (name: string) => lines.filter((l) => l.startsWith(name) && !l.startsWith('#'));
    assert.deepEqual(sample('owl_frames_in_total'), ['owl_frames_in_total{stream="front"} 300']);
    assert.deepEqual(sample('owl_frames_dropped_total'), ['owl_frames_dropped_total{stream="front"} 270']);
    assert.deepEqual(sample('owl_stream_up'), ['owl_stream_up{stream="front"} 1']);
    assert.deepEqual(sample('owl_redis_queue_depth'), ['owl_redis_queue_depth 1']);
    assert.deepEqual(sample('owl_redis_errors_total'), ['owl_redis_errors_total 2']);
    assert.deepEqual(sample('owl_model_loaded'), ['owl_model_loaded 1']);
    assert.ok(lines.includes('# TYPE owl_inference_latency_seconds histogram'));
    assert.deepEqual(sample('owl_inference_latency_seconds'), [
      'owl_inference_latency_seconds_bucket{le="0.1"} 1',
      'owl_inference_latency_seconds_bucket{le="0.5"} 3',
      'owl_inference_latency_seconds_bucket{le="1"} 3',
      'owl_inference_latency_seconds_bucket{le="+Inf"} 4',
      'owl_inference_latency_seconds_sum 2.65',
      'owl_inference_latency_seconds_count 4',
    ]);
    // Every family has HELP and TYPE, and every sample line is `name{labels} number`.
    const families = lines.filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
    assert.equal(new Set(families).size, families.length);
    for (const family of families) assert.ok(lines.some((l) => l.startsWith(`# HELP ${family} `)), family);
    for (const line of lines.filter((l) => l !== '' && !l.startsWith('#'))) {
      assert.match(line, /^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+-]+$/, line);
    }
    assert.equal(res.body.endsWith('\n'), true);
  });

  it('escapes label values in the exposition', async () => {
    const original = service.metrics.bind(service);
    service.metrics = () => ({ ...original(), streams: [{ ...original().streams[0], streamId: 'a "b"\\c\nd' }] });
    try {
      const text = (await call('/metrics')).body as string;
      assert.ok(text.includes('owl_frames_in_total{stream="a \\"b\\"\\\\c\\nd"} 300'));
    } finally {
      service.metrics = original;
    }
  });

  it('/detections, /streams, /status and /config answer JSON, with secrets masked', async () => {
    assert.deepEqual((await call('/detections')).body, service.latestDetections());
    assert.deepEqual((await call('/status')).body, service.status());
    const streams = (await call('/streams')).body;
    assert.equal(streams[0].input.uri, 'rtsp://admin:***@cam:554/live/front');
    assert.equal(streams[0].input.playingUrl, 'rtsp://admin:***@cam:554/live/front');
    service.config = { ...service.config, api: { ...service.config.api, token: 'hunter2' } };
    const config = (await call('/config')).body;
    assert.equal(config.api.token, '***');
    assert.equal(config.input.uri, 'rtsp://admin:***@cam:554/live/front');
    assert.deepEqual(config.prompts, service.config.prompts);
  });

  it('reports a port in use clearly', async () => {
    const port = server.address()!.port;
    const second = createApi(service, OPTIONS);
    await assert.rejects(second.listen('127.0.0.1', port), {
      name: 'ApiListenError', code: 'EADDRINUSE',
      message: `REST API cannot listen on 127.0.0.1:${port}: the port is already in use (EADDRINUSE); stop the other process `
        + 'or choose another with api.port, --flask_port or OWL_API_PORT',
    });
    await second.close();
  });
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}
