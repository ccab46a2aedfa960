// SPDX-License-Identifier: Apache-2.0
// What a portable stream reports of each model result (ts/engines/stream-tracking.ts, with the real native tracker,
// no pipeline): boxes clipped to the frame, track ids, ByteTrack's second stage, prompt changes that keep the ids of
// the prompts that stay, live settings; the clipping on its own (ts/model/frame-boxes.ts) and the overlay's labels.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { configSchema, type OwlConfig } from '../ts/config/schema';
import { StreamTracking } from '../ts/engines/stream-tracking';
import type { DetectResult, Detection } from '../ts/model/detector';
import { clipToFrame } from '../ts/model/frame-boxes';
import { overlayLabel } from '../ts/pipeline';

const FRAME = { width: 640, height: 360 };

function trackerConfig(tracker: Record<string, unknown> = {}): OwlConfig['tracker'] {
  return configSchema.parse({ tracker }).tracker;
}

/** A detection of prompt `labelIndex` of `objects`. */
function det(objects: string[], labelIndex: number, score: number, box: [number, number, number, number]): Detection {
  return { label: objects[labelIndex], labelIndex, score, box };
}

/** A model result as the detector gives it: detections split at the prompts' thresholds (no encoder outputs). */
function result(objects: string[], thresholds: number[], detections: Detection[]): DetectResult {
  const none = new Float32Array(0);
  return {
    detections: detections.filter((d) => d.score > thresholds[d.labelIndex]),
    lowDetections: detections.filter((d) => d.score <= thresholds[d.labelIndex]),
    promptSet: 'default', promptVersion: 1, prompts: { objects, thresholds }, batchSize: 1,
    encoded: { classEmbeds: none, logitShift: none, logitScale: none, boxes: none, ...FRAME },
    timings: { inferenceMs: 0, decodeMs: 0, totalMs: 0 },
  };
}

const at = (timestampMs: number) => ({ timestampMs, ...FRAME });
const summary = (reported: { id?: number; label: string; score: number }[]) =>
  reported.map((d) => `${d.id ?? '-'} ${d.label} ${d.score}`);

describe('clipToFrame', () => {
  test('clips boxes to the frame and drops those wholly outside it, in order', () => {
    const items = [
      { n: 1, box: [-10, -20, 100, 400] as const },  // past the top and the bottom (as the demo's were)
      { n: 2, box: [700, 10, 800, 50] as const },  // right of the frame
      { n: 3, box: [10, 360, 50, 400] as const },  // below it, touching the edge: no area inside
      { n: 4, box: [630, 350, 650, 370] as const },
    ];
    assert.deepEqual(clipToFrame(items, 640, 360), [{ n: 1, box: [0, 0, 100, 360] }, { n: 4, box: [630, 350, 640, 360] }]);
    assert.deepEqual(items[0].box, [-10, -20, 100, 400], 'the input is left as it was');
  });
});

describe('overlayLabel', () => {
  test('the track id first, then the prompt, then the score when asked for', () => {
    const detection = { label: 'a person', labelIndex: 0, score: 0.634, box: [0, 0, 1, 1] as const };
    assert.equal(overlayLabel({ ...detection, trackId: 12 }, true), '#12 a person 0.63');
    assert.equal(overlayLabel({ ...detection, trackId: 12 }, false), '#12 a person');
    assert.equal(overlayLabel(detection, true), 'a person 0.63', 'untracked: no id');
  });
});

