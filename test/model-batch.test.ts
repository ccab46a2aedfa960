// SPDX-License-Identifier: Apache-2.0
// One model for several streams, on the tiny model: a batch through the image encoder decodes each frame
// with its own prompt set exactly as it would alone; and the scheduler that forms the batches gives every
// stream its turn, never holds up a lone stream, and waits briefly for the others' frames.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { DEFAULT_PROMPT_SET, type DetectResult, OwlDetector } from '../ts/model/detector';
import { ModelError } from '../ts/model/model-error';
import { InferenceScheduler } from '../ts/engines/inference-scheduler';
import { bytes, loadReference, TINY_MODEL } from './helpers/owl-fixture';

const ref = loadReference();
let detector: OwlDetector;
const tensorOf = (i: number): Float32Array => {
  const image = ref.images[i % ref.images.length];
  return detector.preprocess(bytes(image.rgb), image.width, image.height);
};
const sizeOf = (i: number) => ref.images[i % ref.images.length];

const PEOPLE = { objects: ['a person', 'a hat'], thresholds: [0.3, 0.3] };
const PETS = { objects: ['a dog', 'a cat', 'a bike'], thresholds: [0.2, 0.3, 0.35] };

before(async () => {
  detector = await OwlDetector.load(TINY_MODEL, { threads: 1, precision: 'fp32', textCacheSize: 8 });
  await detector.setPrompts(PEOPLE.objects, PEOPLE.thresholds);
  await detector.setPrompts(PETS.objects, PETS.thresholds, 'stream:pets');
});
after(async () => { await detector.close(); });

describe('detectBatch', () => {
  test('each frame of a batch decodes as it would alone, with its own prompt set', async () => {
    const sets = [DEFAULT_PROMPT_SET, 'stream:pets', 'stream:pets', DEFAULT_PROMPT_SET];
    const alone: DetectResult[] = [];
    for (let i = 0; i < sets.length; i++) {
      alone.push(await detector.detectBatch([{ tensor: tensorOf(i), width: sizeOf(i).width, height: sizeOf(i).height,
        promptSet: sets[i] }])[0]);
    }
    const together = await Promise.all(detector.detectBatch(sets.map((promptSet, i) => ({ tensor: tensorOf(i),
      width: sizeOf(i).width, height: sizeOf(i).height, frameId: i, promptSet }))));
    together.forEach((result, i) => {
      assert.equal(result.frameId, i);
      assert.equal(result.batchSize, 4);
      assert.equal(alone[i].batchSize, 1);
      const labels = sets[i] === DEFAULT_PROMPT_SET ? PEOPLE.objects : PETS.objects;
      assert.ok(result.detections.length > 0, `frame ${i} has detections`);
      assert.ok(result.detections.every((d) => labels.includes(d.label)), `frame ${i} labels from its own set`);
      assert.deepEqual(result.detections.map((d) => [d.label, d.labelIndex]), alone[i].detections.map((d) => [d.label, d.labelIndex]));
      result.detections.forEach((d, k) => {
        assert.ok(Math.abs(d.score - alone[i].detections[k].score) < 1e-4, `frame ${i} score ${k}`);
        d.box.forEach((v, j) => assert.ok(Math.abs(v - alone[i].detections[k].box[j]) < 1e-2, `frame ${i} box ${k}`));
      });
    });
    assert.equal(together[0].timings.inferenceMs, together[3].timings.inferenceMs, 'one image-encoder run');
  });

  test('a frame that cannot be decoded fails alone', async () => {
    const [good, wrongSize, unknownSet] = await Promise.allSettled(detector.detectBatch([
      { tensor: tensorOf(0), width: 96, height: 96 },
      { tensor: new Float32Array(10), width: 96, height: 96 },
      { tensor: tensorOf(1), width: 96, height: 96, promptSet: 'stream:nobody' },
    ]));
    assert.ok(good.status === 'fulfilled' && good.value.detections.length > 0 && good.value.batchSize === 2);
    assert.deepEqual(wrongSize, { status: 'rejected', reason: new ModelError('runtime',
      'Expected a [1,3,96,96] tensor (27648 floats) for the frame but received 10 floats') });
    assert.deepEqual(unknownSet, { status: 'rejected',
      reason: new ModelError('runtime', 'no prompts set: call setPrompts() before detect()') });
  });

  test('prompt sets share one text-embedding cache and are dropped with their stream', async () => {
    const before = detector.stats.text;
    const state = await detector.setPrompts(PEOPLE.objects, [0.5], 'stream:copy');
    assert.deepEqual(state, { version: 1, objects: PEOPLE.objects, thresholds: [0.5, 0.5] });
    assert.equal(detector.stats.text.runs, before.runs, 'prompts of another set come from the cache');
    assert.deepEqual(detector.promptsOf('stream:pets')?.objects, PETS.objects);
    await detector.dropPrompts('stream:copy');
    assert.equal(detector.promptsOf('stream:copy'), null);
    await assert.rejects(detector.detectBatch([{ tensor: tensorOf(0), width: 96, height: 96, promptSet: 'stream:copy' }])[0],
      /no prompts set/);
    assert.deepEqual(detector.prompts.objects, PEOPLE.objects, 'the default set is untouched');
  });
});

