// SPDX-License-Identifier: Apache-2.0
// Issue #13, item 4: metrics and state that tell the truth. Redis connection failures are counted and the error
// goes once Redis is back; the queue never holds more than queueSize; a model folder fixed on disk is loaded on
// SIGHUP and an edited embedDim blames owl.json; a camera that comes back is noticed within about a second while
// dead cameras keep their backoff. Real parts: redis-server, the service as a process, the test camera, the
// native pipeline.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { Pipeline, type PipelineStateChange } from '../ts/pipeline';
import { RedisPublisher } from '../ts/redis/publisher';
import { freePort } from './helpers/ports';
import { RecordingServer } from './helpers/recording-server';
import { RedisServer } from './helpers/redis-server';
import { ServiceProcess, TINY_MODEL } from './helpers/service-process';
import { TestCamera } from './helpers/test-camera';
import { waitFor } from './helpers/wait';

const frame = (i: number) => ({ frameId: i, timestamp: new Date(), sensorId: 'cam', objects: [] });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-truth-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('Redis errors and queue depth', () => {
  it('counts refused and closed connections, and drops the error once Redis is back', async () => {
    const port = await freePort();
    const out = new RedisPublisher({ host: '127.0.0.1', port, stream: 'truth', warn: () => undefined });
    let server: RedisServer | null = null;
    try {
      await waitFor(() => out.status().errors >= 2, 'refusals counted');
      assert.match(out.status().lastError ?? '', /refused the connection \(ECONNREFUSED\)/);
      server = await RedisServer.start({ port });
      await waitFor(() => out.status().state === 'ready', 'connected');
      assert.equal(out.status().lastError, null, 'the old error is gone once Redis takes entries');
      const before = out.status().errors;
      await server.kill();
      await waitFor(() => out.status().errors > before, 'the closed connection counted');
      assert.equal(out.status().state, 'down');
    } finally {
      await out.close({ flushMs: 0 });
      await server?.dispose();
    }
  });

  it('never holds more than queueSize, a batch on the wire included', async () => {
    const server = await RedisServer.start();
    const out = new RedisPublisher({ host: '127.0.0.1', port: server.port, stream: 'bound', queueSize: 10, batchSize: 5,
      warn: () => undefined });
    const admin = new Redis(server.port, '127.0.0.1');
    try {
      await waitFor(() => out.status().state === 'ready', 'connected');
      // Redis holds every write for 2 s: a batch stays on the wire while frames keep coming.
      await admin.call('CLIENT', 'PAUSE', '2000', 'WRITE');
      let deepest = 0;
      for (let i = 0; i < 60; i++) {
        out.publish(frame(i));
        await sleep(20);
        deepest = Math.max(deepest, out.status().queued);
      }
      assert.equal(deepest, 10, 'the queue filled to its bound and no further');
      await waitFor(() => out.status().queued === 0, 'drained', 10_000);
      const { sent, dropped, published } = out.status();
      assert.equal(sent + dropped, published);
    } finally {
      admin.disconnect();
      await out.close({ flushMs: 0 });
      await server.dispose();
    }
  });
});