describe('StreamTracking', () => {
  const PROMPTS = ['a person', 'a dog'];
  const THRESHOLDS = [0.3, 0.3];

  test('tracker off: the detections above the threshold, clipped, without ids; the model decodes at the thresholds',
    () => {
      const tracking = new StreamTracking(trackerConfig({ enabled: false }));
      assert.equal(tracking.lowScoreRatio, 1);
      const reported = tracking.report(at(0), result(PROMPTS, THRESHOLDS, [
        det(PROMPTS, 0, 0.9, [-5, 10, 50, 90]), det(PROMPTS, 1, 0.5, [800, 10, 900, 50])]));
      assert.deepEqual(reported, [det(PROMPTS, 0, 0.9, [0, 10, 50, 90])]);
    });

  test('tracker on: confirmed tracks with their ids; low scores extend tracks and never start one', () => {
    const tracking = new StreamTracking(trackerConfig());
    assert.equal(tracking.lowScoreRatio, 0.5);
    const step = (ms: number, dx: number, personScore: number) => summary(tracking.report(at(ms),
      result(PROMPTS, THRESHOLDS, [det(PROMPTS, 0, personScore, [100 + dx, 100, 150 + dx, 200]),
        det(PROMPTS, 1, 0.2, [400, 100, 450, 150])])));
    assert.deepEqual(step(0, 0, 0.9), [], 'a new object is reported from its second model result (minHits 2)');
    assert.deepEqual(step(200, 10, 0.8), ['1 a person 0.8']);
    // The person partly hidden (0.2, below its threshold 0.3 but above 0.15): still followed, still reported. The dog
    // at 0.2 all along was never reported.
    assert.deepEqual(step(400, 20, 0.2), ['1 a person 0.2']);
    assert.deepEqual(step(600, 30, 0.9), ['1 a person 0.9']);
  });

  test('a prompt change keeps the tracks of the prompts that stay, even at a new index, and only those', () => {
    const tracking = new StreamTracking(trackerConfig());
    const person: [number, number, number, number] = [100, 100, 150, 200];
    const dog: [number, number, number, number] = [400, 100, 450, 150];
    for (const ms of [0, 100]) {
      tracking.report(at(ms), result(PROMPTS, THRESHOLDS, [det(PROMPTS, 0, 0.9, person), det(PROMPTS, 1, 0.9, dog)]));
    }
    // 'a person' gone, 'a dog' now at index 0, 'a cat' new (the same box as the person's: another object).
    const next = ['a dog', 'a cat'];
    const detections = [det(next, 0, 0.9, dog), det(next, 1, 0.9, person)];
    assert.deepEqual(summary(tracking.report(at(200), result(next, THRESHOLDS, detections))), ['2 a dog 0.9']);
    assert.deepEqual(summary(tracking.report(at(300), result(next, THRESHOLDS, detections))),
      ['2 a dog 0.9', '3 a cat 0.9']);
  });

  test('a re-decode of the newest frame with new prompts confirms their objects at once; minHits holds after it', () => {
    const tracking = new StreamTracking(trackerConfig());
    const person: [number, number, number, number] = [100, 100, 150, 200];
    const dog: [number, number, number, number] = [400, 100, 450, 150];
    for (const ms of [0, 100]) tracking.report(at(ms), result(PROMPTS, THRESHOLDS, [det(PROMPTS, 0, 0.9, person)]));
    // The frame at 100 ms again, with 'a person' kept at index 1 and 'a dog' new.
    const next = ['a dog', 'a person'];
    assert.deepEqual(summary(tracking.redecoded(at(100), result(next, THRESHOLDS,
      [det(next, 1, 0.8, person), det(next, 0, 0.7, dog)]))), ['1 a person 0.8', '2 a dog 0.7']);
    const bike: [number, number, number, number] = [250, 50, 300, 100];
    assert.deepEqual(summary(tracking.report(at(200), result(next, THRESHOLDS,
      [det(next, 1, 0.8, person), det(next, 0, 0.7, dog), det(next, 0, 0.9, bike)]))),
    ['1 a person 0.8', '2 a dog 0.7'], 'a new object of a model result waits for minHits again');
  });

  test('settings apply live; turned off and on again, ids are never used twice', () => {
    const tracking = new StreamTracking(trackerConfig({ minHits: 3 }));
    const box: [number, number, number, number] = [100, 100, 150, 200];
    const step = (ms: number) => summary(tracking.report(at(ms), result(PROMPTS, THRESHOLDS,
      [det(PROMPTS, 0, 0.9, box)])));
    assert.deepEqual([step(0), step(100)], [[], []]);
    tracking.configure(trackerConfig({ minHits: 1 }));
    assert.deepEqual(step(200), ['1 a person 0.9'], 'a tentative track confirmed under the new minHits');
    tracking.configure(trackerConfig({ enabled: false }));
    assert.equal(tracking.lowScoreRatio, 1);
    assert.deepEqual(step(300), ['- a person 0.9']);
    tracking.configure(trackerConfig({ minHits: 1, bufferMs: 0 }));
    assert.deepEqual(step(10_000), ['2 a person 0.9'], 'back after the buffer: a new object with a new id');
  });
});
