// SPDX-License-Identifier: Apache-2.0
// The native decode core on hand-built tensors whose answers are known: NanoOWL's argmax-then-threshold
// rule (argmax of the logits, as Hugging Face), strict per-prompt thresholds, pad_square undo on wide, tall
// and odd-padded frames (agreeing with preprocess to the pixel), class-wise NMS, the cap, and the exact
// messages for bad shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { native, NativeDecodeOptions, NativeImageOutputs, NativePromptSet } from '../ts/native';

const D = 4;
type Box = [number, number, number, number];
interface Patch {
  /** Class embedding (any length: the core normalises). */
  embed: number[];
  shift?: number;
  scale?: number;
  box?: Box;
}

function image(patches: Patch[]): NativeImageOutputs {
  return {
    classEmbeds: Float32Array.from(patches.flatMap((p) => p.embed)),
    logitShift: Float32Array.from(patches.map((p) => p.shift ?? 0)),
    logitScale: Float32Array.from(patches.map((p) => p.scale ?? 1)),
    boxes: Float32Array.from(patches.flatMap((p) => p.box ?? [0.25, 0.25, 0.75, 0.75])),
    numPatches: patches.length,
    embedDim: D,
  };
}

/** Prompts along the axes e0, e1, ... (scaled by 3: the core must normalise them). */
function prompts(thresholds: number[]): NativePromptSet {
  const textEmbeds = new Float32Array(thresholds.length * D);
  thresholds.forEach((_, q) => { textEmbeds[q * D + q] = 3; });
  return { textEmbeds, numQueries: thresholds.length, thresholds: Float32Array.from(thresholds) };
}

const square: NativeDecodeOptions = {
  frameWidth: 100, frameHeight: 100, inputSize: 100, nmsIou: 0, maxDetections: 100,
};
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
/** An embedding along axis `q`, optionally mixed with axis `r`. */
const axis = (q: number, weight = 1, r = -1, other = 0): number[] => {
  const v = [0, 0, 0, 0];
  v[q] = weight;
  if (r >= 0) v[r] = other;
  return v;
};

function labelsOf(result: ReturnType<typeof native.decode>): number[] {
  return Array.from(result.labels);
}

function boxesOf(result: ReturnType<typeof native.decode>): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < result.labels.length; i++) out.push(Array.from(result.boxes.subarray(i * 4, i * 4 + 4)));
  return out;
}

test('logits are (normalised class embed . normalised text embed + shift) * scale', () => {
  const img = image([
    { embed: axis(0, 2), shift: 0.5, scale: 3 },   // cos 1 with e0, 0 with e1
    { embed: [3, 4, 0, 0], shift: -1, scale: 2 },  // cos 0.6 with e0, 0.8 with e1
  ]);
  const logits = native.computeLogits(img, prompts([0.1, 0.1]));
  const expected = [(1 + 0.5) * 3, (0 + 0.5) * 3, (0.6 - 1) * 2, (0.8 - 1) * 2];
  assert.equal(logits.length, 4);
  expected.forEach((value, i) => assert.ok(Math.abs(logits[i] - value) < 1e-5, `logit ${i}: ${logits[i]} vs ${value}`));
});

test('each prompt has its own threshold, and a score must exceed it (strict >)', () => {
  // Both patches score sigmoid(2) = 0.881 for their own prompt.
  const img = image([{ embed: axis(0), scale: 2 }, { embed: axis(1), scale: 2 }]);
  assert.deepEqual(labelsOf(native.decode(img, prompts([0.85, 0.95]), square)), [0]);
  assert.deepEqual(labelsOf(native.decode(img, prompts([0.95, 0.85]), square)), [1]);
  assert.deepEqual(labelsOf(native.decode(img, prompts([0.85, 0.85]), square)).sort(), [0, 1]);
  const result = native.decode(img, prompts([0.85, 0.95]), square);
  assert.ok(Math.abs(result.scores[0] - sigmoid(2)) < 1e-6);

  // A patch orthogonal to both prompts has logit 0, score exactly 0.5: equal to the threshold is not enough.
  const half = image([{ embed: axis(2) }]);
  assert.equal(native.decode(half, prompts([0.5, 0.5]), square).labels.length, 0);
  const kept = native.decode(half, prompts([0.49, 0.5]), square);
  assert.deepEqual(labelsOf(kept), [0], 'a tie goes to the first prompt');
  assert.equal(kept.scores[0], 0.5);
});

