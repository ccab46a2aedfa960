// SPDX-License-Identifier: Apache-2.0
// Several cameras in one service process, with real parts: three test cameras on loopback, the tiny model,
// a real redis-server, the outputs read back over RTSP. Streams are added and removed while others run,
// and what a removed stream held (threads, sockets) is counted in /proc.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';

import { parseMinimalSchema, type MinimalSchemaMessage } from '../ts/redis/minimal-schema';
import { RedisServer } from './helpers/redis-server';
import { measureRtsp, RtspWatcher } from './helpers/rtsp-reader';
import { ServiceProcess, TINY_MODEL } from './helpers/service-process';
import { TestCamera } from './helpers/test-camera';

const SHARED = ['a person', 'a hat'];
const SOUTH_ONLY = ['a bike'];
const CAMERA = { width: 320, height: 240, fps: 30 };

describe('three cameras in one service', () => {
  const cameras: TestCamera[] = [];
  let redis: RedisServer;
  let client: Redis;
  let service: ServiceProcess;
  let dir: string;

  before(async () => {
    for (const mount of ['/front', '/north', '/south', '/spare']) cameras.push(await TestCamera.start({ ...CAMERA, mount }));
    redis = await RedisServer.start();
    client = new Redis(redis.port, '127.0.0.1');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-multi-'));
    const config = path.join(dir, 'owl.yaml');
    // input.uri (the positional argument) is the first stream; two more come from `streams:`, one of them
    // with prompts of its own.
    fs.writeFileSync(config, [
      'input:', '  rtsp: {latencyMs: 50}', '  maxStreams: 4',
      `model: {folder: ${JSON.stringify(TINY_MODEL)}, threads: 1}`,
      `prompts: {objects: ${JSON.stringify(SHARED)}, thresholds: [0.3]}`,
      `redis: {host: 127.0.0.1, port: ${redis.port}, stream: owl-multi}`,
      'streams:',
      `  - uri: ${cameras[1].url}`,
      `  - uri: ${cameras[2].url}`,
      `    prompts: {objects: ${JSON.stringify(SOUTH_ONLY)}, thresholds: [0.3]}`,
      '',
    ].join('\n'));
    service = await ServiceProcess.start({ args: [cameras[0].url, '--config', config] });
    await service.waitFor(async () => (await service.get('/ready')).status === 200, 'ready with three streams');
  });

  after(async () => {
    await service?.dispose();
    client?.disconnect();
    await Promise.all(cameras.map((camera) => camera.stop()));
    await redis?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('each stream has its own id, sensor id and output mount on the one RTSP server', async () => {
    const streams = (await service.get('/streams')).body;
    assert.deepEqual(streams.map((s: any) => [s.id, s.sensorId, s.outputUrl]), [
      ['front', 'front', service.outputUrl],
      ['north', 'north', `${service.outputUrl}/north`],
      ['south', 'south', `${service.outputUrl}/south`],
    ]);
    assert.deepEqual(streams.map((s: any) => s.prompts), [null, null, { objects: SOUTH_ONLY, thresholds: [0.3] }]);
    const metrics = (await service.get('/metrics')).body as string;
    for (const id of ['front', 'north', 'south']) assert.match(metrics, new RegExp(`^owl_frames_in_total\\{stream="${id}"\\} \\d+$`, 'm'));
    const status = (await service.get('/status')).body;
    assert.deepEqual(status.streams.map((s: any) => [s.id, s.state]),
      [['front', 'playing'], ['north', 'playing'], ['south', 'playing']]);
  });

  test('all three outputs play at the source rate at once', async () => {
    const urls = (await service.get('/streams')).body.map((s: any) => s.outputUrl as string);
    const measured = await Promise.all(urls.map((url: string) => measureRtsp(url, 3)));
    measured.forEach((m, i) => {
      assert.equal(m.codec, 'h264', urls[i]);
      assert.deepEqual([m.width, m.height], [CAMERA.width, CAMERA.height], urls[i]);
      assert.ok(m.fps >= 25, `${urls[i]} at ${m.fps.toFixed(1)} fps over 3 s`);
    });
  });

  test('Redis entries carry each stream\'s sensor id; per-stream prompts label only their stream', async () => {
    await service.waitFor(async () => {
      const bySensor = group(await entries(client));
      return ['front', 'north', 'south'].every((id) => (bySensor.get(id) ?? []).filter((m) => m.objects.length > 0).length >= 3);
    }, 'detections from every stream');
    const bySensor = group(await entries(client));
    assert.deepEqual([...bySensor.keys()].sort(), ['front', 'north', 'south']);
    for (const [sensor, messages] of bySensor) {
      const allowed = sensor === 'south' ? SOUTH_ONLY : SHARED;
      const labels = new Set(messages.flatMap((m) => m.objects.map((o) => o.label)));
      assert.ok([...labels].every((label) => allowed.includes(label)), `${sensor}: ${[...labels].join(', ')}`);
    }
    // The model's frames are shared: each stream's frame ids increase, and every stream gets its turn.
    const counts = [...bySensor.values()].map((messages) => messages.length);
    assert.ok(Math.min(...counts) * 3 >= Math.max(...counts), `frames per stream ${counts.join(', ')}`);
  });

  test('the seed\'s GET /prompt applies to every stream, those with prompts of their own included', async () => {
    const from = (await client.xrevrange('owl-multi', '+', '-', 'COUNT', 1))[0][0];
    const answer = await service.get('/prompt?objects=a%20dog&thresholds=0.3');
    assert.deepEqual(answer.body, { objects: ['a dog'], thresholds: [0.3] });
    assert.deepEqual((await service.get('/streams')).body.map((s: any) => s.prompts), [null, null, null]);
    const since = async () => (await client.xrange('owl-multi', `(${from}`, '+'))
      .map(([, fields]) => parseMinimalSchema(fields[fields.indexOf('metadata') + 1]));
    // Entries of frames already in the model when the prompts changed may still carry the old labels.
    await service.waitFor(async () => {
      const bySensor = group(await since());
      return ['front', 'north', 'south'].every((sensor) => (bySensor.get(sensor) ?? []).slice(-3)
        .filter((m) => m.objects.length > 0 && m.objects.every((o) => o.label === 'a dog')).length === 3);
    }, 'every stream on "a dog"');
  });

  test('a stream is added and another removed while a third runs on; the removed one\'s output ends', async () => {
    const [, north, south] = (await service.get('/streams')).body;
    const watchSouth = new RtspWatcher(south.outputUrl);
    const watchNorth = new RtspWatcher(north.outputUrl);
    try {
      await Promise.all([watchSouth.ready, watchNorth.ready]);
      // A window before the changes too: after the readers' start-up burst.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const t0 = performance.now();
      const added = await service.get('/api/v1/live-stream', { method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ liveStreamUrl: cameras[3].url, description: 'spare camera' }) });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      const removed = await service.get('/api/v1/live-stream/north', { method: 'DELETE' });
      assert.deepEqual([removed.status, removed.body], [200, { detail: 'Stream removed successfully' }]);
      const t1 = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const t2 = performance.now();
      // South never stopped: frames in every 500 ms window from before the changes to after them.
      for (let t = t0 - 500; t + 500 <= t2; t += 500) {
        assert.ok(watchSouth.countBetween(t, t + 500) >= 5, `south frames in [${(t - t0).toFixed(0)}, +500) ms`);
      }
      assert.equal(watchNorth.countBetween(t1 + 500, t2), 0, 'no north frames after its removal');
      const ids = (await service.get('/streams')).body.map((s: any) => s.id);
      assert.deepEqual(ids, ['front', 'south', added.body.id]);
      const spare = (await service.get('/streams')).body[2];
      assert.equal(spare.outputUrl, `${service.outputUrl}/${added.body.id}`);
      assert.equal(spare.sensorId, 'spare');
      const measured = await measureRtsp(spare.outputUrl, 1);
      assert.ok(measured.fps >= 20, `added stream at ${measured.fps} fps`);
    } finally {
      await Promise.all([watchSouth.stop(), watchNorth.stop()]);
    }
  });

  test('20 add/remove cycles leave no thread or socket behind', async () => {
    const pid = service.child.pid!;
    const cycle = async () => {
      const added = await service.get('/api/v1/live-stream', { method: 'POST',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ liveStreamUrl: cameras[1].url }) });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      // A client on the new mount too: its session must go with the stream.
      const outputUrl = (await service.get('/streams')).body.find((s: any) => s.id === added.body.id).outputUrl;
      const watcher = new RtspWatcher(outputUrl);
      await watcher.ready;
      const removed = await service.get(`/api/v1/live-stream/${added.body.id}`, { method: 'DELETE' });
      assert.equal(removed.status, 200);
      await watcher.stop();
    };
    // One cycle first: thread pools that GStreamer and the RTSP server create on first use are not leaks.
    await cycle();
    await settle();
    const before = resources(pid);
    for (let i = 0; i < 20; i++) await cycle();
    await settle();
    const afterCycles = resources(pid);
    assert.ok(afterCycles.threads <= before.threads, `threads ${before.threads} -> ${afterCycles.threads}`);
    assert.ok(afterCycles.fds <= before.fds, `file descriptors ${before.fds} -> ${afterCycles.fds}`);
    assert.equal((await service.get('/streams')).body.length, 3);
    assert.equal(service.exitCode, null);
  });
});

