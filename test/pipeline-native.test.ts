// SPDX-License-Identifier: Apache-2.0
// The raw addon surface of the portable engine (RtspServer, Pipeline): argument guards, exact messages and
// lifecycle rules, without the TS wrapper in between.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { native, type NativePipelineEvent, type NativePipelineOptions } from '../ts/native';
import { freePort } from './helpers/ports';
import { waitFor } from './helpers/wait';

function options(overrides: Partial<NativePipelineOptions> = {}): NativePipelineOptions {
  return {
    input: { kind: 'test', uri: 'ball', rtspTransport: 'tcp', latencyMs: 100, width: 320, height: 240, fps: 30 },
    output: { server: null, mount: '/out', preset: 'ultrafast', bitrateKbps: 1000, width: 0, height: 0 },
    inference: { inputSize: 0, mean: [0, 0, 0], std: [1, 1, 1] },
    reconnect: { initialDelayMs: 100, maxDelayMs: 1000, stallTimeoutMs: 1000 },
    overlay: { lineWidth: 3, fontSize: 12, palette: [[255, 0, 0]] },
    ...overrides,
  };
}

const ignore = () => undefined;

describe('native RtspServer', () => {
  test('checks its options', () => {
    assert.throws(() => new native.RtspServer(undefined as never),
      { name: 'TypeError', message: 'Expected an options object {host, port}' });
    assert.throws(() => new native.RtspServer({ host: '127.0.0.1', port: 'x' as never }),
      { name: 'TypeError', message: 'Expected a 32-bit integer for port but received a string' });
    assert.throws(() => new native.RtspServer({ host: '127.0.0.1', port: 70000 }), { name: 'RangeError' });
  });

  test('binds port 0 to a free port, starts once and stops idempotently', () => {
    const server = new native.RtspServer({ host: '127.0.0.1', port: 0 });
    assert.equal(server.port(), 0);
    server.start();
    assert.ok(server.port() > 0);
    assert.throws(() => server.start(), { code: 'ESTATE', domain: 'owl' });
    server.stop();
    server.stop();
    assert.equal(server.port(), 0);
  });
});

