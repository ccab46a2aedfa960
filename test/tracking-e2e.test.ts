// SPDX-License-Identifier: Apache-2.0
// Tracking end to end: the test camera's moving ball over RTSP -> the service process -> Redis and the RTSP output.
// The model is a STAND-IN (test/helpers/ball-detector-standin-preload.ts): it returns the ball's true box from the
// frame it is given, one result every ~300 ms as a CPU model would. Real: the pipeline and its frame clock, the
// scheduler, the tracker (native), the stream's reporting, the Redis writer, the overlay and the encoder.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';

import { parseMinimalSchema, type MinimalSchemaMessage } from '../ts/redis/minimal-schema';
import { RedisServer } from './helpers/redis-server';
import { grabFrames, pixelAt } from './helpers/rtsp-reader';
import { ServiceProcess, TINY_MODEL } from './helpers/service-process';
import { TestCamera } from './helpers/test-camera';

const WIDTH = 320;
const HEIGHT = 240;
const FPS = 15;
const DELAY_MS = 300;
const preload = path.join(__dirname, 'helpers', 'ball-detector-standin-preload.js');

/** Where the red box (palette colour 0) is drawn in a frame: its bottom edge's row and span, or null. */
function drawnBox(frame: Buffer): { x0: number; x1: number; bottom: number } | null {
  const red = (x: number, y: number) => {
    const [r, g, b] = pixelAt(frame, WIDTH, x, y);
    return r > 150 && g < 110 && b < 150;
  };
  // The lowest row with a run of red is the box's bottom edge (the label sits above the box or inside its top).
  for (let y = HEIGHT - 1; y >= 0; y--) {
    const xs = Array.from({ length: WIDTH }, (_, x) => x).filter((x) => red(x, y));
    if (xs.length >= 8) return { x0: xs[0], x1: xs[xs.length - 1], bottom: y };
  }
  return null;
}

/** The ball's extent in a frame (white pixels): its centre column and bottom row, or null. */
function ballPosition(frame: Buffer): { x: number; bottom: number } | null {
  let [sx, n, bottom] = [0, 0, -1];
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      if (!pixelAt(frame, WIDTH, x, y).every((c) => c > 200)) continue;
      [sx, n, bottom] = [sx + x, n + 1, y];
    }
  }
  return n < 20 ? null : { x: sx / n, bottom };
}

/** The longest run of consecutive entries whose single object keeps one id: [id, length]. */
function longestRun(messages: MinimalSchemaMessage[]): [string, number] {
  let best: [string, number] = ['', 0];
  let current: [string, number] = ['', 0];
  for (const message of messages) {
    const id = message.objects.length === 1 ? message.objects[0].id : '';
    current = id !== '' && id === current[0] ? [id, current[1] + 1] : [id, id === '' ? 0 : 1];
    if (current[1] > best[1]) best = current;
  }
  return best;
}

describe('tracking end to end: test camera -> service (ball detector STAND-IN) -> Redis and RTSP', () => {
  let camera: TestCamera;
  let redis: RedisServer;
  let client: Redis;
  let service: ServiceProcess;

  before(async () => {
    camera = await TestCamera.start({ width: WIDTH, height: HEIGHT, fps: FPS, pattern: 'ball' });
    redis = await RedisServer.start();
    client = new Redis(redis.port, '127.0.0.1');
    service = await ServiceProcess.start({
      args: [camera.url, '--model', TINY_MODEL, '--objects', 'a ball', '--thresholds', '0.5',
        '--redis_host', '127.0.0.1', '--redis_port', String(redis.port), '--redis_stream', 'owl-tracking'],
      env: { NODE_OPTIONS: `--require ${preload}`, BALL_STANDIN_DELAY_MS: String(DELAY_MS),
        OWL_OVERLAY_FONT_SIZE: '6', OWL_OVERLAY_LINE_WIDTH: '2' },
    });
    await service.waitFor(async () => (await service.get('/ready')).status === 200, 'ready');
    assert.match(service.log, /\[ball detector stand-in\] detectBatch replaced/);
  });

  after(async () => {
    await service?.dispose();
    client?.disconnect();
    await camera?.stop();
    await redis?.dispose();
  });

  test('the moving ball keeps its object id across at least 20 consecutive Redis entries', async () => {
    const read = async () => (await client.xrange('owl-tracking', '-', '+'))
      .map(([, fields]) => parseMinimalSchema(fields[1]));
    await service.waitFor(async () => longestRun(await read())[1] >= 20, '20 entries of one tracked ball', 30_000);
    const messages = await read();
    const [id, run] = longestRun(messages);
    assert.ok(run >= 20, `${run} entries in a row with id ${id}`);
    assert.ok(Number(id) >= 1, 'a track id, not the untracked counter');
    for (const object of messages.flatMap((m) => m.objects)) {
      assert.equal(object.label, 'a ball');
      assert.equal(object.confidence, 0.9, 'the confidence as nvmsgconv appends it');
      assert.ok(object.left >= 0 && object.top >= 0 && object.right <= WIDTH && object.bottom <= HEIGHT,
        `inside the frame: ${JSON.stringify(object)}`);
    }
    // The same object as the API shows it.
    const [latest] = (await service.get('/detections')).body as { objects: { id: number }[] }[];
    assert.ok(latest.objects.every((o) => String(o.id) === id), JSON.stringify(latest));
  });

  test('the output video moves the box on frames between model results, with the ball', async () => {
    const seconds = 2;
    const frames = await grabFrames(service.outputUrl, WIDTH, HEIGHT, seconds * FPS);
    const boxes = frames.map(drawnBox);
    const balls = frames.map(ballPosition);
    assert.ok(boxes.filter((b) => b !== null).length >= frames.length - 2, `boxes found: ${JSON.stringify(boxes)}`);
    // The model gives at most one result per DELAY_MS: at most this many of the frame-to-frame changes come from one.
    const results = Math.ceil((seconds * 1000) / DELAY_MS) + 1;
    let moved = 0;
    const errors: number[] = [];
    for (let i = 1; i < frames.length; i++) {
      const [a, b] = [boxes[i - 1], boxes[i]];
      if (a !== null && b !== null && (a.x0 !== b.x0 || a.x1 !== b.x1 || a.bottom !== b.bottom)) moved++;
      const ball = balls[i];
      if (b !== null && ball !== null) errors.push(Math.hypot((b.x0 + b.x1) / 2 - ball.x, b.bottom - ball.bottom));
    }
    const report = `moved on ${moved} of ${frames.length - 1} frames (at most ${results} model results); `
      + `box-to-ball distances ${errors.map((e) => e.toFixed(0)).join(' ')}`;
    assert.ok(moved >= results + 8, report);
    // Predicted at each frame's time, the box stays with the ball (a few pixels behind where it speeds up: the
    // constant-velocity filter lags an accelerating object) instead of jumping after it once per model result; a wrong
    // clock would throw it off by far more.
    const sorted = [...errors].sort((p, q) => p - q);
    assert.ok(sorted[Math.floor(sorted.length / 2)] < 16, report);
  });
});