describe('InferenceScheduler', () => {
  /** A stream as a pipeline drives it: offers a frame, and the next one only once the last is done. */
  function drive(scheduler: InferenceScheduler, stream: string, results: DetectResult[], until: () => boolean): Promise<void> {
    scheduler.setFlowing(stream, true);
    return (async () => {
      for (let i = 0; !until(); i++) {
        results.push(await scheduler.submit(stream, { tensor: tensorOf(i), width: 96, height: 96, frameId: i }));
      }
    })();
  }

  test('three streams, batches of two: every stream gets its turn', async () => {
    const scheduler = new InferenceScheduler(() => detector, { maxBatch: 2, gatherMs: 50 });
    const results = new Map<string, DetectResult[]>([['a', []], ['b', []], ['c', []]]);
    const total = () => [...results.values()].reduce((n, r) => n + r.length, 0);
    await Promise.all([...results].map(([stream, list]) => drive(scheduler, stream, list, () => total() >= 30)));
    const counts = [...results.values()].map((r) => r.length);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 2, `frames per stream: ${counts.join(', ')}`);
    const sizes = [...results.values()].flat().map((r) => r.batchSize);
    assert.ok(sizes.every((size) => size <= 2), 'never more than maxBatch');
    assert.ok(sizes.filter((size) => size === 2).length >= sizes.length * 0.8, `batches of two: ${sizes.join('')}`);
    scheduler.close();
  });

  test('a lone stream never waits for the gathering window', async () => {
    const scheduler = new InferenceScheduler(() => detector, { maxBatch: 8, gatherMs: 5000 });
    const results: DetectResult[] = [];
    const t0 = performance.now();
    await drive(scheduler, 'only', results, () => results.length >= 5);
    assert.ok(performance.now() - t0 < 2500, `5 frames in ${(performance.now() - t0).toFixed(0)} ms`);
    assert.ok(results.every((r) => r.batchSize === 1));
    scheduler.close();
  });

  test('a partial batch waits for the other flowing streams, not for stalled ones', async () => {
    const scheduler = new InferenceScheduler(() => detector, { maxBatch: 8, gatherMs: 400 });
    for (const stream of ['a', 'b', 'stalled']) scheduler.add(stream);
    scheduler.setFlowing('a', true);
    scheduler.setFlowing('b', true);
    const first = scheduler.submit('a', { tensor: tensorOf(0), width: 96, height: 96 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(scheduler.waiting, 1, 'a waits for b');
    const second = scheduler.submit('b', { tensor: tensorOf(1), width: 96, height: 96 });
    assert.deepEqual((await Promise.all([first, second])).map((r) => r.batchSize), [2, 2]);
    // b stops flowing: a goes alone, after the window at most.
    scheduler.setFlowing('b', false);
    const t0 = performance.now();
    assert.equal((await scheduler.submit('a', { tensor: tensorOf(0), width: 96, height: 96 })).batchSize, 1);
    assert.ok(performance.now() - t0 < 350, 'no wait for a stream that does not flow');
    // A waiting frame of a stream that is removed is refused.
    scheduler.remove('a');
    scheduler.add('c');
    scheduler.setFlowing('c', true);
    const removed = scheduler.submit('b', { tensor: tensorOf(0), width: 96, height: 96 });
    assert.equal(scheduler.waiting, 1, 'b waits for c');
    scheduler.remove('b');
    await assert.rejects(removed, new ModelError('runtime', 'stream b was removed'));
    scheduler.close();
  });
});