/** Threads and open file descriptors (sockets included) of a process. */
function resources(pid: number): { threads: number; fds: number } {
  return { threads: fs.readdirSync(`/proc/${pid}/task`).length, fds: fs.readdirSync(`/proc/${pid}/fd`).length };
}

// Sockets close and threads exit shortly after a stream stops (RTSP clients time out, libuv closes handles).
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1500));
}

async function entries(client: Redis): Promise<MinimalSchemaMessage[]> {
  const all = await client.xrange('owl-multi', '-', '+');
  return all.map(([, fields]) => parseMinimalSchema(fields[fields.indexOf('metadata') + 1]));
}

function group(messages: MinimalSchemaMessage[]): Map<string, MinimalSchemaMessage[]> {
  const bySensor = new Map<string, MinimalSchemaMessage[]>();
  for (const m of messages) bySensor.set(m.sensorId, [...(bySensor.get(m.sensorId) ?? []), m]);
  return bySensor;
}

describe('removing a stream', () => {
  test('the service keeps answering while the stream\'s pipeline is torn down', async () => {
    const camera = await TestCamera.start(CAMERA);
    const service = await ServiceProcess.start({ args: ['--model', TINY_MODEL], env: { OWL_INPUT_ALLOW_EMPTY: 'true' } });
    try {
      const added = await service.get('/api/v1/live-stream', { method: 'POST',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ liveStreamUrl: camera.url }) });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      // A hung camera: the input's teardown waits for its answer to RTSP TEARDOWN (rtspsrc gives it 100 ms).
      camera.freeze();
      const sentAt = performance.now();
      const removal = service.get(`/api/v1/live-stream/${added.body.id}`, { method: 'DELETE' })
        .then((answer) => ({ ...answer, at: performance.now() }));
      // Asked well after the removal began, so that they can only be answered meanwhile if nothing blocks.
      const probes: { sent: number; answered: number }[] = [];
      let removed = false;
      void removal.then(() => { removed = true; });
      await new Promise((resolve) => setTimeout(resolve, 30));
      while (!removed) {
        const sent = performance.now();
        if ((await service.get('/health')).status === 200) probes.push({ sent, answered: performance.now() });
      }
      const { status, at } = await removal;
      assert.equal(status, 200);
      const during = probes.filter((probe) => probe.answered < at);
      assert.ok(during.length > 0, `/health answered while the removal took ${(at - sentAt).toFixed(0)} ms`);
      assert.deepEqual((await service.get('/api/v1/live-stream')).body, []);
    } finally {
      camera.thaw();
      await service.dispose();
      await camera.stop();
    }
  });
});

