// SPDX-License-Identifier: Apache-2.0
// The RTSP output is served from start, whether or not the camera ever answers: black frames at a known size
// until the first source frame, then the camera's picture (new clients at its size; earlier ones stay on, scaled).
// Real parts: an RTSP URL where nothing listens (then the test camera on that port), ffmpeg as the client.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Pipeline, type PipelineStateChange } from '../ts/pipeline';
import { freePort } from './helpers/ports';
import { grabFrame, measureRtsp, pixelAt, RtspWatcher } from './helpers/rtsp-reader';
import { TestCamera } from './helpers/test-camera';
import { waitFor } from './helpers/wait';

const RECONNECT = { initialDelayMs: 200, maxDelayMs: 500, stallTimeoutMs: 1000 };

describe('RTSP output while the camera never answers', () => {
  test('serves black H.264 at 1280x720 from start, then the camera once it answers', async () => {
    const cameraPort = await freePort();
    const pipeline = new Pipeline();
    const states: PipelineStateChange[] = [];
    pipeline.on('state', (change) => states.push(change));
    pipeline.start({ input: `rtsp://127.0.0.1:${cameraPort}/cam`, output: `rtsp://127.0.0.1:${await freePort()}/out`,
      reconnect: RECONNECT });
    let camera: TestCamera | null = null;
    const early = new RtspWatcher(pipeline.outputUrl!);
    try {
      const measured = await measureRtsp(pipeline.outputUrl!, 2);
      assert.deepEqual([measured.codec, measured.width, measured.height], ['h264', 1280, 720]);
      assert.ok(measured.fps >= 25, `black frames at ${measured.fps.toFixed(1)} fps`);
      const black = await grabFrame(pipeline.outputUrl!, 1280, 720);
      assert.deepEqual(pixelAt(black, 1280, 640, 360).map((c) => c < 24), [true, true, true], 'the frame is black');
      assert.ok(['connecting', 'lost'].includes(pipeline.state), `state ${pipeline.state}`);
      assert.ok(states.filter((s) => s.state === 'lost').length >= 2, 'the camera was tried and retried');
      assert.equal(pipeline.snapshot(), null, 'no annotated frame without a camera');
      assert.equal(pipeline.stats().framesIn, 0);
      await early.ready;

      camera = await TestCamera.start({ port: cameraPort, width: 320, height: 240, fps: 30, pattern: 'smpte' });
      await waitFor(() => pipeline.state === 'playing', 'state playing', 10_000);
      const later = await measureRtsp(pipeline.outputUrl!, 1);
      assert.deepEqual([later.width, later.height], [320, 240], 'new clients get the camera\'s size');
      const picture = await grabFrame(pipeline.outputUrl!, 320, 240);
      // SMPTE bars: white-ish at the left, then yellow: the camera's picture, not black.
      assert.ok(pixelAt(picture, 320, 10, 60).every((c) => c > 150), `left bar ${pixelAt(picture, 320, 10, 60)}`);

      const now = performance.now();
      assert.ok(early.countBetween(now - 1000, now) >= 20, 'the client from before the camera still gets frames');
    } finally {
      await early.stop();
      pipeline.stop();
      await camera?.stop();
    }
  });

  test('serves the configured output size from start', async () => {
    const pipeline = new Pipeline();
    pipeline.start({ input: `rtsp://127.0.0.1:${await freePort()}/cam`, output: `rtsp://127.0.0.1:${await freePort()}/out`,
      encoder: { width: 480, height: 272 }, reconnect: RECONNECT });
    try {
      const measured = await measureRtsp(pipeline.outputUrl!, 1);
      assert.deepEqual([measured.codec, measured.width, measured.height], ['h264', 480, 272]);
    } finally {
      pipeline.stop();
    }
  });
});
