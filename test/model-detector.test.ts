// SPDX-License-Identifier: Apache-2.0
// OwlDetector's behaviour on the tiny model: prompt versions and re-encoding only on change (with the
// embedding cache), atomic prompt swaps while frames are in flight, frame transfer to the worker, and
// errors that leave the detector usable.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { markAsUntransferable } from 'node:worker_threads';
import { DetectResult, OwlDetector } from '../ts/model/detector';
import { ModelError } from '../ts/model/model-error';
import { PromptError } from '../ts/model/prompts';
import { bytes, loadReference, TINY_MODEL } from './helpers/owl-fixture';

const ref = loadReference();
const square = ref.images[0];
let detector: OwlDetector;
/** The square reference image as a fresh [1,3,S,S] tensor (detect() takes its buffer). */
const frame = (): Float32Array => detector.preprocess(bytes(square.rgb), square.width, square.height);

before(async () => { detector = await OwlDetector.load(TINY_MODEL, { threads: 1, precision: 'fp32', textCacheSize: 4 }); });
after(async () => { await detector.close(); });

test('detect() before any prompts fails clearly, and the detector stays usable', async () => {
  assert.equal(detector.prompts.version, 0);
  await assert.rejects(detector.detect(frame(), 96, 96),
    new ModelError('runtime', 'no prompts set: call setPrompts() before detect()'));
});

test('setPrompts re-encodes only what changed; versions count changes', async () => {
  const first = await detector.setPrompts('a person, a hat', '0.3');
  assert.deepEqual(first, { version: 1, objects: ['a person', 'a hat'], thresholds: [0.3, 0.3] });
  assert.deepEqual(detector.stats.text, { cacheHits: 0, encoded: 2, runs: 1 });

  assert.equal((await detector.setPrompts(['a person', 'a hat'], [0.3, 0.3])).version, 1, 'same list: same version');
  const thresholds = await detector.setPrompts('a person, a hat', '0.3, 0.5');
  assert.equal(thresholds.version, 2);
  assert.deepEqual(detector.stats.text, { cacheHits: 0, encoded: 2, runs: 1 }, 'thresholds alone: no encoding');

  await detector.setPrompts('a hat, a bike', '0.4');
  assert.deepEqual(detector.stats.text, { cacheHits: 1, encoded: 3, runs: 2 }, 'only "a bike" is new');
  const back = await detector.setPrompts('a person, a hat', '0.3');
  assert.equal(back.version, 4);
  assert.deepEqual(detector.stats.text, { cacheHits: 3, encoded: 3, runs: 2 }, 'both cached');
});

test('a refused prompt list changes nothing', async () => {
  const before = detector.prompts;
  await assert.rejects(detector.setPrompts('a person, a hat', '0.1, 0.2, 0.3'),
    (err: unknown) => err instanceof PromptError && err.code === 'count_mismatch');
  await assert.rejects(detector.setPrompts('a person|x', '0.1'),
    (err: unknown) => err instanceof PromptError && err.code === 'invalid_character');
  assert.deepEqual(detector.prompts, before);
});

test('detections carry labels, the prompt version and timings', async () => {
  const state = await detector.setPrompts(ref.prompts.map((p) => p.text), ref.thresholds);
  const result = await detector.detect(frame(), square.width, square.height, 5);
  assert.equal(result.frameId, 5);
  assert.equal(result.promptVersion, state.version);
  assert.equal(result.detections.length, square.decode.patches.length);
  for (const d of result.detections) {
    assert.equal(d.label, state.objects[d.labelIndex]);
    assert.ok(d.score > state.thresholds[d.labelIndex]);
  }
  assert.ok(result.timings.inferenceMs > 0 && result.timings.decodeMs > 0);
  assert.ok(result.timings.totalMs >= result.timings.inferenceMs);
});

