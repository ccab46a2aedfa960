// SPDX-License-Identifier: Apache-2.0
// The tracker core (native/src/tracker) through its C++ unit tests (native/test/tracker_test.cc, built as
// owl_tracker_test: hand-made sequences with known answers, no Node or GStreamer), one test per case; then
// its N-API binding (native.Tracker): the typed guards and a round trip of every method; and the TS class around it.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { TRACKER_DEFAULTS } from '../ts/generated/shared-constants';
import { addonPath, native, type NativeTracker } from '../ts/native';
import { PipelineError, Tracker } from '../ts/pipeline';

const harness = path.join(path.dirname(addonPath), 'owl_tracker_test');

describe('tracker core (owl_tracker_test)', () => {
  const cases = execFileSync(harness, ['--list'], { encoding: 'utf8' }).split('\n').filter((line) => line !== '');

  test('lists its cases', () => {
    assert.ok(cases.length >= 20, cases.join(', '));
    for (const expected of ['crossing paths keep ids', 'missed for k frames keeps its id',
      'occlusion longer than the buffer gives a new id', 'label change gives a new id',
      'irregular intervals keep ids and velocity', '500 detections per frame', 'empty frames and death after the buffer',
      'prompt change resets only removed labels', 'time going backwards starts over']) {
      assert.ok(cases.includes(expected), expected);
    }
  });

  for (const name of cases) {
    test(name, () => new Promise<void>((resolve, reject) => {
      execFile(harness, [name], (err, _stdout, stderr) => {
        if (err) reject(new Error(`${name} failed (${err.code}):\n${stderr}`));
        else resolve();
      });
    }));
  }

  test('an unknown case is an error, not a pass', () => {
    assert.throws(() => execFileSync(harness, ['no such case'], { stdio: 'pipe' }), /no case named "no such case"/);
  });
});

/** One frame of boxes [x0, y0, x1, y1] all of label 0 with score 0.9. */
function frame(tracker: NativeTracker, ms: number, boxes: number[][], labels = boxes.map(() => 0)) {
  return tracker.update(ms, Int32Array.from(labels), new Float32Array(boxes.length).fill(0.9), Float32Array.from(boxes.flat()));
}