test('the label is the argmax: a patch whose best prompt misses its threshold is dropped, even if another passes', () => {
  // cos 0.8 with e0 and 0.6 with e1; scale 4: scores 0.961 (prompt 0) and 0.917 (prompt 1).
  const img = image([{ embed: axis(0, 0.8, 1, 0.6), scale: 4 }]);
  assert.equal(native.decode(img, prompts([0.99, 0.5]), square).labels.length, 0);
  const passed = native.decode(img, prompts([0.9, 0.5]), square);
  assert.deepEqual(labelsOf(passed), [0]);
  assert.ok(Math.abs(passed.scores[0] - sigmoid(3.2)) < 1e-6);
});

test('the label is the prompt with the highest logit, also where float32 sigmoid scores tie at 1.0', () => {
  // cos 0.6 with e0, 0.8 with e1 and 0 with e2; scale 40: logits 24, 32 and 0. sigmoid(24) and sigmoid(32) are
  // both exactly 1 in float32, so an argmax over scores would pick prompt 0; Hugging Face picks prompt 1.
  const img = image([{ embed: axis(0, 0.6, 1, 0.8), scale: 40 }]);
  assert.equal(Math.fround(sigmoid(24)), 1);
  const result = native.decode(img, prompts([0.5, 0.5, 0.5]), square);
  assert.deepEqual(labelsOf(result), [1]);
  assert.equal(result.scores[0], 1);
  // The winner's own threshold decides: prompt 1 at 1.0 (not exceeded) drops the patch though prompt 0 passes.
  assert.equal(native.decode(img, prompts([0.5, 1, 0.5]), square).labels.length, 0);
  // Equal logits keep the first prompt (as torch.max).
  const tied = image([{ embed: axis(0, 1, 1, 1), scale: 40 }]);
  assert.deepEqual(labelsOf(native.decode(tied, prompts([0.5, 0.5]), square)), [0]);
});

test('boxes map from the square model input back to source pixels (pad_square undo)', () => {
  const img = image([{ embed: axis(0), scale: 5, box: [0.1, 0.3, 0.5, 0.9] }]);
  const p = prompts([0.5]);
  // Square: plain scaling.
  assert.deepEqual(boxesOf(native.decode(img, p, square)).map((b) => b.map((v) => +v.toFixed(4))), [[10, 30, 50, 90]]);
  // Wide 200x100: side 200, the frame starts 50 px down the square.
  const wide = native.decode(img, p, { ...square, frameWidth: 200, frameHeight: 100, inputSize: 200 });
  assert.deepEqual(boxesOf(wide).map((b) => b.map((v) => +v.toFixed(4))), [[20, 10, 100, 130]]);
  // Tall 100x200: side 200, the frame starts 50 px right; boxes may leave the frame, as NanoOWL's do.
  const tall = native.decode(img, p, { ...square, frameWidth: 100, frameHeight: 200, inputSize: 200 });
  assert.deepEqual(boxesOf(tall).map((b) => b.map((v) => +v.toFixed(4))), [[-30, 60, 50, 180]]);
  // 1280x720 (odd aspect, large): a centred box stays centred.
  const hd = image([{ embed: axis(0), scale: 5, box: [0.25, 0.25, 0.75, 0.75] }]);
  const box = boxesOf(native.decode(hd, p, { ...square, frameWidth: 1280, frameHeight: 720, inputSize: 768 }))[0];
  assert.deepEqual(box, [320, 40, 960, 680]);
});

