// SPDX-License-Identifier: Apache-2.0
// Prompts take effect at once: a prompt change decodes each concerned stream's newest frame again with the new
// text embeddings and pushes it to the overlay, /detections and Redis (marked as a re-decode of that frame)
// before the API answers, without waiting for the model's next frame. Real parts: test cameras over RTSP, the
// tiny model, a real redis-server, the annotated output decoded by ffmpeg. The model's frames are held a batch
// window apart (a second camera, frozen, is waited for), and the video is read while no model frame came: what
// it shows can only come from the re-decode.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';

import { NewestEncoding } from '../ts/engines/newest-encoding';
import { OwlDetector } from '../ts/model/detector';
import { OVERLAY_PALETTE, type Rgb } from '../ts/pipeline/palette';
import { parseMinimalSchema, type MinimalSchemaMessage } from '../ts/redis/minimal-schema';
import { freePort } from './helpers/ports';
import { RedisServer } from './helpers/redis-server';
import { grabFrame, pixelAt } from './helpers/rtsp-reader';
import { ServiceProcess, TINY_MODEL } from './helpers/service-process';
import { TestCamera } from './helpers/test-camera';

const CAMERA = { width: 320, height: 240, fps: 30 };
const STREAM = 'owl-redecode';
// Threshold 1 never detects (scores must exceed it): nothing is drawn until a change brings threshold 0.
const START = { objects: ['a person'], thresholds: [1] };
const NEW = ['a dog', 'a cat', 'a bike'];
const BATCH_WINDOW_MS = 6000;
// Shares of the picture in palette colours: the test pattern alone has a few stray pixels; the tiny model's boxes at
// threshold 0 (one per patch) cover far more.
const NO_BOXES = 0.002;
const BOXES = 0.01;

describe('NewestEncoding', () => {
  let detector: OwlDetector;
  before(async () => {
    detector = await OwlDetector.load(TINY_MODEL, { threads: 1 });
    await detector.setPrompts('a person', '0.3');
  });
  after(() => detector.close());

  test('decodes the kept frame once per change of its prompt set, and nothing before a frame', async () => {
    const newest = new NewestEncoding();
    assert.equal(newest.redecode(detector, 'default'), null, 'no frame yet: nothing to push');
    const tensor = detector.preprocess(new Uint8Array(96 * 54 * 3).fill(90), 96, 54);
    const result = await detector.detect(tensor, 320, 180);
    const frame = { frameId: 7, width: 320, height: 180, timestampMs: 1000 };
    const timestamp = new Date();
    newest.keep(detector, frame, timestamp, result);
    assert.equal(newest.redecode(detector, 'default'), null, 'already decoded with these prompts');
    const state = await detector.setPrompts(NEW, [0]);
    const again = newest.redecode(detector, 'default');
    assert.ok(again !== null);
    assert.deepEqual(again.frame, frame);
    assert.equal(again.timestamp, timestamp, 'the same frame: its first timestamp');
    assert.equal(again.result.promptVersion, state.version);
    assert.ok(again.result.detections.length > 0 && again.result.detections.every((d) => NEW.includes(d.label)));
    assert.equal(newest.redecode(detector, 'default'), null, 'once per change');
    await detector.setPrompts('a hat', '0', 'stream:x');
    assert.ok(newest.redecode(detector, 'stream:x') !== null, 'another set is a change');
    newest.clear();
    assert.equal(newest.redecode(detector, 'default'), null);
  });
});