test('each frame is decoded entirely with one prompt-set version, even while prompts change', async () => {
  const setA = { objects: ref.prompts.map((p) => p.text), thresholds: ref.thresholds };
  const setB = { objects: ['a bike', 'a person'], thresholds: [0.3, 0.35] };
  const expected = new Map<string, DetectResult['detections']>();
  for (const set of [setA, setB]) {
    await detector.setPrompts(set.objects, set.thresholds);
    expected.set(set.objects.join(','), (await detector.detect(frame(), 96, 96)).detections);
  }
  assert.notDeepEqual(expected.get(setA.objects.join(',')), expected.get(setB.objects.join(',')));

  const objectsOf = new Map<number, string>([[detector.prompts.version, setB.objects.join(',')]]);
  const done: DetectResult[] = [];
  const swaps: Promise<unknown>[] = [];
  // As the pipeline does: one frame at a time, while prompt changes arrive at any moment.
  for (let i = 0; i < 24; i++) {
    const result = detector.detect(frame(), 96, 96, i);
    if (i % 3 === 0) {
      const set = i % 2 === 0 ? setA : setB;
      swaps.push(detector.setPrompts(set.objects, set.thresholds)
        .then((state) => objectsOf.set(state.version, state.objects.join(','))));
    }
    done.push(await result);
  }
  await Promise.all(swaps);
  const versions = done.map((r) => r.promptVersion);
  assert.deepEqual([...versions].sort((a, b) => a - b), versions, 'versions never go back');
  assert.ok(new Set(versions).size >= 3, `several versions in flight (${[...new Set(versions)]})`);
  for (const r of done) {
    const objects = objectsOf.get(r.promptVersion);
    assert.ok(objects !== undefined, `frame ${r.frameId}: unknown version ${r.promptVersion}`);
    assert.deepEqual(r.detections, expected.get(objects), `frame ${r.frameId} (version ${r.promptVersion})`);
  }
});

test('redecode() applies the prompts now in force to a frame\'s kept outputs, as a fresh detect() would', async () => {
  await detector.setPrompts('a person, a hat', '0.3');
  const first = await detector.detect(frame(), square.width, square.height);
  const state = await detector.setPrompts('a bike, a dog, a cat', '0.2');
  const again = detector.redecode(first.encoded);
  const fresh = await detector.detect(frame(), square.width, square.height);
  assert.equal(again.promptVersion, state.version);
  assert.equal(again.promptSet, 'default');
  assert.equal(again.batchSize, 0, 'no image-encoder run');
  assert.equal(again.timings.inferenceMs, 0);
  assert.ok(again.detections.length > 0);
  assert.deepEqual(again.detections, fresh.detections);
  assert.notDeepEqual(again.detections.map((d) => d.label), first.detections.map((d) => d.label));
  assert.throws(() => detector.redecode(first.encoded, 'stream:nobody'),
    new ModelError('runtime', 'no prompts set: call setPrompts() before detect()'));
});

test('a frame of a batch keeps its own outputs, not the batch\'s', async () => {
  const [a, b] = await Promise.all(detector.detectBatch([{ tensor: frame(), width: 96, height: 96 },
    { tensor: frame(), width: 96, height: 96 }]));
  const { numPatches, embedDim } = detector.folder.config;
  for (const { encoded } of [a, b]) {
    assert.equal(encoded.classEmbeds.buffer.byteLength, numPatches * embedDim * 4);
    assert.equal(encoded.boxes.buffer.byteLength, numPatches * 4 * 4);
  }
  assert.deepEqual(a.encoded.classEmbeds, b.encoded.classEmbeds, 'the same picture, the same outputs');
});

test('frames are transferred to the worker, or copied when their buffer cannot move', async () => {
  await detector.setPrompts('a person', '0.3');
  const start = detector.stats.frames;
  const tensor = frame();
  await detector.detect(tensor, 96, 96);
  assert.equal(tensor.byteLength, 0, 'the buffer moved (detached here)');
  const pinned = frame();
  markAsUntransferable(pinned.buffer);
  const fromPinned = await detector.detect(pinned, 96, 96);
  assert.equal(pinned.byteLength, 3 * 96 * 96 * 4, 'the caller keeps an untransferable buffer');
  assert.deepEqual(fromPinned.detections, (await detector.detect(frame(), 96, 96)).detections);
  const stats = detector.stats.frames;
  assert.equal(stats.transferred - start.transferred, 2);
  assert.equal(stats.copied - start.copied, 1);
});

test('a wrong tensor size fails that frame only', async () => {
  await assert.rejects(detector.detect(new Float32Array(10), 96, 96),
    new ModelError('runtime', 'Expected a [1,3,96,96] tensor (27648 floats) for the frame but received 10 floats'));
  await assert.rejects(detector.detect(frame(), 0, 96),
    new ModelError('runtime', 'Expected a positive integer for options.frameWidth but received 0'));
  assert.ok((await detector.detect(frame(), 96, 96)).detections.length > 0);
});

test('a closed detector refuses frames', async () => {
  const other = await OwlDetector.load(TINY_MODEL, { threads: 1, precision: 'fp32' });
  await other.close();
  await assert.rejects(other.detect(new Float32Array(3 * 96 * 96), 96, 96), new ModelError('runtime', 'the detector is closed'));
});
