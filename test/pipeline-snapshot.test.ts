// SPDX-License-Identifier: Apache-2.0
// Pipeline.snapshot(), the web page's view of the annotated video, with real parts: the pipeline reading the
// test camera over RTSP, its JPEGs decoded by ffmpeg.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Pipeline, type PipelineStateChange } from '../ts/pipeline';
import { decodeJpeg, hasJpegMarkers, type DecodedJpeg } from './helpers/decode-jpeg';
import { freePort } from './helpers/ports';
import { TestCamera } from './helpers/test-camera';

const WIDTH = 640;
const HEIGHT = 360;
const BOX = [100, 80, 400, 300] as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Asks for snapshots every 20 ms (as the page does, only faster) until one comes. */
async function nextSnapshot(pipeline: Pipeline, timeoutMs = 3000): Promise<Buffer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jpeg = pipeline.snapshot();
    if (jpeg !== null) return jpeg;
    if (Date.now() > deadline) throw new Error(`no snapshot within ${timeoutMs} ms`);
    await sleep(20);
  }
}

function pixel(picture: DecodedJpeg, x: number, y: number): [number, number, number] {
  const i = (y * picture.width + x) * 3;
  return [picture.rgb[i], picture.rgb[i + 1], picture.rgb[i + 2]];
}

/** Palette colour 0 (230, 25, 75), allowing for JPEG and 4:2:0 losses. */
const isBoxRed = ([r, g, b]: [number, number, number]) => r > 180 && g < 80 && b < 130;

describe('Pipeline.snapshot() on a test camera', () => {
  let camera: TestCamera;
  let pipeline: Pipeline;
  const states: PipelineStateChange[] = [];

  before(async () => {
    camera = await TestCamera.start({ width: WIDTH, height: HEIGHT, fps: 30, pattern: 'ball' });
    pipeline = new Pipeline();
    pipeline.on('state', (change) => states.push(change));
    assert.equal(pipeline.snapshot(), null, 'null before start');
    pipeline.start({ input: camera.url, latencyMs: 100, output: `rtsp://127.0.0.1:${await freePort()}/out`,
      overlay: { lineWidth: 8, fontSize: 16 } });
  });

  after(async () => {
    pipeline?.stop();
    await camera?.stop();
  });

  test('is null before the first frame, then a complete JPEG at the output size', async () => {
    assert.equal(pipeline.snapshot(), null, 'no frame has been decoded yet');
    const jpeg = await nextSnapshot(pipeline, 10_000);
    assert.ok(states.some((s) => s.state === 'playing'), 'a snapshot only once frames flow');
    assert.ok(hasJpegMarkers(jpeg), `starts with FF D8 and ends with FF D9 (${jpeg.subarray(0, 2).toString('hex')}…` +
      `${jpeg.subarray(-2).toString('hex')})`);
    const picture = await decodeJpeg(jpeg);
    assert.deepEqual([picture.width, picture.height], [WIDTH, HEIGHT]);
    // Full-range levels, as JPEG viewers expect: the camera's black background is black, not grey 16.
    const [r, g, b] = pixel(picture, 20, 20);
    assert.ok(r < 8 && g < 8 && b < 8, `background ${[r, g, b]} is black`);
  });

  test('shows the detections drawn on the frame', async () => {
    pipeline.setDetections(1, [{ label: 'a person', labelIndex: 0, score: 0.42, box: BOX }]);
    await sleep(300);
    const picture = await decodeJpeg(await nextSnapshot(pipeline));
    const top = Array.from({ length: 14 }, (_, i) => pixel(picture, 120 + i * 20, BOX[1] + 4));
    const left = Array.from({ length: 10 }, (_, i) => pixel(picture, BOX[0] + 4, 100 + i * 20));
    const red = [...top, ...left].filter(isBoxRed).length;
    assert.ok(red >= 22, `box edges red at ${red} of 24 points (e.g. ${top[3]})`);
    assert.ok(!isBoxRed(pixel(picture, 250, 200)), 'the inside of the box is not filled');

    pipeline.setDetections(2, []);
    await sleep(300);
    const cleared = await decodeJpeg(await nextSnapshot(pipeline));
    assert.ok(!isBoxRed(pixel(cleared, BOX[0] + 4, 200)), 'no box once cleared');
  });

  test('follows the video: two snapshots 300 ms apart differ, at most 10 new ones a second', async () => {
    const first = await nextSnapshot(pipeline);
    await sleep(300);
    const second = await nextSnapshot(pipeline);
    assert.ok(!first.equals(second), 'the ball moved between them');

    const seen: Buffer[] = [];
    const until = Date.now() + 2000;
    while (Date.now() < until) {
      const jpeg = pipeline.snapshot();
      if (jpeg !== null && !jpeg.equals(seen.at(-1) ?? Buffer.alloc(0))) seen.push(jpeg);
      await sleep(10);
    }
    assert.ok(seen.length >= 5 && seen.length <= 21, `${seen.length} distinct JPEGs in 2 s (10 fps at most)`);
  });

  test('stops encoding 3 s after the last call, and starts again on the next', async () => {
    await nextSnapshot(pipeline);
    await sleep(3500);
    assert.equal(pipeline.snapshot(), null, 'the JPEG kept from before the pause is stale: not returned');
    const fresh = await nextSnapshot(pipeline, 1000);
    assert.ok(hasJpegMarkers(fresh));
  });

  test('is null after stop', async () => {
    const other = new Pipeline();
    other.start({ input: 'test:ball', testSource: { width: 160, height: 120 }, output: null });
    await nextSnapshot(other);
    other.stop();
    assert.equal(other.snapshot(), null);
  });
});

describe('Pipeline.snapshot() without RTSP output', () => {
  test('works headless, and scales large frames to a long side of 1280', async () => {
    const pipeline = new Pipeline();
    pipeline.start({ input: 'test:smpte', testSource: { width: 1920, height: 1080, fps: 10 }, output: null,
      overlay: { lineWidth: 8, fontSize: 0 } });
    try {
      pipeline.setDetections(1, [{ label: 'a hat', labelIndex: 0, score: 0.9, box: [300, 300, 1500, 900] }]);
      const picture = await decodeJpeg(await nextSnapshot(pipeline, 10_000));
      assert.deepEqual([picture.width, picture.height], [1280, 720]);
      // Source (300, 600) on the left edge, at 2/3 scale.
      assert.ok(isBoxRed(pixel(picture, 202, 400)), `left edge at x 202: ${pixel(picture, 202, 400)}`);
      assert.equal(pipeline.stats().framesOut, 0, 'no RTSP output counted');
    } finally {
      pipeline.stop();
    }
  });
});
