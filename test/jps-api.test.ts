// SPDX-License-Identifier: Apache-2.0
// The API of NVIDIA's Jetson Platform Services zero-shot detection service (the seed's successor), as its
// clients call it: the curl lines of its documentation, run as they are (only host, port and camera URL
// differ). First against the real service started empty, as that service starts; then every refusal over
// real HTTP against the stand-in ControlService.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, beforeEach, describe, test } from 'node:test';

import Redis from 'ioredis';

import { createApi } from '../ts/api/app';
import type { ApiServer } from '../ts/api/server';
import { parseMinimalSchema } from '../ts/redis/minimal-schema';
import { StandInControlService } from './helpers/control-service-standin';
import { freePort } from './helpers/ports';
import { RedisServer } from './helpers/redis-server';
import { measureRtsp, RtspWatcher } from './helpers/rtsp-reader';
import { ServiceProcess, TINY_MODEL } from './helpers/service-process';
import { TestCamera } from './helpers/test-camera';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Runs curl with the documented arguments; resolves with the HTTP status and the parsed body. */
async function curl(args: string[]): Promise<{ status: number; body: any }> {
  const { stdout } = await promisify(execFile)('curl', ['--silent', '--write-out', '\n%{http_code}', ...args]);
  const at = stdout.lastIndexOf('\n');
  const text = stdout.slice(0, at);
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch { /* headers (--head) or nothing */ }
  return { status: Number(stdout.slice(at + 1)), body };
}

// The documentation's requests (reComputer / NVIDIA JPS zero-shot detection pages), with base and URL filled in.
const addStream = (base: string, url: string) => curl(['--location', `${base}/api/v1/live-stream`,
  '--header', 'Content-Type: application/json', '--data', `{\n"liveStreamUrl": "${url}"\n}`]);
const listStreams = (base: string) => curl(['--location', `${base}/api/v1/live-stream`]);
const removeStream = (base: string, id: string) => curl(['--location', '--request', 'DELETE',
  `${base}/api/v1/live-stream/${id}`]);
const setClasses = (base: string, body: string) => curl(['-X', 'POST', `${base}/api/v1/detection/classes`,
  '-H', 'accept: application/json', '-H', 'Content-Type: application/json', '-d', body]);
const DOC_CLASSES = (id: string) => `{\n"objects": [\n    "a car", "a people"\n],\n"thresholds": [\n    0.2, 0.04\n],\n"id": "${id}"\n}`;

