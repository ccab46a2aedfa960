// SPDX-License-Identifier: Apache-2.0
// The portable pipeline end to end with real parts: a test camera (native/tools/test_camera.cc) serving
// RTSP on 127.0.0.1, the pipeline reading it, and its RTSP output read back by ffmpeg over TCP.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  OVERLAY_PALETTE, Pipeline, PipelineError, RtspServer, type PipelineFrame, type PipelineStateChange,
} from '../ts/pipeline';
import { freePort } from './helpers/ports';
import { grabFrame, measureRtsp, pixelAt, RtspWatcher } from './helpers/rtsp-reader';
import { TestCamera } from './helpers/test-camera';
import { waitFor } from './helpers/wait';

const WIDTH = 640;
const HEIGHT = 360;
// CLIP's normalisation; a small model input keeps the tensor cheap (the size does not change the logic).
const INFERENCE = {
  inputSize: 224, mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711],
} as const;
const RECONNECT = { initialDelayMs: 250, maxDelayMs: 1000, stallTimeoutMs: 1500 };

/** Whether an output pixel shows palette colour 0 (red 230,25,75), allowing for H.264 and 4:2:0 losses. */
function isBoxRed([r, g, b]: [number, number, number]): boolean {
  return r > 160 && g < 100 && b < 140;
}

