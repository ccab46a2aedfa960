// SPDX-License-Identifier: Apache-2.0
// The whole service as a user runs it: a test camera over RTSP in, the tiny model, a real redis-server,
// the REST API, the annotated RTSP output read back with ffmpeg.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';

import { cpuInt8Support } from '../ts/model/precision';
import { parseMinimalSchema } from '../ts/redis/minimal-schema';
import { freePort } from './helpers/ports';
import { RedisServer } from './helpers/redis-server';
import { measureRtsp } from './helpers/rtsp-reader';
import { ServiceProcess, TINY_MODEL } from './helpers/service-process';
import { TestCamera } from './helpers/test-camera';

const FIRST = ['a person', 'a hat'];
const SECOND = ['a dog', 'a cat', 'a bike'];

describe('service on a test camera with the tiny model and Redis', () => {
  let camera: TestCamera;
  let redis: RedisServer;
  let service: ServiceProcess;
  let client: Redis;

  before(async () => {
    camera = await TestCamera.start({ width: 640, height: 360, fps: 30 });
    redis = await RedisServer.start();
    client = new Redis(redis.port, '127.0.0.1');
    service = await ServiceProcess.start({
      args: [camera.url, '--model', TINY_MODEL, '--objects', FIRST.join(', '), '--thresholds', '0.3',
        '--redis_host', '127.0.0.1', '--redis_port', String(redis.port), '--redis_stream', 'owl-e2e'],
    });
    await service.waitFor(async () => (await service.get('/ready')).status === 200, 'ready');
  });

  after(async () => {
    await service?.dispose();
    client?.disconnect();
    await camera?.stop();
    await redis?.dispose();
  });

  test('detections arrive for frames, labelled with the prompts', async () => {
    await service.waitFor(async () => (await service.get('/detections')).body.length === 1, 'a processed frame');
    const first = (await service.get('/detections')).body[0];
    assert.equal(first.streamId, 'cam');
    assert.equal(first.width, 640);
    assert.equal(first.height, 360);
    await service.waitFor(async () => (await service.get('/detections')).body[0].frameId > first.frameId,
      'a later processed frame');
    const { body: [latest] } = await service.get('/detections');
    assert.ok(latest.objects.length > 0, 'the tiny model at 0.3 finds objects');
    for (const object of latest.objects) assert.ok(FIRST.includes(object.label), object.label);
  });

  test('/status and the log say which image encoder runs and why (auto: int8 where this CPU has VNNI)', async () => {
    const { body } = await service.get('/status');
    const cpu = cpuInt8Support();
    const expected = cpu.supported ? { running: 'int8', warning: null,
      reason: `auto: the folder has an int8 image encoder and this CPU has int8 dot products (${cpu.feature})` }
      : { running: 'fp32', warning: null, reason: 'auto: this CPU has no int8 dot-product instructions (avx512_vnni, '
        + 'avx_vnni, amx_int8 or asimddp), so int8 would not be faster' };
    assert.deepEqual(body.model.precision, expected);
    assert.ok(service.log.includes(`image encoder ${expected.running}: ${expected.reason}`), service.log);
  });

  test('Redis gets one Minimal Schema entry per processed frame, in order', async () => {
    await service.waitFor(async () => await client.xlen('owl-e2e') >= 10, '10 Redis entries');
    const entries = await xrange(client, 'owl-e2e');
    const messages = entries.map((json) => parseMinimalSchema(json));
    assert.ok(messages.length >= 10);
    for (let i = 1; i < messages.length; i++) {
      assert.ok(Number(messages[i].id) > Number(messages[i - 1].id), 'frame ids increase');
    }
    for (const m of messages) {
      assert.equal(m.version, '4.0');
      assert.equal(m.sensorId, 'cam');
      assert.match(m.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      for (const o of m.objects) assert.ok(FIRST.includes(o.label));
    }
  });

  test('a prompt change relabels from the next inference on, atomically', async () => {
    const before = await client.xlen('owl-e2e');
    const query = `objects=${encodeURIComponent(SECOND.join(','))}&thresholds=0.3`;
    const answer = await service.get(`/prompt?${query}`);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.objects, SECOND);
    await service.waitFor(async () => await client.xlen('owl-e2e') >= before + 10, 'entries after the change');
    const messages = (await xrange(client, 'owl-e2e')).map((json) => parseMinimalSchema(json));
    // Every frame is labelled entirely from one prompt set: once new labels appear, old ones never return.
    const sets = messages.filter((m) => m.objects.length > 0).map((m) => {
      const labels = new Set(m.objects.map((o) => o.label));
      const old = [...labels].every((l) => FIRST.includes(l));
      const fresh = [...labels].every((l) => SECOND.includes(l));
      assert.ok(old || fresh, `frame ${m.id} mixes prompt sets: ${[...labels].join(', ')}`);
      return fresh ? 'new' : 'old';
    });
    const switchAt = sets.indexOf('new');
    assert.ok(switchAt > 0, 'old labels first, then new ones');
    assert.ok(sets.slice(switchAt).every((s) => s === 'new'), 'no old label after the switch');
    const { body: [latest] } = await service.get('/detections');
    for (const object of latest.objects) assert.ok(SECOND.includes(object.label));
  });

  test('the annotated output is H.264 at the source size and rate', async () => {
    const measured = await measureRtsp(service.outputUrl, 3);
    assert.equal(measured.codec, 'h264');
    assert.equal(measured.width, 640);
    assert.equal(measured.height, 360);
    assert.ok(measured.fps >= 25, `output at ${measured.fps} fps`);
  });
});

describe('service with Redis never reachable', () => {
  test('still serves RTSP and the API, and says why in its log', async () => {
    const deadPort = await freePort();
    const service = await ServiceProcess.start({
      args: ['test:', '--model', TINY_MODEL, '--redis_host', '127.0.0.1', '--redis_port', String(deadPort)],
      env: { OWL_INPUT_TEST_WIDTH: '320', OWL_INPUT_TEST_HEIGHT: '240' },
    });
    try {
      await service.waitFor(async () => (await service.get('/ready')).status === 200, 'ready (Redis does not gate it)');
      await service.waitFor(() => service.log.includes(`127.0.0.1:${deadPort}`), 'the Redis warning');
      assert.match(service.log, new RegExp(`Redis at 127\\.0\\.0\\.1:${deadPort} refused the connection`));
      const measured = await measureRtsp(service.outputUrl, 2);
      assert.equal(measured.codec, 'h264');
      assert.ok(measured.fps >= 25, `output at ${measured.fps} fps`);
      const status = await service.get('/status');
      assert.equal(status.body.redis.state, 'down');
      assert.equal((await service.get('/health')).status, 200);
      const { code } = await service.signal('SIGTERM');
      assert.equal(code, 0);
    } finally {
      await service.dispose();
    }
  });
});

async function xrange(client: Redis, stream: string): Promise<string[]> {
  const entries = await client.xrange(stream, '-', '+');
  return entries.map(([, fields]) => fields[fields.indexOf('metadata') + 1]);
}