describe('a JPS client against the real service, started without a stream', () => {
  let camera: TestCamera;
  let redis: RedisServer;
  let client: Redis;
  let service: ServiceProcess;
  let base: string;

  before(async () => {
    camera = await TestCamera.start({ width: 320, height: 240, fps: 30 });
    redis = await RedisServer.start();
    client = new Redis(redis.port, '127.0.0.1');
    service = await ServiceProcess.start({
      args: ['--model', TINY_MODEL, '--redis_host', '127.0.0.1', '--redis_port', String(redis.port),
        '--redis_stream', 'owl-jps'],
      env: { OWL_INPUT_ALLOW_EMPTY: 'true', OWL_INPUT_MAX_STREAMS: '2', OWL_MODEL_THREADS: '1' },
    });
    base = `http://127.0.0.1:${service.apiPort}`;
  });

  after(async () => {
    await service?.dispose();
    client?.disconnect();
    await camera?.stop();
    await redis?.dispose();
  });

  test('health, add, list, classes, remove: as the documentation shows', async () => {
    await service.waitFor(async () => (await curl(['--location', `${base}/api/v1/health/ready`])).status === 200, 'ready');
    assert.deepEqual((await curl(['--location', `${base}/api/v1/health/ready`])).body, { detail: 'healthy' });
    assert.equal((await curl(['--head', `${base}/api/v1/health/ready`])).status, 200);
    assert.deepEqual(await listStreams(base), { status: 200, body: [] });

    const added = await addStream(base, camera.url);
    assert.equal(added.status, 200, JSON.stringify(added.body));
    assert.deepEqual(Object.keys(added.body), ['id']);
    assert.match(added.body.id, UUID);
    const { id } = added.body;
    assert.deepEqual(await listStreams(base), { status: 200, body: [{ id, liveStreamUrl: camera.url, description: '' }] });
    // The first stream is served where the successor serves its only one: <output>/out.
    const measured = await measureRtsp(service.outputUrl, 1);
    assert.equal(measured.codec, 'h264');
    assert.deepEqual([measured.width, measured.height], [320, 240]);

    const classes = await setClasses(base, DOC_CLASSES(id));
    assert.deepEqual(classes, { status: 200, body: { detail: 'Detection classes set.' } });
    const stream = (await service.get('/streams')).body[0];
    assert.deepEqual(stream.prompts, { objects: ['a car', 'a people'], thresholds: [0.2, 0.04] });
    // Metadata after the change carries the new labels only.
    const from = (await client.xrevrange('owl-jps', '+', '-', 'COUNT', 1))[0]?.[0] ?? '0';
    await service.waitFor(async () => (await client.xrange('owl-jps', `(${from}`, '+')).length >= 5, 'entries after the change');
    const labels = new Set((await client.xrange('owl-jps', `(${from}`, '+'))
      .flatMap(([, fields]) => parseMinimalSchema(fields[1]).objects.map((o) => o.label)));
    assert.ok(labels.size > 0 && [...labels].every((l) => ['a car', 'a people'].includes(l)), [...labels].join(', '));

    const watcher = new RtspWatcher(service.outputUrl);
    await watcher.ready;
    assert.deepEqual(await removeStream(base, id), { status: 200, body: { detail: 'Stream removed successfully' } });
    const removedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(watcher.countBetween(removedAt + 300, performance.now()), 0, 'the output ends with the stream');
    await watcher.stop();
    assert.deepEqual(await listStreams(base), { status: 200, body: [] });
    const again = await removeStream(base, id);
    assert.equal(again.status, 422);
    assert.match(again.body.detail, new RegExp(`^Stream ID "${id}" does not exist; no stream is running`));
  });

  test('refusals name what is wrong, in FastAPI\'s `detail` too', async () => {
    const notRtsp = await addStream(base, 'http://127.0.0.1:81');
    assert.equal(notRtsp.status, 400);
    assert.equal(notRtsp.body.detail,
      'Livestream URL must be an RTSP link starting with \'rtsp://\', received "http://127.0.0.1:81"');
    assert.deepEqual(notRtsp.body.error, { code: 'invalid_url', message: notRtsp.body.detail });

    const deadPort = await freePort();
    const dead = await addStream(base, `rtsp://127.0.0.1:${deadPort}/none`);
    assert.equal(dead.status, 422);
    // The same words whatever failed (see test/security-stream-errors.test.ts): no port scanning through the API.
    assert.equal(dead.body.detail, `Failed to add stream: no RTSP video at rtsp://127.0.0.1:${deadPort}/none`);
    assert.deepEqual((await listStreams(base)).body, [], 'a stream that failed to start is not kept');

    // input.maxStreams is 2 here.
    const ids = [(await addStream(base, camera.url)).body.id, (await addStream(base, camera.url)).body.id];
    const third = await addStream(base, camera.url);
    assert.equal(third.status, 422);
    assert.equal(third.body.error.code, 'too_many_streams');
    assert.match(third.body.detail, /^Stream maximum reached: 2 streams are running and input\.maxStreams is 2;/);
    // Each stream has its own output, both on the one RTSP server.
    const outputs = (await service.get('/streams')).body.map((s: any) => s.outputUrl);
    assert.deepEqual(outputs, [service.outputUrl, `${service.outputUrl}/${ids[1]}`]);
    for (const id of ids) assert.equal((await removeStream(base, id)).status, 200);
  });
});

