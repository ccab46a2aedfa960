// SPDX-License-Identifier: Apache-2.0
// A stuck pipeline turns /ready red: FrameWatch on streams whose counters a test moves (STAND-IN streams: a real
// pipeline's own watchdog turns a stall into `lost` first, which is what this second line of defence is for when
// it does not), and readiness() with the result.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { readiness } from '../ts/api/readiness';
import type { StreamState } from '../ts/api/service';
import { FrameWatch } from '../ts/service/frame-watch';
import type { ServiceStream } from '../ts/service/service-stream';

/** A STAND-IN stream: only what FrameWatch reads. */
function standInStream(key: string) {
  const stream = {
    key, framesIn: 0, state: 'playing' as StreamState, since: new Date(0).toISOString(),
    counters: () => ({ streamId: key, framesIn: stream.framesIn, framesOut: 0, framesToModel: 0, framesDropped: 0,
      reconnects: 0, eventsDropped: 0 }),
    status: () => ({ id: key, state: stream.state, reason: '', since: stream.since }),
  };
  return stream;
}

test('a flowing stream whose frame counter stops beyond the stall timeout is stuck, and /ready says so', () => {
  let now = 10_000;
  const front = standInStream('front');
  const back = standInStream('back');
  const watch = new FrameWatch(() => [front, back] as unknown as ServiceStream[], () => 5000, () => now);
  const frontStream = front as unknown as ServiceStream;
  const backStream = back as unknown as ServiceStream;
  assert.equal(watch.stalledMs(frontStream), null, 'not sampled yet');
  for (let t = 0; t < 12; t++) {
    back.framesIn += 30;  // back keeps delivering, front never does after the first sample
    watch.sample();
    now += 1000;
  }
  assert.equal(watch.stalledMs(frontStream), 12_000);
  assert.equal(watch.stalledMs(backStream), null);
  const status = (stream: typeof front) => ({ ...stream.status(),
    ...(watch.stalledMs(stream as unknown as ServiceStream) === null ? {}
      : { stalledMs: watch.stalledMs(stream as unknown as ServiceStream)! }) });
  const verdict = readiness({ engine: 'portable', model: { loaded: true, error: null },
    redis: { state: 'ready', error: null }, streams: [status(front), status(back)], startedAt: '' });
  assert.deepEqual(verdict, { ready: false, reasons: ['stream front is playing but no frame came for 12.0 s '
    + '(more than input.reconnect.stallTimeoutMs): its pipeline is stuck'] });

  // Frames again: not stuck any more.
  front.framesIn = 1;
  watch.sample();
  assert.equal(watch.stalledMs(frontStream), null);
});

test('a stream that is not flowing is the state\'s business; one that just started flowing is timed from then', () => {
  let now = 100_000;
  const cam = standInStream('cam');
  const watch = new FrameWatch(() => [cam] as unknown as ServiceStream[], () => 5000, () => now);
  const stream = cam as unknown as ServiceStream;
  watch.sample();
  now += 20_000;
  cam.state = 'lost';
  assert.equal(watch.stalledMs(stream), null);
  cam.state = 'reconnected';
  cam.since = new Date(now - 2000).toISOString();
  assert.equal(watch.stalledMs(stream), null, 'reconnected 2 s ago');
  now += 4000;
  assert.equal(watch.stalledMs(stream), 6000);
});

test('removed streams are forgotten', () => {
  const streams = [standInStream('a')];
  const watch = new FrameWatch(() => streams as unknown as ServiceStream[], () => 5000, () => 0);
  watch.sample();
  const removed = streams.pop()!;
  watch.sample();
  assert.equal(watch.stalledMs(removed as unknown as ServiceStream), null);
});