describe('native.Tracker', () => {
  test('trackerDefaults holds every option, frozen, and is accepted as is', () => {
    assert.deepEqual(Object.keys(native.trackerDefaults).sort(), ['bufferMs', 'highScore', 'initialSpeedStd', 'lowMatchIou',
      'lowScore', 'marginSigmas', 'matchIou', 'maxMargin', 'measurementNoise', 'minHits', 'motionNoise', 'tentativeMatchIou']);
    assert.ok(Object.isFrozen(native.trackerDefaults));
    assert.equal(native.trackerDefaults.lowScore, 0.1);
    // The one source of the defaults (shared-constants.json) reaches the core and TS alike.
    assert.deepEqual({ ...native.trackerDefaults }, { ...TRACKER_DEFAULTS });
    assert.ok(new native.Tracker(native.trackerDefaults));
  });

  test('the constructor refuses missing, mistyped and out-of-range options, naming them', () => {
    assert.throws(() => new native.Tracker(undefined as never),
      { name: 'TypeError', message: 'Expected an object for options but received undefined' });
    const { bufferMs: _, ...withoutBuffer } = native.trackerDefaults;
    assert.throws(() => new native.Tracker(withoutBuffer as never),
      { name: 'TypeError', message: 'Expected a 32-bit integer for options.bufferMs but received undefined' });
    assert.throws(() => new native.Tracker({ ...native.trackerDefaults, matchIou: 'high' as never }),
      { name: 'TypeError', message: 'Expected a finite number for options.matchIou but received a string' });
    assert.throws(() => new native.Tracker({ ...native.trackerDefaults, minHits: 0 }),
      { name: 'RangeError', message: 'tracker option minHits must be at least 1, got 0' });
    assert.throws(() => new native.Tracker({ ...native.trackerDefaults, highScore: 0.05 }),
      { name: 'RangeError', message: 'tracker option defaultThresholds must satisfy 0 <= low <= high <= 1, got high 0.05, low 0.1' });
  });

  test('update() checks its arrays and refuses bad values whole', () => {
    const t = new native.Tracker(native.trackerDefaults);
    const none = [new Int32Array(0), new Float32Array(0), new Float32Array(0)] as const;
    assert.throws(() => t.update(1.5, ...none),
      { name: 'TypeError', message: 'Expected an integer number of milliseconds for timestampMs but received 1.5' });
    assert.throws(() => t.update(0, [0] as never, new Float32Array(1), new Float32Array(4)),
      { name: 'TypeError', message: 'Expected an Int32Array for labels but received an Array' });
    assert.throws(() => t.update(0, new Int32Array(1), new Float64Array(1) as never, new Float32Array(4)),
      { name: 'TypeError', message: 'Expected a Float32Array for scores but received Float64Array' });
    assert.throws(() => t.update(0, new Int32Array(2), new Float32Array(2), new Float32Array(6)),
      { name: 'RangeError', message: 'Expected 8 elements (labels.length * 4) for boxes but received 6' });
    frame(t, 0, [[10, 10, 50, 90]]);
    assert.throws(() => t.update(100, Int32Array.of(0, 0), Float32Array.of(0.9, 0.9), Float32Array.of(10, 10, 50, 90, 0, 0, NaN, 1)),
      { name: 'RangeError', message: 'detection 1: box (0, 0, nan, 1) is not finite' });
    // The refused frame changed nothing: the next one confirms the track (its second hit).
    assert.deepEqual([...frame(t, 100, [[10, 10, 50, 90]]).trackIds], [1]);
  });

  test('update() gives ids per detection and the confirmed tracks; predict() extrapolates by time', () => {
    const t = new native.Tracker(native.trackerDefaults);
    assert.equal(t.predict(0).ids.length, 0);
    let r = frame(t, 1000, [[100, 100, 140, 200], [500, 100, 540, 200]]);
    assert.deepEqual([...r.trackIds], [0, 0]);  // tentative: minHits 2
    assert.equal(r.tracks.ids.length, 0);
    for (let i = 1; i <= 10; i++) r = frame(t, 1000 + i * 100, [[100 + 10 * i, 100, 140 + 10 * i, 200], [500, 100, 540, 200]]);
    assert.deepEqual([...r.trackIds], [1, 2]);
    assert.equal(r.timeReset, false);
    assert.deepEqual([...r.tracks.ids], [1, 2]);
    assert.deepEqual([...r.tracks.labels], [0, 0]);
    assert.deepEqual([...r.tracks.detections], [0, 1]);
    assert.deepEqual([...r.tracks.lastMatchMs], [2000, 2000]);
    assert.ok(Math.abs(r.tracks.scores[0] - 0.9) < 1e-6);
    // The moving one (100 px/s) half a second later: centre x 220 + 50 = 270; the still one stays.
    const p = t.predict(2500);
    assert.deepEqual([...p.ids], [1, 2]);
    assert.deepEqual([...p.detections], [-1, -1]);
    assert.ok(Math.abs((p.boxes[0] + p.boxes[2]) / 2 - 270) < 3, `moving centre ${(p.boxes[0] + p.boxes[2]) / 2}`);
    assert.ok(Math.abs((p.boxes[4] + p.boxes[6]) / 2 - 520) < 1);
    // Earlier than the last frame: a restarted source.
    r = frame(t, 0, [[100, 100, 140, 200]]);
    assert.equal(r.timeReset, true);
    assert.deepEqual([...r.trackIds], [0]);
  });

  test('remapLabels() drops only the removed labels; setThresholds() sets per-label thresholds', () => {
    const t = new native.Tracker(native.trackerDefaults);
    const boxes = [[100, 100, 150, 150], [300, 100, 350, 150]];
    frame(t, 0, boxes, [0, 1]);
    assert.deepEqual([...frame(t, 100, boxes, [0, 1]).trackIds], [1, 2]);
    t.remapLabels(Int32Array.of(-1, 0));  // prompt 0 removed, prompt 1 is now 0
    assert.deepEqual([...t.predict(100).ids], [2]);
    assert.deepEqual([...frame(t, 200, [boxes[1]], [0]).trackIds], [2]);
    assert.throws(() => t.remapLabels([0] as never),
      { name: 'TypeError', message: 'Expected an Int32Array for oldToNew but received an Array' });
    assert.throws(() => t.setThresholds(Float32Array.of(0.5), new Float32Array(2)),
      { name: 'RangeError', message: 'Expected 1 elements (high.length) for low but received 2' });
    // Label 0's high threshold 0.95: a 0.9 detection no longer starts a track.
    t.setThresholds(Float32Array.of(0.95), Float32Array.of(0.5));
    const at = (ms: number) => t.update(ms, Int32Array.of(0), Float32Array.of(0.9), Float32Array.of(700, 100, 750, 150));
    at(300);
    assert.deepEqual([...at(400).trackIds], [0]);
  });

  test('500 detections a frame cross the boundary', () => {
    const t = new native.Tracker(native.trackerDefaults);
    const boxes = Array.from({ length: 500 }, (_, k) => [50 * (k % 25), 50 * Math.floor(k / 25), 50 * (k % 25) + 30, 50 * Math.floor(k / 25) + 30]);
    frame(t, 0, boxes);
    const r = frame(t, 33, boxes);
    assert.equal(new Set(r.trackIds).size, 500);
    assert.equal(r.tracks.boxes.length, 2000);
    assert.equal(t.predict(50).ids.length, 500);
  });

  test('setOptions() changes the settings and keeps the tracks; refused options change nothing', () => {
    const t = new native.Tracker(native.trackerDefaults);
    frame(t, 0, [[10, 10, 50, 90]]);
    assert.deepEqual([...frame(t, 100, [[12, 10, 52, 90]]).trackIds], [1]);
    assert.throws(() => t.setOptions({ ...native.trackerDefaults, minHits: 0 }),
      { name: 'RangeError', message: 'tracker option minHits must be at least 1, got 0' });
    assert.throws(() => t.setOptions(null as never),
      { name: 'TypeError', message: 'Expected an object for options but received null' });
    t.setOptions({ ...native.trackerDefaults, bufferMs: 200 });
    assert.deepEqual([...frame(t, 200, [[14, 10, 54, 90]]).trackIds], [1]);
    assert.deepEqual([...t.predict(400).ids], [1]);
    assert.deepEqual([...t.predict(401).ids], [], 'gone 200 ms after its last match');
  });
});