describe('the JPS routes against a stand-in service', () => {
  let service: StandInControlService;
  let server: ApiServer;
  let base: string;

  before(async () => {
    service = new StandInControlService();
    server = createApi(service, { token: '', maxBodyBytes: 1024, promptLimits: { maxPrompts: 3, maxPromptLength: 20 } });
    base = `http://127.0.0.1:${(await server.listen('127.0.0.1', 0)).port}`;
  });
  after(() => server.close());
  beforeEach(() => {
    service.added = [];
    service.streamPrompts.clear();
    service.prompts = { objects: ['a person'], thresholds: [0.1] };
    service.state = new StandInControlService().state;
  });

  const post = (path: string, body: unknown): Promise<{ status: number; body: any }> => fetch(base + path, { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })
    .then(async (r) => ({ status: r.status, body: await r.json() }));

  test('the documented calls, including the description and per-stream classes', async () => {
    const added = await post('/api/v1/live-stream', { liveStreamUrl: 'rtsp://cam:554/live', description: 'gate' });
    assert.equal(added.status, 200);
    assert.match(added.body.id, UUID);
    const listed = await listStreams(base);
    assert.deepEqual(listed.body, [
      { id: 'front', liveStreamUrl: 'rtsp://admin:***@cam:554/live/front', description: '' },
      { id: added.body.id, liveStreamUrl: 'rtsp://cam:554/live', description: 'gate' },
    ]);
    assert.deepEqual(await setClasses(base, DOC_CLASSES(added.body.id)),
      { status: 200, body: { detail: 'Detection classes set.' } });
    assert.deepEqual(service.streamPrompts.get(added.body.id), { objects: ['a car', 'a people'], thresholds: [0.2, 0.04] });
    assert.deepEqual(service.prompts, { objects: ['a person'], thresholds: [0.1] }, 'other streams keep theirs');
  });

  test('classes without an id apply to every stream; empty lists stop detection', async () => {
    assert.equal((await post('/api/v1/detection/classes', { objects: ['a car'], thresholds: [0.2] })).status, 200);
    assert.deepEqual(service.prompts, { objects: ['a car'], thresholds: [0.2] });
    assert.equal((await post('/api/v1/detection/classes', { objects: ['a dog'], thresholds: [0.3], id: null })).status, 200);
    assert.deepEqual(service.prompts, { objects: ['a dog'], thresholds: [0.3] });
    const cleared = await post('/api/v1/detection/classes', { objects: [], thresholds: [] });
    assert.deepEqual(cleared, { status: 200, body: { detail: 'Detection classes set.' } });
    assert.deepEqual(service.streamPrompts.get('front'), { objects: [], thresholds: [] });
  });

  test('thresholds: [0, 1] as they are; up to 100 accepted as the successor does, applied as 1', async () => {
    const high = await post('/api/v1/detection/classes', { objects: ['a car', 'a bus'], thresholds: [0.5, 50], id: 'front' });
    assert.equal(high.status, 200);
    assert.equal(high.body.detail, 'Detection classes set.');
    assert.deepEqual(high.body.warnings, ['threshold 2 is 50; scores are at most 1, so it is applied as 1 (that prompt '
      + 'never detects): thresholds are scores from 0 to 1, e.g. 0.2']);
    assert.deepEqual(service.streamPrompts.get('front'), { objects: ['a car', 'a bus'], thresholds: [0.5, 1] });
    const over = await post('/api/v1/detection/classes', { objects: ['a car'], thresholds: [100.5] });
    assert.equal(over.status, 422);
    assert.equal(over.body.detail, 'threshold 1 must be a number from 0 to 100, received 100.5');
    assert.equal((await post('/api/v1/detection/classes', { objects: ['a car'], thresholds: ['0.2'] })).status, 422);
  });

  test('every refusal is a 4xx with a message saying what to fix', async () => {
    const cases: [string, unknown, number, string, RegExp][] = [
      ['/api/v1/live-stream', {}, 422, 'invalid_field', /^liveStreamUrl: expected a string of at most 1000 characters, received nothing$/],
      ['/api/v1/live-stream', { liveStreamUrl: 'x'.repeat(1001) }, 422, 'invalid_field', /received "x{55}\.\.\."$/],
      ['/api/v1/live-stream', { liveStreamUrl: 'rtsp://' }, 400, 'invalid_url', /starting with 'rtsp:\/\/', liveStreamUrl has no host$/],
      ['/api/v1/live-stream', '{"liveStreamUrl": ', 422, 'invalid_json', /^request body is not valid JSON/],
      ['/api/v1/live-stream', '[]', 422, 'invalid_body', /^expected a JSON object such as \{"liveStreamUrl"/],
      ['/api/v1/detection/classes', { objects: 'a car', thresholds: [0.2] }, 422, 'invalid_field', /^objects: expected a list, received "a car"$/],
      ['/api/v1/detection/classes', { objects: ['a', 'b'], thresholds: [0.1, 0.2, 0.3] }, 422, 'count_mismatch',
        /^2 prompts but 3 thresholds/],
      ['/api/v1/detection/classes', { objects: ['a', 'b', 'c', 'd'], thresholds: [0.1] }, 422, 'too_many_prompts',
        /^4 prompts given, at most 3 allowed$/],
      ['/api/v1/detection/classes', { objects: ['a|b'], thresholds: [0.1] }, 422, 'invalid_character', /contains "\|"/],
      ['/api/v1/detection/classes', { objects: ['a'], thresholds: [0.1], id: 'nope' }, 422, 'unknown_stream',
        /^Stream ID "nope" does not exist$/],
      ['/api/v1/detection/classes', { objects: ['a'], thresholds: [0.1], id: 7 }, 422, 'invalid_field',
        /^id: expected a string of at most 100 characters, received 7$/],
    ];
    for (const [path, body, status, code, message] of cases) {
      const res = await post(path, body);
      assert.equal(res.status, status, `${path} ${JSON.stringify(body)}`);
      assert.equal(res.body.error.code, code, `${path} ${JSON.stringify(body)}`);
      assert.match(res.body.detail, message);
      assert.equal(res.body.error.message, res.body.detail);
    }
    service.maxStreams = 1;
    const full = await post('/api/v1/live-stream', { liveStreamUrl: 'rtsp://cam/1' });
    service.maxStreams = 3;
    assert.deepEqual([full.status, full.body.error.code], [422, 'too_many_streams']);
    const unknown = await fetch(`${base}/api/v1/live-stream/nope`, { method: 'DELETE' });
    assert.equal(unknown.status, 422);
    assert.equal((await unknown.json() as any).detail, 'Stream ID "nope" does not exist');
    const missing = await fetch(`${base}/api/v1/nothing`);
    assert.equal(missing.status, 404);
    assert.match((await missing.json() as any).detail, /^no route for GET "\/api\/v1\/nothing"/);
  });

  test('health/ready: 200 once the model is loaded, 503 saying why before; public when a token is set', async () => {
    service.state.model = { loaded: false, error: 'image_encoder.onnx is corrupt' };
    const notReady = await fetch(`${base}/api/v1/health/ready`);
    assert.equal(notReady.status, 503);
    assert.equal((await notReady.json() as any).detail, 'model not loaded: image_encoder.onnx is corrupt');
    const guarded = createApi(service, { token: 'hunter2', maxBodyBytes: 1024, promptLimits: { maxPrompts: 3, maxPromptLength: 20 } });
    const port = (await guarded.listen('127.0.0.1', 0)).port;
    try {
      service.state.model = { loaded: true, error: null };
      const ready = await fetch(`http://127.0.0.1:${port}/api/v1/health/ready`);
      assert.deepEqual([ready.status, await ready.json()], [200, { detail: 'healthy' }]);
      const list = await fetch(`http://127.0.0.1:${port}/api/v1/live-stream`);
      assert.equal(list.status, 401);
      const authorised = await fetch(`http://127.0.0.1:${port}/api/v1/live-stream`, { headers: { Authorization: 'Bearer hunter2' } });
      assert.equal(authorised.status, 200);
    } finally {
      await guarded.close();
    }
  });
});