describe('native Pipeline', () => {
  test('checks its arguments, naming the field', () => {
    assert.throws(() => new (native.Pipeline as unknown as new () => unknown)(),
      { name: 'TypeError', message: 'Expected an options object for the pipeline' });
    assert.throws(() => new native.Pipeline(options(), ignore, undefined as never),
      { name: 'TypeError', message: 'Expected functions onEvent and onFrame after the options' });
    const bad = options();
    (bad.input as { width: unknown }).width = '1280';
    assert.throws(() => new native.Pipeline(bad, ignore, ignore),
      { name: 'TypeError', message: 'Expected a 32-bit integer for input.width but received a string' });
    const stranger = options({ output: { ...options().output, server: {} as never } });
    assert.throws(() => new native.Pipeline(stranger, ignore, ignore),
      { name: 'TypeError', message: 'Expected an RtspServer for output.server' });
    const noColours = options({ overlay: { lineWidth: 3, fontSize: 12, palette: [] } });
    assert.throws(() => new native.Pipeline(noColours, ignore, ignore),
      { name: 'TypeError', message: 'Expected at least one colour in overlay.palette' });
  });

  test('rejects an unknown test pattern and x264 preset at start', () => {
    const pattern = new native.Pipeline(options({ input: { ...options().input, uri: 'plaid' } }), ignore, ignore);
    assert.throws(() => pattern.start(), { code: 'EINVAL', message: /Unknown test pattern 'plaid'/ });
    const server = new native.RtspServer({ host: '127.0.0.1', port: 0 });
    server.start();
    try {
      const warp = options({ output: { ...options().output, server, preset: 'warp' } });
      const preset = new native.Pipeline(warp, ignore, ignore);
      assert.throws(() => preset.start(), { code: 'EINVAL', message: /Unknown x264 speed preset 'warp'/ });
    } finally {
      server.stop();
    }
  });

  test('starts once, checks detections, and ignores calls after stop', async () => {
    const events: string[] = [];
    const pipeline = new native.Pipeline(options(), (e) => events.push(e.type === 'state' ? e.state : e.code), ignore);
    pipeline.stop();  // before start: nothing to stop
    assert.throws(() => pipeline.start(),
      { code: 'ESTATE', message: 'Pipeline was stopped: create a new one to start again' });

    const running = new native.Pipeline(options(), (e) => events.push(e.type === 'state' ? e.state : e.code), ignore);
    running.start();
    assert.throws(() => running.start(), { code: 'ESTATE' });
    assert.throws(() => running.setDetections(1, [{ x0: 'a' } as never]),
      { name: 'TypeError', message: 'Expected a finite number for detections[0].x0 but received a string' });
    running.setDetections(1, [{ x0: 1, y0: 2, x1: 30, y1: 40, text: 'x', color: 7, trackId: 0 }]);
    assert.throws(() => running.setDetections(1, [{ x0: 1, y0: 2, x1: 30, y1: 40, text: 'x', color: 7, trackId: -1 }]),
      { name: 'TypeError',
        message: 'Expected an integer from 0 (untracked) to 2^53 - 1 for detections[0].trackId but received -1' });
    assert.throws(() => running.setTracker({} as never, true),
      { name: 'TypeError', message: 'Expected a Tracker for tracker but received an object' });
    assert.throws(() => running.setTracker(null, 1 as never),
      { name: 'TypeError', message: 'Expected a boolean for drawPredicted but received 1' });
    running.setTracker(new native.Tracker(native.trackerDefaults), true);
    running.setTracker(null, false);
    assert.throws(() => running.setOverlayStyle({ lineWidth: '3' } as never),
      { name: 'TypeError', message: 'Expected a 32-bit integer for overlay.lineWidth but received a string' });
    assert.throws(() => running.setOverlayStyle({ lineWidth: 0, fontSize: 12 }), { name: 'RangeError',
      message: 'Expected overlay.lineWidth >= 1 and overlay.fontSize >= 0 but received 0 and 12' });
    running.setOverlayStyle({ lineWidth: 5, fontSize: 0 });
    running.stop();
    running.stop();
    running.setDetections(2, []);
    running.frameDone();
    assert.equal(running.snapshot(), null, 'no snapshot once stopped');
    assert.equal(pipeline.snapshot(), null, 'nor before start');
    assert.equal(typeof running.stats().framesIn, 'number');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(events[0], 'connecting');
    assert.equal(events.at(-1), 'stopped');
  });

  test('a full event queue drops and counts events, and the latest state still arrives last', async () => {
    // A camera port that refuses at once and retries 1 ms apart: connecting/lost events as fast as the engine goes.
    const port = await freePort();
    const events: NativePipelineEvent[] = [];
    const pipeline = new native.Pipeline(options({
      input: { ...options().input, kind: 'rtsp', uri: `rtsp://127.0.0.1:${port}/cam` },
      reconnect: { initialDelayMs: 1, maxDelayMs: 1, stallTimeoutMs: 1000 },
    }), (e) => events.push(e), ignore);
    pipeline.start();
    // The JS thread stays busy, so nothing is delivered and the event queue (256) fills up.
    const deadline = Date.now() + 30_000;
    while (pipeline.stats().eventsDropped === 0 && Date.now() < deadline) { /* busy */ }
    assert.ok(pipeline.stats().eventsDropped > 0, 'the queue never filled');
    // stop() joins on a thread of its own: stay busy while it does, so its `stopped` event finds the queue full too.
    const stopping = pipeline.stop();
    const busyUntil = Date.now() + 1000;
    while (Date.now() < busyUntil) { /* busy */ }
    const dropped = pipeline.stats().eventsDropped;
    assert.ok(dropped >= 2, `the stopped event was dropped too (${dropped})`);
    assert.equal(events.length, 0);

    await waitFor(() => events.at(-1)?.type === 'state' && (events.at(-1) as { state: string }).state === 'stopped',
      'the stopped state to arrive last');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const states = events.filter((e) => e.type === 'state').map((e) => e.state);
    assert.equal(states.at(-1), 'stopped');
    assert.equal(states.filter((s) => s === 'stopped').length, 1, 'stopped arrives once');
    assert.ok(events.length >= 256, `the queued events arrive (${events.length})`);
    await stopping;
    assert.equal(pipeline.stats().eventsDropped, dropped, 'the count survives stop');
  });
});