describe('Tracker (ts/pipeline/tracker.ts)', () => {
  test('takes detections as the detector gives them and answers with ids per detection', () => {
    const tracker = new Tracker({ minHits: 1 });
    const person = { labelIndex: 0, score: 0.9, box: [10, 10, 50, 90] as const };
    assert.deepEqual(tracker.update(0, [person, { ...person, labelIndex: 1, box: [200, 10, 240, 90] }]), [1, 2]);
    assert.deepEqual(tracker.update(100, []), []);
    // Prompt 0 gone, prompt 1 now at index 0: its track keeps its id, the other's object is a new one.
    tracker.remapLabels([-1, 0]);
    assert.deepEqual(tracker.update(200, [{ ...person, box: [200, 10, 240, 90] }, person]), [2, 3]);
    // A low threshold of its own: a 0.3 detection extends a track but starts none.
    tracker.setThresholds([0.5], [0.2]);
    assert.deepEqual(tracker.update(300, [{ ...person, score: 0.3, box: [200, 10, 240, 90] },
      { ...person, score: 0.3, box: [400, 10, 440, 90] }]), [2, 0]);
  });

  test('refusals are PipelineErrors with code EINVAL', () => {
    assert.throws(() => new Tracker({ matchIou: 2 }), (err) => err instanceof PipelineError && err.code === 'EINVAL'
      && err.message === 'tracker option matchIou must be in (0, 1], got 2');
    const tracker = new Tracker();
    assert.throws(() => tracker.update(0.5, []), (err) => err instanceof PipelineError && err.code === 'EINVAL'
      && err.message === 'Expected an integer number of milliseconds for timestampMs but received 0.5');
    assert.throws(() => tracker.setThresholds([0.5], [0.6]), (err) => err instanceof PipelineError
      && err.message === 'the thresholds of label 0 must satisfy 0 <= low <= high <= 1, got high 0.5, low 0.6');
    assert.throws(() => tracker.setOptions({ bufferMs: -1 }), (err) => err instanceof PipelineError
      && err.message === 'tracker option bufferMs must be >= 0, got -1');
  });
});