test('with an odd padding, decode undoes the padding preprocess wrote (whole pixels, the odd one below)', () => {
  // A 1280x736 source scaled into a 96 square is 96x55 (736 * 96 / 1280 = 55.2): 41 padding rows, 20 above the
  // frame and 21 below. preprocess shows where the frame's rows went; a box on exactly those rows must decode
  // to the whole source frame (the exact half, 20.5 rows, would shift it by half a model pixel: 3.8 px here).
  const s = 96;
  const pixels = native.preprocess(new Uint8Array(96 * 55 * 3).fill(255), 96, 55, s, [0, 0, 0], [1, 1, 1]);
  const rows = Array.from({ length: s }, (_, y) => y).filter((y) => pixels[y * s] === 1);
  assert.deepEqual([rows[0], rows.at(-1), rows.length], [20, 74, 55]);
  const img = image([{ embed: axis(0), scale: 5, box: [0, rows[0] / s, 1, (rows.at(-1)! + 1) / s] }]);
  const frame = { ...square, frameWidth: 1280, frameHeight: 736, inputSize: s };
  const [box] = boxesOf(native.decode(img, prompts([0.5]), frame));
  box.forEach((v, i) => assert.ok(Math.abs(v - [0, 0, 1280, 736][i]) < 1e-3, `corner ${i}: ${v}`));
  // The same with the odd column (a tall frame): 736x1280 -> 55x96, 20 columns left of the frame.
  const tall = image([{ embed: axis(0), scale: 5, box: [20 / s, 0, 75 / s, 1] }]);
  const [tallBox] = boxesOf(native.decode(tall, prompts([0.5]), { ...frame, frameWidth: 736, frameHeight: 1280 }));
  tallBox.forEach((v, i) => assert.ok(Math.abs(v - [0, 0, 736, 1280][i]) < 1e-3, `tall corner ${i}: ${v}`));
});

test('class-wise NMS suppresses overlapping boxes of the same label only, and is off at 0', () => {
  const img = image([
    { embed: axis(0), scale: 3, box: [0, 0, 0.5, 0.5] },     // label 0, score 0.953
    { embed: axis(0), scale: 2, box: [0.05, 0, 0.55, 0.5] }, // label 0, score 0.881, IoU 0.818 with the first
    { embed: axis(1), scale: 1, box: [0, 0, 0.5, 0.5] },     // label 1, score 0.731, same box as the first
    { embed: axis(0), scale: 1, box: [0.6, 0.6, 1, 1] },     // label 0, score 0.731, no overlap
  ]);
  const p = prompts([0.5, 0.5]);
  assert.deepEqual(labelsOf(native.decode(img, p, square)), [0, 0, 1, 0], 'NMS off: everything, by score');
  const nms = native.decode(img, p, { ...square, nmsIou: 0.5 });
  assert.deepEqual(labelsOf(nms), [0, 1, 0]);
  assert.deepEqual(boxesOf(nms)[0], [0, 0, 50, 50]);
  assert.deepEqual(boxesOf(nms)[1], [0, 0, 50, 50], 'another label survives on the same box');
  assert.equal(native.decode(img, p, { ...square, nmsIou: 0.9 }).labels.length, 4, 'IoU 0.818 is not > 0.9');
});

test('the cap keeps the highest scores, results sorted by score', () => {
  const scales = [1, 5, 2, 4, 3];
  const img = image(scales.map((scale) => ({ embed: axis(0), scale })));
  const scoresNear = (actual: Float32Array, logits: number[]): void => {
    assert.equal(actual.length, logits.length);
    logits.forEach((logit, i) => assert.ok(Math.abs(actual[i] - sigmoid(logit)) < 1e-6, `score ${i}`));
  };
  scoresNear(native.decode(img, prompts([0.5]), square).scores, [5, 4, 3, 2, 1]);
  const capped = native.decode(img, prompts([0.5]), { ...square, maxDetections: 3 });
  scoresNear(capped.scores, [5, 4, 3]);
  assert.equal(capped.boxes.length, 12);
});