describe('a prompt change while the model is between frames', () => {
  const cameras: TestCamera[] = [];
  let redis: RedisServer;
  let client: Redis;
  let service: ServiceProcess;
  let dir: string;

  before(async () => {
    for (const mount of ['/front', '/side']) cameras.push(await TestCamera.start({ ...CAMERA, mount }));
    redis = await RedisServer.start();
    client = new Redis(redis.port, '127.0.0.1');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-redecode-'));
    const config = path.join(dir, 'owl.yaml');
    // The side camera is frozen below but stays `playing` (a long stall timeout), so each batch waits the whole
    // batch window for its frame: the front stream's video runs at 30 fps while its model frames come
    // BATCH_WINDOW_MS apart, which leaves time to watch a change on its video with no model frame meanwhile.
    fs.writeFileSync(config, [
      'input:', '  rtsp: {latencyMs: 50}', '  reconnect: {stallTimeoutMs: 120000}',
      `model: {folder: ${JSON.stringify(TINY_MODEL)}, threads: 1, batchWindowMs: ${BATCH_WINDOW_MS}}`,
      // A model result comes a batch window after its frame was captured: the tracks it confirms must outlive that
      // (the video draws each where the tracker predicts it, while not lost for longer than bufferMs).
      `tracker: {bufferMs: ${4 * BATCH_WINDOW_MS}}`,
      `prompts: {objects: ${JSON.stringify(START.objects)}, thresholds: ${JSON.stringify(START.thresholds)}}`,
      `redis: {host: 127.0.0.1, port: ${redis.port}, stream: ${STREAM}}`,
      'streams:',
      `  - {uri: ${JSON.stringify(cameras[1].url)}, id: side}`,
      // Never delivers a frame: a change must leave it alone.
      `  - {uri: "rtsp://127.0.0.1:${await freePort()}/none", id: dark}`,
      '',
    ].join('\n'));
    service = await ServiceProcess.start({ args: [cameras[0].url, '--config', config] });
    await service.waitFor(async () => {
      const sensors = new Set((await entries(client)).map((m) => m.sensorId));
      return sensors.has('front') && sensors.has('side');
    }, 'Redis entries of both live streams');
    cameras[1].freeze();
  });

  after(async () => {
    await service?.dispose();
    client?.disconnect();
    cameras[1]?.thaw();
    await Promise.all(cameras.map((camera) => camera.stop()));
    await redis?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Waits for the front stream's next model frame on Redis: the next one is a batch window away. */
  async function nextModelFrame(): Promise<MinimalSchemaMessage[]> {
    const seen = await client.xlen(STREAM);
    await service.waitFor(async () => (await entries(client)).slice(seen).some((m) => m.sensorId === 'front'
      && !m.redecode), 'a model frame of the front stream', 3 * BATCH_WINDOW_MS);
    return entries(client);
  }

  /** Grabs the front output, and checks that no model frame of the front stream came meanwhile. */
  async function frontVideo(frameId: number): Promise<Buffer> {
    const picture = await grabFrame(service.outputUrl, CAMERA.width, CAMERA.height);
    const front = (await service.get('/detections')).body.find((d: any) => d.streamId === 'front');
    assert.equal(front.frameId, frameId, 'no model frame came while the video was read (batch window too short?)');
    return picture;
  }

  test('the newest frame of every stream is decoded again and shown before the answer', async () => {
    const before = await nextModelFrame();
    const newest = lastBySensor(before);
    const frontId = Number(newest.get('front')!.id);
    assert.ok(paletteShare(await frontVideo(frontId), OVERLAY_PALETTE) < NO_BOXES,
      'threshold 1: no boxes on the video before the change');

    const answer = await service.get(`/prompt?objects=${encodeURIComponent(NEW.join(','))}&thresholds=0`);
    assert.equal(answer.status, 200);
    // The answer comes once the re-decode was pushed: /detections shows it at once.
    const latest = new Map<string, any>((await service.get('/detections')).body.map((d: any) => [d.streamId, d]));
    for (const sensor of ['front', 'side']) {
      const frame = latest.get(sensor);
      assert.equal(frame.frameId, Number(newest.get(sensor)!.id), `${sensor}: the newest frame again`);
      assert.equal(frame.redecode, true);
      assert.ok(frame.objects.length > 0 && frame.objects.every((o: any) => NEW.includes(o.label)),
        `${sensor}: new labels (${frame.objects.map((o: any) => o.label)})`);
    }
    assert.equal(latest.get('dark'), undefined, 'no frame yet: nothing pushed');

    // The video: the boxes of the new labels, in their prompts' colours, while the model has had no new frame.
    const labels = new Set<string>(latest.get('front').objects.map((o: any) => o.label));
    const colours = NEW.flatMap((label, i) => labels.has(label) ? [OVERLAY_PALETTE[i]] : []);
    assert.ok(paletteShare(await frontVideo(frontId), colours) > BOXES, 'the new labels\' boxes are drawn');

    // Redis: right after each live stream's newest frame, that frame again, re-decoded.
    await service.waitFor(async () => (await entries(client)).slice(before.length).filter((m) => m.redecode).length >= 2,
      'the re-decodes on Redis');
    const added = (await entries(client)).slice(before.length);
    const redecodes = added.filter((m) => m.redecode);
    assert.deepEqual(redecodes.map((m) => m.sensorId).sort(), ['front', 'side']);
    assert.ok(added.slice(0, 2).every((m) => m.redecode), 'before any later frame');
    for (const m of redecodes) {
      const first = newest.get(m.sensorId)!;
      assert.equal(m.id, first.id, `${m.sensorId}: a re-decode of frame ${first.id}`);
      assert.equal(m.timestamp, first.timestamp, 'the frame\'s own timestamp');
      assert.ok(m.objects.length > 0 && m.objects.every((o) => NEW.includes(o.label)));
    }
  });

  test('a stream\'s own prompts re-decode that stream alone', async () => {
    const before = await entries(client);
    const answer = await service.get('/api/v1/detection/classes', { method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ objects: ['a car'], thresholds: [0], id: 'side' }) });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const latest = new Map<string, any>((await service.get('/detections')).body.map((d: any) => [d.streamId, d]));
    const side = latest.get('side');
    assert.equal(side.frameId, Number(lastBySensor(before).get('side')!.id));
    assert.ok(side.redecode && side.objects.length > 0 && side.objects.every((o: any) => o.label === 'a car'));
    assert.ok(latest.get('front').objects.every((o: any) => NEW.includes(o.label)), 'front keeps the service-wide prompts');

    await service.waitFor(async () => (await entries(client)).slice(before.length).some((m) => m.redecode),
      'the re-decode on Redis');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const redecodes = (await entries(client)).slice(before.length).filter((m) => m.redecode);
    assert.deepEqual(redecodes.map((m) => [m.sensorId, m.id]), [['side', lastBySensor(before).get('side')!.id]]);
    assert.ok(redecodes[0].objects.every((o) => o.label === 'a car'));
  });

  test('the same prompts again push nothing; no prompts clear the boxes at once', async () => {
    const before = await client.xlen(STREAM);
    const same = await service.get('/api/v1/detection/classes', { method: 'POST',
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ objects: ['a car'], thresholds: [0], id: 'side' }) });
    assert.equal(same.status, 200, JSON.stringify(same.body));
    const frontId = Number(lastBySensor(await nextModelFrame()).get('front')!.id);
    const none = await service.get('/api/v1/detection/classes', { method: 'POST',
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ objects: [], thresholds: [], id: 'front' }) });
    assert.equal(none.status, 200, JSON.stringify(none.body));
    const front = (await service.get('/detections')).body.find((d: any) => d.streamId === 'front');
    assert.deepEqual([front.frameId, front.objects], [frontId, []]);
    assert.ok(paletteShare(await grabFrame(service.outputUrl, CAMERA.width, CAMERA.height), OVERLAY_PALETTE) < NO_BOXES,
      'no boxes left on the video');
    assert.deepEqual((await entries(client)).slice(before).filter((m) => m.redecode), [], 'no re-decode on Redis');
    assert.ok(!/^\S+ error /m.test(service.log), 'no error in the log');
  });
});

async function entries(client: Redis): Promise<MinimalSchemaMessage[]> {
  const all = await client.xrange(STREAM, '-', '+');
  return all.map(([, fields]) => parseMinimalSchema(fields[fields.indexOf('metadata') + 1]));
}

function lastBySensor(messages: MinimalSchemaMessage[]): Map<string, MinimalSchemaMessage> {
  return new Map(messages.map((m) => [m.sensorId, m]));
}

/** Share of a frame's pixels close to one of the colours (allowing for H.264 and 4:2:0 losses). */
function paletteShare(frame: Buffer, colours: readonly Rgb[]): number {
  let hits = 0;
  const pixels = CAMERA.width * CAMERA.height;
  for (let y = 0; y < CAMERA.height; y++) {
    for (let x = 0; x < CAMERA.width; x++) {
      const p = pixelAt(frame, CAMERA.width, x, y);
      if (colours.some((c) => c.every((v, k) => Math.abs(v - p[k]) <= 40))) hits++;
    }
  }
  return hits / pixels;
}