describe('streams re-read on SIGHUP', () => {
  test('entries added and removed in the file start and stop; unchanged ones play on', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-multi-hup-'));
    const config = path.join(dir, 'owl.yaml');
    const write = (streams: string[]) => fs.writeFileSync(config, [
      'input: {uri: "test:", test: {width: 320, height: 240}}',
      `model: {folder: ${JSON.stringify(TINY_MODEL)}, threads: 1}`,
      'streams:', ...streams.map((s) => `  - ${s}`), '',
    ].join('\n'));
    write(['{uri: "test:ball", id: a}', '{uri: "test:snow", id: b}']);
    const service = await ServiceProcess.start({ args: ['--config', config] });
    let watcher: RtspWatcher | null = null;
    try {
      await service.waitFor(async () => (await service.get('/ready')).status === 200, 'ready');
      const ids = async () => (await service.get('/streams')).body.map((s: any) => s.id);
      assert.deepEqual(await ids(), ['test', 'a', 'b']);
      watcher = new RtspWatcher(`${service.outputUrl}/a`);
      await watcher.ready;
      write(['{uri: "test:ball", id: a}', '{uri: "test:smpte", id: c}']);
      const hupAt = performance.now();
      service.child.kill('SIGHUP');
      await service.waitFor(async () => JSON.stringify(await ids()) === '["test","a","c"]', 'b replaced by c');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      for (let t = hupAt; t + 500 <= performance.now(); t += 500) {
        assert.ok(watcher.countBetween(t, t + 500) >= 5, `stream a frames in [${(t - hupAt).toFixed(0)}, +500) ms`);
      }
      assert.match(service.log, /stream b removed \(no longer configured\)/);
      assert.doesNotMatch(service.log, /take effect after a restart/);
    } finally {
      await watcher?.stop();
      await service.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