test('a realistic frame (576 patches, 512 dims, 25 prompts) decodes consistently with computeLogits', () => {
  const P = 576; const E = 512; const Q = 25;
  let seed = 1;
  const random = (): number => { seed = (seed * 16807) % 2147483647; return seed / 2147483647 * 2 - 1; };
  const img: NativeImageOutputs = {
    classEmbeds: Float32Array.from({ length: P * E }, random),
    logitShift: Float32Array.from({ length: P }, random),
    logitScale: Float32Array.from({ length: P }, () => 10),
    boxes: Float32Array.from({ length: P * 4 }, (_, i) => (i % 4 < 2 ? 0.2 : 0.6)),
    numPatches: P,
    embedDim: E,
  };
  const p: NativePromptSet = {
    textEmbeds: Float32Array.from({ length: Q * E }, random),
    numQueries: Q,
    thresholds: new Float32Array(Q).fill(0.3),
  };
  const logits = native.computeLogits(img, p);
  const expected: { label: number; score: number }[] = [];
  for (let i = 0; i < P; i++) {
    let best = 0;
    for (let q = 1; q < Q; q++) if (logits[i * Q + q] > logits[i * Q + best]) best = q;
    const score = sigmoid(logits[i * Q + best]);
    if (score > 0.3) expected.push({ label: best, score });
  }
  expected.sort((a, b) => b.score - a.score);
  const result = native.decode(img, p,
    { frameWidth: 640, frameHeight: 480, inputSize: 768, nmsIou: 0, maxDetections: 1000 });
  assert.ok(expected.length > 10 && expected.length < P, `a useful mix of kept and dropped (${expected.length})`);
  assert.equal(result.labels.length, expected.length);
  result.scores.forEach((score, i) => assert.ok(Math.abs(score - expected[i].score) < 1e-5));
});

test('bad shapes and values are refused with messages naming the field', () => {
  const img = image([{ embed: axis(0) }, { embed: axis(1) }]);
  const p = prompts([0.1, 0.2]);
  const cases: [() => unknown, string, RegExp | string][] = [
    [() => native.decode(img, { ...p, thresholds: new Float32Array([0.1]) }, square), 'RangeError',
      'Expected 2 thresholds (one per query) for prompts.thresholds but received 1'],
    [() => native.decode(img, { ...p, thresholds: new Float32Array([0.1, 1.5]) }, square), 'RangeError',
      'Expected a number in [0,1] for prompts.thresholds[1] but received 1.5'],
    [() => native.decode(img, { ...p, thresholds: new Float32Array([NaN, 0.1]) }, square), 'RangeError',
      'Expected a number in [0,1] for prompts.thresholds[0] but received nan'],
    [() => native.decode(img, { ...p, textEmbeds: new Float32Array(2 * 3) }, square), 'RangeError',
      'Expected 4 values per query (image.embedDim) for prompts.textEmbeds but received 3 per query'],
    [() => native.decode(img, { ...p, textEmbeds: new Float32Array(7) }, square), 'RangeError',
      'Expected a multiple of numQueries 2 for prompts.textEmbeds but received 7 elements'],
    [() => native.decode(img, { ...p, numQueries: 0 }, square), 'RangeError',
      'Expected a positive integer for prompts.numQueries but received 0'],
    [() => native.decode({ ...img, embedDim: 3 }, p, square), 'RangeError',
      'Expected 6 elements (numPatches 2 * embedDim 3) for image.classEmbeds but received 8 elements'],
    [() => native.decode({ ...img, numPatches: 0 }, p, square), 'RangeError',
      'Expected a positive integer for image.numPatches but received 0'],
    [() => native.decode({ ...img, boxes: new Float32Array(4) }, p, square), 'RangeError',
      'Expected 8 elements (numPatches 2 * 4) for image.boxes but received 4 elements'],
    [() => native.decode({ ...img, logitShift: new Float32Array(3) }, p, square), 'RangeError',
      'Expected 2 elements (numPatches 2) for image.logitShift but received 3 elements'],
    [() => native.decode({ ...img, classEmbeds: new Float64Array(8) as never }, p, square), 'TypeError',
      'Expected a Float32Array for image.classEmbeds but received Float64Array'],
    [() => native.decode({ ...img, logitScale: undefined as never }, p, square), 'TypeError',
      'Expected a Float32Array for image.logitScale but received undefined'],
    [() => native.decode({ ...img, numPatches: 1.5 }, p, square), 'TypeError',
      'Expected a 32-bit integer for image.numPatches but received 1.5'],
    [() => native.decode(img, p, { ...square, frameWidth: 0 }), 'RangeError',
      'Expected a positive integer for options.frameWidth but received 0'],
    [() => native.decode(img, p, { ...square, frameHeight: -5 }), 'RangeError',
      'Expected a positive integer for options.frameHeight but received -5'],
    [() => native.decode(img, p, { ...square, frameWidth: '640' as never }), 'TypeError',
      'Expected a 32-bit integer for options.frameWidth but received a string'],
    [() => native.decode(img, p, { ...square, inputSize: undefined as never }), 'TypeError',
      'Expected a 32-bit integer for options.inputSize but received undefined'],
    [() => native.decode(img, p, { ...square, inputSize: 0 }), 'RangeError',
      'Expected a positive integer for options.inputSize but received 0'],
    [() => native.decode(img, p, { ...square, nmsIou: 2 }), 'RangeError',
      'Expected a number in [0,1] for options.nmsIou but received 2'],
    [() => native.decode(img, p, { ...square, maxDetections: 0 }), 'RangeError',
      'Expected an integer >= 1 for options.maxDetections but received 0'],
    [() => (native.decode as (...a: unknown[]) => unknown)(img, p), 'TypeError',
      'Expected an object for options but received undefined'],
    [() => native.computeLogits({ ...img, embedDim: 8, classEmbeds: new Float32Array(16) }, p), 'RangeError',
      'Expected 8 values per query (image.embedDim) for prompts.textEmbeds but received 4 per query'],
  ];
  for (const [call, name, message] of cases) {
    assert.throws(call, (error: Error) => {
      assert.equal(error.name, name, String(message));
      assert.equal(error.message, message);
      return true;
    });
  }
});