describe('pipeline reading a test camera', () => {
  let camera: TestCamera;
  let pipeline: Pipeline;
  let outputUrl: string;
  const states: PipelineStateChange[] = [];
  const frames: PipelineFrame[] = [];

  before(async () => {
    camera = await TestCamera.start({ width: WIDTH, height: HEIGHT, fps: 30, pattern: 'ball' });
    const port = await freePort();
    pipeline = new Pipeline();
    pipeline.on('state', (change) => states.push(change));
    pipeline.on('frame', (frame) => frames.push(frame));
    pipeline.start({ input: camera.url, latencyMs: 100, output: `rtsp://127.0.0.1:${port}/out`, inference: INFERENCE,
      reconnect: RECONNECT, overlay: { lineWidth: 8, fontSize: 16 } });
    outputUrl = pipeline.outputUrl!;
    await waitFor(() => pipeline.state === 'playing', 'state playing', 15_000);
  });

  after(async () => {
    pipeline?.stop();
    await camera?.stop();
  });

  test('serves the camera as H.264 at the source size and at least 25 fps', async () => {
    assert.match(outputUrl, /^rtsp:\/\/127\.0\.0\.1:\d+\/out$/);
    const measured = await measureRtsp(outputUrl, 3);
    assert.equal(measured.codec, 'h264');
    assert.deepEqual([measured.width, measured.height], [WIDTH, HEIGHT]);
    assert.ok(measured.fps >= 25, `output at ${measured.fps.toFixed(1)} fps over 3 s (${measured.frames} frames)`);
    assert.deepEqual(states.slice(0, 2).map((s) => s.state), ['connecting', 'playing']);
  });

  test('draws detections into the output pixels and clears them', async () => {
    const box = [100, 80, 400, 300] as const;
    // Centre row of the 8-pixel top band, away from the label (drawn above the box).
    const topBand = Array.from({ length: 14 }, (_, i) => [120 + i * 20, box[1] + 4] as const);
    // The left band top to bottom: the whole picture must decode, every slice of it.
    const leftBand = Array.from({ length: 10 }, (_, i) => [box[0] + 4, 100 + i * 20] as const);
    const labelColumn = Array.from({ length: 8 }, (_, i) => [101, box[1] - 20 + i * 2] as const);
    const redShare = (frame: Buffer, points: readonly (readonly [number, number])[]) =>
      points.filter(([x, y]) => isBoxRed(pixelAt(frame, WIDTH, x, y))).length / points.length;

    pipeline.setDetections(1, [{ label: 'a person', labelIndex: 0, score: 0.42, box }]);
    await sleep(300);
    const drawn = await grabFrame(outputUrl, WIDTH, HEIGHT);
    assert.ok(redShare(drawn, topBand) >= 0.8, `top edge red at ${redShare(drawn, topBand) * 100}% of points`);
    assert.ok(redShare(drawn, leftBand) >= 0.8, `left edge red at ${redShare(drawn, leftBand) * 100}% of points`);
    assert.ok(redShare(drawn, labelColumn) >= 0.7, `label background red at ${redShare(drawn, labelColumn) * 100}%`);
    assert.ok(!isBoxRed(pixelAt(drawn, WIDTH, 250, 200)), 'the inside of the box is not filled');

    pipeline.setDetections(2, []);
    await sleep(300);
    const cleared = await grabFrame(outputUrl, WIDTH, HEIGHT);
    assert.equal(redShare(cleared, [...topBand, ...leftBand]), 0, 'no box left after clearing');
    assert.deepEqual(OVERLAY_PALETTE[0], [230, 25, 75]);
  });

  test('hands the newest frame to the model only while it is idle', async () => {
    frames.length = 0;
    pipeline.frameDone();
    await waitFor(() => frames.length > 0, 'a frame', 5000);
    const first = frames[0];
    const size = INFERENCE.inputSize;
    assert.equal(first.tensor.length, 3 * size * size);
    assert.deepEqual([first.width, first.height], [WIDTH, HEIGHT]);
    // 640x360 scales to 224x126, centred: 49 padding rows above, zero after normalisation.
    assert.ok(first.tensor.subarray(0, 49 * size).every((v) => v === 0), 'top padding is 0');
    const black = (0 - INFERENCE.mean[0]) / INFERENCE.std[0];
    const leftOfMiddle = first.tensor[112 * size + 2];
    assert.ok(Math.abs(leftOfMiddle - black) < 0.15, `black background normalised to ${leftOfMiddle}`);

    // Busy model: frames are dropped and counted, none delivered.
    const dropped = pipeline.stats().framesDropped;
    await sleep(700);
    assert.equal(frames.length, 1, 'no frame while the model is busy');
    assert.ok(pipeline.stats().framesDropped >= dropped + 10, 'frames dropped while busy are counted');

    pipeline.frameDone();
    await waitFor(() => frames.length > 1, 'the next frame', 5000);
    assert.ok(frames[1].frameId > first.frameId + 10,
      `the newest frame comes next (ids ${first.frameId} then ${frames[1].frameId})`);
  });

  test('keeps serving while the camera dies and comes back, then reconnects', async () => {
    const watcher = new RtspWatcher(outputUrl);
    try {
      await watcher.ready;
      const mark = states.length;
      const framesInBefore = pipeline.stats().framesIn;
      const killedAt = performance.now();
      await camera.kill();
      await waitFor(() => states.slice(mark).some((s) => s.state === 'lost'), 'state lost', 10_000);
      // A client joining during the outage still gets a picture.
      await grabFrame(outputUrl, WIDTH, HEIGHT);
      await sleep(1000);
      camera = await TestCamera.start(camera.options);
      await waitFor(() => states.slice(mark).some((s) => s.state === 'reconnected'), 'state reconnected', 15_000);
      const backAt = performance.now();
      await sleep(500);

      for (let t = killedAt; t + 1000 <= backAt; t += 1000) {
        const count = watcher.countBetween(t, t + 1000);
        const second = Math.round((t - killedAt) / 1000);
        assert.ok(count >= 20, `output kept flowing during the outage: ${count} frames in second ${second}`);
      }
      const sequence = states.slice(mark).map((s) => s.state).join(' ');
      assert.match(sequence, /^lost( connecting lost)* connecting reconnected$/);
      assert.ok(states[mark].reason.length > 0, 'lost says why');
      assert.ok(pipeline.stats().framesIn > framesInBefore + 5, 'input resumed');
      assert.equal(pipeline.stats().reconnects, 1);
    } finally {
      await watcher.stop();
    }
  });
});