describe('the service\'s view of Redis and of its model, across repairs', () => {
  it('shows the Redis error while it lasts and not after; loads a model fixed on disk on SIGHUP', async () => {
    const model = path.join(dir, 'model');
    fs.cpSync(TINY_MODEL, model, { recursive: true });
    const owlJson = path.join(model, 'owl.json');
    const good = fs.readFileSync(owlJson, 'utf8');
    fs.writeFileSync(owlJson, good.replace('"embedDim": 32', '"embedDim": 48'));
    const redisPort = await freePort();
    const service = await ServiceProcess.start({
      args: ['test:', '--model', model, '--redis_host', '127.0.0.1', '--redis_port', String(redisPort), '--api_host', '127.0.0.1'],
      env: { OWL_INPUT_TEST_WIDTH: '160', OWL_INPUT_TEST_HEIGHT: '120', OWL_INPUT_TEST_FPS: '10' },
    });
    let server: RedisServer | null = null;
    try {
      // The edited embedDim blames owl.json, the file at fault (it used to blame the text encoder).
      await service.waitFor(async () => (await service.get('/status')).body.model?.error !== 'loading', 'the model tried');
      const { model: state } = (await service.get('/status')).body;
      assert.equal(state.loaded, false);
      assert.equal(state.error, `${owlJson}: embedDim is 48, but ${path.join(model, 'text_encoder.onnx')} and `
        + `${path.join(model, 'image_encoder.onnx')} both give embeddings of 32: owl.json was edited or belongs to another `
        + `export; set embedDim to 32, or re-export the model folder with python3 deploy/export/owl_export.py --random tiny `
        + `--seed 0 --out ${model}`);

      await service.waitFor(async () => /refused the connection/.test((await service.get('/status')).body.redis?.error ?? ''),
        'the Redis error shown');
      server = await RedisServer.start({ port: redisPort });
      await service.waitFor(async () => (await service.get('/status')).body.redis.state === 'ready', 'Redis back');
      assert.equal((await service.get('/status')).body.redis.error, null);
      assert.equal((await service.get('/ready')).body.redis.error, null);
      const errors = /^owl_redis_errors_total (\d+)$/m.exec((await service.get('/metrics')).body);
      assert.ok(Number(errors?.[1]) >= 1, `owl_redis_errors_total ${errors?.[1]}`);

      fs.writeFileSync(owlJson, good);
      service.child.kill('SIGHUP');
      await service.waitFor(async () => (await service.get('/ready')).status === 200, 'ready after SIGHUP');
      // The stream, started without a model, was rebuilt for it: frames reach the model and Redis.
      await service.waitFor(async () => /^owl_inferences_total [1-9]/m.test((await service.get('/metrics')).body),
        'inference after the reload');
      const client = new Redis(redisPort, '127.0.0.1');
      await service.waitFor(async () => (await client.xlen('owl')) > 0, 'metadata in Redis');
      client.disconnect();
      assert.match(service.log, /model .* loaded \(input 96px\)/);

      // SIGHUP with nothing changed on disk leaves the model alone.
      const loads = service.log.split('\n').filter((line) => /model .* loaded/.test(line)).length;
      service.child.kill('SIGHUP');
      await service.waitFor(() => service.log.split('\n').filter((l) => /SIGHUP: re-reading/.test(l)).length === 2, 'second SIGHUP');
      await sleep(500);
      assert.equal(service.log.split('\n').filter((line) => /model .* loaded/.test(line)).length, loads);
    } finally {
      await service.dispose();
      await server?.dispose();
    }
  });
});

describe('a camera that comes back', () => {
  // A backoff far longer than the test: only the probe can explain a quick reconnection.
  const SLOW = { initialDelayMs: 30_000, maxDelayMs: 60_000, stallTimeoutMs: 1000 };

  it('is noticed within about a second, not after the backoff', async () => {
    let camera = await TestCamera.start({ width: 160, height: 120, fps: 15 });
    const pipeline = new Pipeline();
    const states: (PipelineStateChange & { at: number })[] = [];
    pipeline.on('state', (change) => states.push({ ...change, at: performance.now() }));
    pipeline.start({ input: camera.url, output: null, reconnect: SLOW });
    try {
      await waitFor(() => pipeline.state === 'playing', 'playing');
      await camera.kill();
      await waitFor(() => pipeline.state === 'lost', 'lost', 5000);
      await sleep(1500);  // a probe or two find it gone
      camera = await TestCamera.start({ port: camera.port, width: 160, height: 120, fps: 15 });
      const back = performance.now();
      await waitFor(() => pipeline.state === 'reconnected', 'reconnected', 10_000);
      const retry = states.find((s) => s.state === 'connecting' && s.at >= back - 100);
      assert.equal(retry?.reason, `127.0.0.1:${camera.port} answers again: retrying now (attempt 2)`);
      assert.ok(performance.now() - back < 10_000);
    } finally {
      pipeline.stop();
      await camera.stop();
    }
  });

  it('keeps the backoff for a camera that stays away, and for one whose port answers without video', async () => {
    const recorder = await RecordingServer.start();
    const dead = new Pipeline();
    const silent = new Pipeline();
    const seen = { dead: [] as string[], silent: [] as string[] };
    dead.on('state', ({ state }) => seen.dead.push(state));
    silent.on('state', ({ state }) => seen.silent.push(state));
    const reconnect = { initialDelayMs: 5000, maxDelayMs: 5000, stallTimeoutMs: 500 };
    dead.start({ input: `rtsp://127.0.0.1:${await freePort()}/cam`, output: null, reconnect });
    silent.start({ input: `rtsp://127.0.0.1:${recorder.port}/cam`, output: null, reconnect });
    try {
      await waitFor(() => seen.dead.includes('lost') && seen.silent.includes('lost'), 'both lost', 5000);
      await sleep(3000);  // three probes each
      assert.deepEqual(seen.dead, ['connecting', 'lost'], 'no retry before the backoff');
      assert.deepEqual(seen.silent, ['connecting', 'lost'], 'an open port alone is no reason to retry');
    } finally {
      dead.stop();
      silent.stop();
      await recorder.stop();
    }
  });
});