test('preprocess centres the frame in the square, pads with 0 and normalises (x/255 - mean)/std', () => {
  const mean: [number, number, number] = [0.5, 0.25, 0];
  const std: [number, number, number] = [0.5, 0.25, 2];
  // A 4x2 frame (wide) into a 4x4 square: rows 1 and 2 hold the frame.
  const rgb = new Uint8Array(4 * 2 * 3);
  for (let i = 0; i < 8; i++) rgb.set([i * 30, 255, 51], i * 3);
  const out = native.preprocess(rgb, 4, 2, 4, mean, std);
  assert.equal(out.length, 3 * 16);
  const at = (c: number, y: number, x: number): number => out[c * 16 + y * 4 + x];
  for (let x = 0; x < 4; x++) {
    for (const y of [0, 3]) for (let c = 0; c < 3; c++) assert.equal(at(c, y, x), 0, 'padding rows');
    for (const y of [1, 2]) {
      const i = (y - 1) * 4 + x;
      assert.ok(Math.abs(at(0, y, x) - ((i * 30) / 255 - 0.5) / 0.5) < 1e-6);
      assert.ok(Math.abs(at(1, y, x) - (1 - 0.25) / 0.25) < 1e-6);
      assert.ok(Math.abs(at(2, y, x) - 0.2 / 2) < 1e-6);
    }
  }
  // A tall 1x3 frame into a 3x3 square: the middle column.
  const tall = native.preprocess(new Uint8Array(9).fill(255), 1, 3, 3, [0, 0, 0], [1, 1, 1]);
  assert.deepEqual(Array.from(tall.subarray(0, 9)), [0, 1, 0, 0, 1, 0, 0, 1, 0]);

  assert.throws(() => native.preprocess(new Uint8Array(6 * 2 * 3), 6, 2, 4, mean, std),
    { name: 'RangeError', message: 'Expected a frame whose longer side equals inputSize 4 for width x height but received 6x2' });
  assert.throws(() => native.preprocess(new Uint8Array(5), 4, 2, 4, mean, std),
    { name: 'RangeError', message: 'Expected 24 bytes (width * height * 3) for rgb but received 5 bytes' });
  assert.throws(() => native.preprocess(rgb, 4, 2, 4, mean, [1, 0, 1]),
    { name: 'RangeError', message: 'Expected a non-zero number for std[1] but received 0' });
  assert.throws(() => native.preprocess(rgb, 4, 2, 4, [0, 0] as never, std),
    { name: 'TypeError', message: 'Expected an array of 3 numbers for mean but received an Array' });
  assert.throws(() => native.preprocess(Array.from(rgb) as never, 4, 2, 4, mean, std),
    { name: 'TypeError', message: 'Expected a Uint8Array for rgb but received an Array' });
});