describe('pipeline inputs and outputs', () => {
  test('plays a file input in a loop', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'owl-pipeline-'));
    const file = path.join(dir, 'clip.mp4');
    try {
      await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30', '-t', '1',
        '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', file]);
      const pipeline = new Pipeline();
      const states: string[] = [];
      pipeline.on('state', (s) => states.push(s.state));
      pipeline.start({ input: file, output: null, reconnect: RECONNECT });
      try {
        await waitFor(() => pipeline.stats().framesIn >= 50, 'two loops of a 1 s clip', 10_000);
        assert.deepEqual(states, ['connecting', 'playing']);
      } finally {
        pipeline.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('scales the output to encoder.width/height, boxes included', async () => {
    const pipeline = new Pipeline();
    pipeline.start({ input: 'test:black', testSource: { width: WIDTH, height: HEIGHT, fps: 30 },
      output: `rtsp://127.0.0.1:${await freePort()}/scaled`, encoder: { width: 320, height: 180 },
      overlay: { lineWidth: 8, fontSize: 0 } });
    try {
      pipeline.setDetections(1, [{ label: 'a hat', labelIndex: 0, score: 0.9, box: [100, 80, 400, 300] }]);
      await waitFor(() => pipeline.state === 'playing', 'state playing', 10_000);
      const frame = await grabFrame(pipeline.outputUrl!, 320, 180);
      // Source box (100,80)-(400,300) at half size: left edge band x 50..57, top band y 40..47.
      assert.ok(isBoxRed(pixelAt(frame, 320, 53, 100)), `left edge at x 53: ${pixelAt(frame, 320, 53, 100)}`);
      assert.ok(isBoxRed(pixelAt(frame, 320, 120, 43)), `top edge at y 43: ${pixelAt(frame, 320, 120, 43)}`);
      assert.ok(!isBoxRed(pixelAt(frame, 320, 120, 100)), 'inside stays black');
      assert.ok(!isBoxRed(pixelAt(frame, 320, 250, 100)), 'right of the box (source x 500) stays black');
    } finally {
      pipeline.stop();
    }
  });

  test('shares one RTSP server between pipelines, one mount each', async () => {
    const server = RtspServer.start({ host: '127.0.0.1', port: 0 });
    const first = new Pipeline();
    const second = new Pipeline();
    try {
      first.start({ input: 'test:ball', testSource: { width: 320, height: 240 }, output: { server, mount: '/a' } });
      assert.throws(() => second.start({ input: 'test:ball', output: { server, mount: '/a' } }),
        (err: unknown) => err instanceof PipelineError && err.code === 'EMOUNTINUSE' && err.message.includes('/a'));
      second.start({ input: 'test:smpte', testSource: { width: 160, height: 120 }, output: { server, mount: '/b' } });
      assert.equal(second.outputUrl, `rtsp://127.0.0.1:${server.port}/b`);
      const [a, b] = await Promise.all([measureRtsp(first.outputUrl!, 1, 0.5), measureRtsp(second.outputUrl!, 1, 0.5)]);
      assert.deepEqual([a.width, a.height, b.width, b.height], [320, 240, 160, 120]);
    } finally {
      first.stop();
      second.stop();
      server.stop();
    }
  });

  test("emits 'error' when its shared RTSP server stops before the output can be served", async () => {
    const port = await freePort();
    const server = RtspServer.start({ host: '127.0.0.1', port: 0 });
    const pipeline = new Pipeline();
    const errors: PipelineError[] = [];
    pipeline.on('error', (err) => errors.push(err));
    // The camera is not up yet: the output is served at a provisional size. Its first frame (160x120) changes the
    // size, so the output must be served anew, on a server that has stopped by then.
    pipeline.start({ input: `rtsp://127.0.0.1:${port}/cam`, output: { server, mount: '/late' },
      reconnect: { initialDelayMs: 100, maxDelayMs: 200, stallTimeoutMs: 1000 } });
    server.stop();
    const camera = await TestCamera.start({ port, width: 160, height: 120 });
    try {
      await waitFor(() => errors.length > 0, "an 'error' event", 10_000);
      assert.equal(errors[0].code, 'ESTATE');
      assert.match(errors[0].message, /stopped before \/late could be served/);
      assert.ok(['playing', 'connecting'].includes(pipeline.state), 'the input side carries on');
    } finally {
      pipeline.stop();
      await camera.stop();
    }
  });

  test('rejects a missing file, naming the path', () => {
    const missing = path.join(os.tmpdir(), 'owl-no-such-dir', 'camera.mp4');
    assert.throws(() => new Pipeline().start({ input: missing, output: null }),
      (err: unknown) => err instanceof PipelineError && err.code === 'ENOENT' && err.message.includes(missing));
  });

  test('rejects an input with an unknown scheme', () => {
    assert.throws(() => new Pipeline().start({ input: 'ftp://camera/stream', output: null }),
      (err: unknown) => err instanceof PipelineError && err.code === 'EINVAL' &&
        err.message.includes('"ftp://camera/stream"'));
  });

  test('rejects an RTSP output port in use with EADDRINUSE naming host:port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const pipeline = new Pipeline();
      assert.throws(() => pipeline.start({ input: 'test:ball', output: `rtsp://127.0.0.1:${port}/out` }),
        (err: unknown) => err instanceof PipelineError && err.code === 'EADDRINUSE' &&
          err.message.includes(`127.0.0.1:${port}`));
      assert.equal(pipeline.state, 'idle');
    } finally {
      blocker.close();
    }
  });

  test('reports an unreachable camera as lost and keeps retrying', async () => {
    const url = `rtsp://127.0.0.1:${await freePort()}/nobody`;
    const pipeline = new Pipeline();
    const states: PipelineStateChange[] = [];
    pipeline.on('state', (s) => states.push(s));
    pipeline.start({ input: url, output: null,
      reconnect: { initialDelayMs: 100, maxDelayMs: 200, stallTimeoutMs: 1000 } });
    try {
      await waitFor(() => states.filter((s) => s.state === 'lost').length >= 2, 'a second failed attempt', 10_000);
      assert.deepEqual(states.slice(0, 4).map((s) => s.state), ['connecting', 'lost', 'connecting', 'lost']);
      assert.ok(states[1].reason.includes(url), `the reason names the input: ${states[1].reason}`);
    } finally {
      pipeline.stop();
    }
    await waitFor(() => pipeline.state === 'stopped', 'state stopped', 2000);
  });

  test('stop() joins every thread it started and lets the process exit', async () => {
    // In a child process, so the count is not disturbed by other tests' servers and clients.
    const script = `
      const fs = require('node:fs');
      const { spawn } = require('node:child_process');
      const { Pipeline } = require(${JSON.stringify(path.resolve(__dirname, '..', 'ts', 'pipeline.js'))});
      const threads = () => fs.readdirSync('/proc/self/task').length;
      const baseline = threads();
      const pipeline = new Pipeline();
      pipeline.on('frame', () => pipeline.frameDone());
      pipeline.start({ input: 'test:ball', testSource: { width: 320, height: 240 }, output: process.argv[1],
        inference: { inputSize: 64, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] } });
      pipeline.on('state', ({ state }) => {
        if (state !== 'playing') return;
        // A client, so the RTSP side (media pipeline, encoder threads) runs too.
        const client = spawn('ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', process.argv[1],
          '-frames:v', '5', '-f', 'null', '-']);
        client.on('exit', () => {
          const running = threads();
          pipeline.stop();
          const deadline = Date.now() + 5000;
          const poll = () => {
            const now = threads();
            if (now > baseline && Date.now() < deadline) return setTimeout(poll, 50);
            console.log(JSON.stringify({ baseline, running, after: now }));
          };
          poll();
        });
      });`;
    const output = `rtsp://127.0.0.1:${await freePort()}/out`;
    const child = spawn(process.execPath, ['-e', script, output], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(watchdog);
    assert.equal(code, 0, `the child exits by itself after stop() (output: ${stdout})`);
    const counts = JSON.parse(stdout) as { baseline: number; running: number; after: number };
    const { baseline, running, after: left } = counts;
    assert.ok(running > baseline + 3, `threads ran (${baseline} before, ${running} while running)`);
    assert.equal(left, baseline, `threads back to ${baseline} after stop (${left})`);
  });

  test('the process exits cleanly while stop() is still joining: the environment\'s cleanup waits for it', async () => {
    const script = `
      const { Pipeline } = require(${JSON.stringify(path.resolve(__dirname, '..', 'ts', 'pipeline.js'))});
      const pipelines = [new Pipeline(), new Pipeline()];
      for (const pipeline of pipelines) {
        pipeline.start({ input: 'test:ball', testSource: { width: 320, height: 240 }, output: null });
      }
      pipelines[0].on('state', ({ state }) => {
        if (state !== 'playing') return;
        void pipelines[0].stop();  // in flight on its own thread; the other pipeline is never stopped
        process.exit(3);
      });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      child.once('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal])));
    clearTimeout(watchdog);
    assert.deepEqual([code, signal], [3, null], `the exit code it asked for, no crash: ${stderr}`);
  });
});

async function run(command: string, args: string[]): Promise<void> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`${command} failed (${code}): ${stderr}`);
}
