// SPDX-License-Identifier: Apache-2.0
// The DeepStream engine's tensor decode (native/src/deepstream/tensor_decode.h) without DeepStream: nvinfer's
// output layers (output-tensor-meta) built from tensors written here, read and decoded as the probe after nvinfer
// does, with the stream's prompts taken from the engine's stream table, by owl_tensor_decode_harness, compiled
// against test-only stand-in headers (native/test/nvds_shim) in every build. The detections must be exactly
// what the decode core (native.decode) returns for the same tensors and frame, clipped to the frame; layers the
// decode cannot use are refused with the reason. OWL_DS_DECODE_BUILD=<folder> runs the same tests on a harness
// built against REAL SDK headers by native/tools/ds-compile-check.sh (deploy/README.md).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Random } from '../bench/tracking/random';
import { addonPath, native, type NativeImageOutputs } from '../ts/native';

const harness = path.join(process.env.OWL_DS_DECODE_BUILD ?? path.dirname(addonPath), 'owl_tensor_decode_harness');
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-ds-decode-'));
after(() => fs.rmSync(workDir, { recursive: true, force: true }));

// NvDsInferDataType
const FLOAT = 0;
const HALF = 1;
const INT8 = 2;

interface Layer {
  name: string;
  dataType: number;
  dims: number[];
  bytes: Uint8Array;
}

interface DecodeCase {
  network: { width: number; height: number };
  /** The frame nvinfer letterboxed into the network input: detections are in its pixels. */
  frame: { width: number; height: number };
  prompts: { embeds: Float32Array; q: number; d: number; thresholds: Float32Array };
  nmsIou: number;
  maxDetections: number;
  layers: Layer[];
}

/** What the harness prints per detection (frame pixels). */
interface Detection {
  label: number;
  score: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

interface HarnessResult {
  detections?: Detection[];
  error?: string;
  promptError?: string;
  full?: number;
  empty?: number;
  torn?: number;
}

/** The harness's case file (see native/test/tensor_decode_harness.cc). */
function encodeCase(c: DecodeCase): Buffer {
  const parts: Buffer[] = [Buffer.from('OWLT')];
  const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); parts.push(b); };
  const i32 = (v: number) => { const b = Buffer.alloc(4); b.writeInt32LE(v); parts.push(b); };
  const f32 = (v: number) => { const b = Buffer.alloc(4); b.writeFloatLE(v); parts.push(b); };
  const bytes = (a: ArrayBufferView) => parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  u32(1);
  u32(c.network.width); u32(c.network.height); u32(3); u32(c.frame.width); u32(c.frame.height);
  i32(c.prompts.q); i32(c.prompts.d);
  bytes(c.prompts.embeds); bytes(c.prompts.thresholds);
  f32(c.nmsIou); i32(c.maxDetections);
  u32(c.layers.length);
  for (const layer of c.layers) {
    const name = Buffer.from(layer.name);
    u32(name.length); parts.push(name);
    i32(layer.dataType);
    u32(layer.dims.length); layer.dims.forEach(u32);
    u32(layer.bytes.byteLength); bytes(layer.bytes);
  }
  return Buffer.concat(parts);
}

let caseCounter = 0;
function runHarness(c: DecodeCase, ...args: string[]): Promise<{ result: HarnessResult; stderr: string }> {
  const file = path.join(workDir, `case-${caseCounter++}.bin`);
  fs.writeFileSync(file, encodeCase(c));
  return new Promise((resolve, reject) => {
    execFile(harness, [file, ...args], (err, stdout, stderr) => {
      if (err) reject(new Error(`${harness} failed: ${err.message}\n${stderr}`));
      else resolve({ result: JSON.parse(stdout) as HarnessResult, stderr });
    });
  });
}

function floatBytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** The image encoder's four outputs as nvinfer hands them over: [P,D], [P,1], [P,1], [P,4], no batch dim. */
function layersOf(image: NativeImageOutputs, dataType = FLOAT): Layer[] {
  const encode = dataType === HALF ? (v: Float32Array) => new Uint8Array(toHalfExact(v).buffer) : floatBytes;
  const p = image.numPatches;
  return [
    { name: 'image_class_embeds', dataType, dims: [p, image.embedDim], bytes: encode(image.classEmbeds) },
    { name: 'logit_shift', dataType, dims: [p, 1], bytes: encode(image.logitShift) },
    { name: 'logit_scale', dataType, dims: [p, 1], bytes: encode(image.logitScale) },
    { name: 'pred_boxes', dataType, dims: [p, 4], bytes: encode(image.boxes) },
  ];
}

/** float32 -> IEEE binary16 for values that binary16 holds exactly (normal or subnormal); throws otherwise. */
function toHalfExact(values: Float32Array): Uint16Array {
  return Uint16Array.from(values, (v) => {
    const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
    const a = Math.abs(v);
    if (a === 0) return sign;
    const exponent = Math.max(Math.floor(Math.log2(a)), -14);
    const mantissa = a / 2 ** exponent;  // [1,2) for normals, [0,1) for subnormals
    const bits = exponent === -14 && mantissa < 1 ? Math.round(mantissa * 1024) : Math.round((mantissa - 1) * 1024);
    const half = exponent === -14 && mantissa < 1 ? bits : ((exponent + 15) << 10) | bits;
    const back = exponent === -14 && mantissa < 1 ? (bits / 1024) * 2 ** -14 : (1 + bits / 1024) * 2 ** exponent;
    if (back !== a || exponent > 15) throw new Error(`${v} is not exact in binary16`);
    return sign | half;
  });
}

function randomImage(seed: number, patches: number, dim: number): NativeImageOutputs {
  const seeded = new Random(seed);  // a failure reproduces
  const rnd = () => seeded.next();
  const normal = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const boxes = new Float32Array(patches * 4);
  for (let i = 0; i < patches; i++) {
    const cx = rnd(), cy = rnd(), w = 0.05 + 0.3 * rnd(), h = 0.05 + 0.3 * rnd();
    boxes.set([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], i * 4);
  }
  return {
    classEmbeds: Float32Array.from({ length: patches * dim }, normal),
    logitShift: Float32Array.from({ length: patches }, () => -0.2 + 0.4 * rnd()),
    logitScale: Float32Array.from({ length: patches }, () => 8 + 6 * rnd()),
    boxes,
    numPatches: patches,
    embedDim: dim,
  };
}

function randomPrompts(seed: number, q: number, dim: number, thresholds: number[]) {
  const seeded = new Random(seed);
  return { embeds: Float32Array.from({ length: q * dim }, () => seeded.next() - 0.5), q, d: dim, thresholds: Float32Array.from(thresholds) };
}

/** What the decode must return: the decode core's detections for the frame, clipped to it (empty ones dropped). */
function expectedFromDecodeCore(c: DecodeCase, image: NativeImageOutputs): Detection[] {
  const result = native.decode(image,
    { textEmbeds: c.prompts.embeds, numQueries: c.prompts.q, thresholds: c.prompts.thresholds },
    { frameWidth: c.frame.width, frameHeight: c.frame.height, inputSize: c.network.width, nmsIou: c.nmsIou,
      maxDetections: c.maxDetections });
  const clip = (v: number, max: number) => Math.fround(Math.min(Math.max(v, 0), max));
  return Array.from(result.labels, (label, i) => {
    const [x0, y0, x1, y1] = result.boxes.subarray(i * 4, i * 4 + 4);
    return { label, score: result.scores[i], x0: clip(x0, c.frame.width), y0: clip(y0, c.frame.height),
      x1: clip(x1, c.frame.width), y1: clip(y1, c.frame.height) };
  }).filter((d) => d.x1 > d.x0 && d.y1 > d.y0);
}

/** The harness prints %.9g, which round-trips float32: back to the exact float. */
function asFloat32(detections: Detection[] | undefined): Detection[] {
  assert.ok(detections, 'the harness printed no detections');
  return detections.map((d) => ({ label: d.label, score: Math.fround(d.score), x0: Math.fround(d.x0),
    y0: Math.fround(d.y0), x1: Math.fround(d.x1), y1: Math.fround(d.y1) }));
}

// Four hand-made patches, two prompts ([1,0] and [0,1]), thresholds 0.7 and 0.5:
//   p0 [3,0] scale 1  -> prompt 0, sigmoid(~1) = 0.731 > 0.7   kept
//   p1 [0,2] scale 2  -> prompt 1, sigmoid(~2) = 0.881 > 0.5   kept (first: higher score)
//   p2 [1,1] scale 1  -> tie, prompt 0 (first), 0.670 < 0.7    dropped
//   p3 [-1,0] scale 1 -> prompt 1, sigmoid(0) = 0.5, not > 0.5 dropped (strict)
function handMadeCase(): { c: DecodeCase; image: NativeImageOutputs } {
  const image: NativeImageOutputs = {
    classEmbeds: Float32Array.from([3, 0, 0, 2, 1, 1, -1, 0]),
    logitShift: Float32Array.from([0, 0, 0, 0]),
    logitScale: Float32Array.from([1, 2, 1, 1]),
    boxes: Float32Array.from([0.125, 0.25, 0.5, 0.625, 0.5, 0.5, 1, 0.75, 0, 0, 0.25, 0.25, 0.75, 0.75, 1, 1]),
    numPatches: 4,
    embedDim: 2,
  };
  const c: DecodeCase = {
    network: { width: 768, height: 768 },
    frame: { width: 768, height: 768 },
    prompts: { embeds: Float32Array.from([1, 0, 0, 1]), q: 2, d: 2, thresholds: Float32Array.from([0.7, 0.5]) },
    nmsIou: 0,
    maxDetections: 100,
    layers: layersOf(image),
  };
  return { c, image };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('DeepStream tensor decode (owl_tensor_decode_harness)', () => {
  test('the harness is built (beside the addon, or by ds-compile-check.sh)', () => {
    assert.ok(fs.existsSync(harness), `missing ${harness}: run node deploy/build-native.js`);
  });

  test('hand-made tensors: known answers in frame pixels', async () => {
    const { c } = handMadeCase();
    const { result, stderr } = await runHarness(c);
    const detections = result.detections;
    assert.ok(detections, stderr);
    assert.deepEqual(detections.map((d) => d.label), [1, 0]);
    const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-4, `${a} vs ${b}`);
    close(detections[0].score, sigmoid(2));
    close(detections[1].score, sigmoid(1));
    // p1 box [0.5,0.5,1,0.75] and p0 box [0.125,0.25,0.5,0.625] times the 768-pixel square frame
    assert.deepEqual([detections[0].x0, detections[0].y0, detections[0].x1, detections[0].y1], [384, 384, 768, 576]);
    assert.deepEqual([detections[1].x0, detections[1].y0, detections[1].x1, detections[1].y1], [96, 192, 384, 480]);
  });

  test('a 640x480 frame letterboxed (centred) into the square: the decode core\'s pad_square, clipped to the frame', async () => {
    const { c, image } = handMadeCase();
    const wide = { ...c, frame: { width: 640, height: 480 } };
    const { result } = await runHarness(wide);
    assert.deepEqual(asFloat32(result.detections), expectedFromDecodeCore(wide, image));
    // p1 [0.5,0.5,1,0.75] in the 640 square with 80 rows of padding on top: y 240..400, x 320..640.
    assert.deepEqual(result.detections![0], { label: 1, score: result.detections![0].score, x0: 320, y0: 240, x1: 640, y1: 400 });
  });

  test('boxes reaching into the padding are clipped; a box wholly in it is dropped', async () => {
    const { c, image } = handMadeCase();
    // p0 moved into the top padding (y 0..0.1 of the square: above the frame), p1 across the bottom edge.
    image.boxes.set([0.1, 0, 0.3, 0.1], 0);
    image.boxes.set([0.5, 0.8, 0.9, 0.95], 4);
    const wide: DecodeCase = { ...c, frame: { width: 640, height: 480 }, layers: layersOf(image) };
    const { result } = await runHarness(wide);
    const rounded = (v: number) => Math.round(v * 1000) / 1000;
    assert.deepEqual(result.detections!.map((d) => [d.label, ...[d.x0, d.y0, d.x1, d.y1].map(rounded)]),
      [[1, 320, 432, 576, 480]]);
    assert.deepEqual(asFloat32(result.detections), expectedFromDecodeCore(wide, image));
  });

  test('576 patches x 512 dims, 3 prompts: exactly the decode core\'s detections, with and without NMS and cap', async () => {
    const image = randomImage(7, 576, 512);
    for (const [nmsIou, maxDetections] of [[0, 100], [0.3, 20], [0.5, 1]]) {
      const c: DecodeCase = {
        network: { width: 768, height: 768 },
        frame: { width: 1280, height: 720 },
        prompts: randomPrompts(11, 3, 512, [0.5, 0.6, 0.7]),
        nmsIou,
        maxDetections,
        layers: layersOf(image),
      };
      const expected = expectedFromDecodeCore(c, image);
      assert.ok(expected.length > 0, 'the case must produce detections');
      const { result, stderr } = await runHarness(c);
      assert.ok(result.detections, stderr);
      assert.deepEqual(asFloat32(result.detections), expected, `nmsIou ${nmsIou}, maxDetections ${maxDetections}`);
    }
  });

  test('NanoOWL\'s own engine: outputs found by name, its extra image_embeds ignored', async () => {
    const { c, image } = handMadeCase();
    const embeds = { name: 'image_embeds', dataType: FLOAT, dims: [4, 3], bytes: floatBytes(new Float32Array(12).fill(7)) };
    const nanoOwl = { ...c, layers: [embeds, ...c.layers] };
    const { result } = await runHarness(nanoOwl);
    assert.deepEqual(asFloat32(result.detections), expectedFromDecodeCore(c, image));
  });

  test('HALF layers are converted: same detections as FLOAT (normal, negative and subnormal values)', async () => {
    const { c, image } = handMadeCase();
    image.classEmbeds[1] = 2 ** -20;  // binary16 subnormal
    image.classEmbeds[6] = -1.5;
    const asFloat = await runHarness({ ...c, layers: layersOf(image, FLOAT) });
    const asHalf = await runHarness({ ...c, layers: layersOf(image, HALF) });
    assert.ok(asFloat.result.detections!.length > 0);
    assert.deepEqual(asHalf.result, asFloat.result, asHalf.stderr);
  });

  test('logit_shift / logit_scale given as [P] instead of [P,1]: same detections', async () => {
    const { c } = handMadeCase();
    const squeezed = c.layers.map((l) => (l.dims[1] === 1 ? { ...l, dims: [l.dims[0]] } : l));
    const { result } = await runHarness({ ...c, layers: squeezed });
    assert.deepEqual(result, (await runHarness(c)).result);
  });

  test('no prompts (cleared): no detections', async () => {
    const { c } = handMadeCase();
    const none = { embeds: new Float32Array(0), q: 0, d: 0, thresholds: new Float32Array(0) };
    const { result } = await runHarness({ ...c, prompts: none });
    assert.deepEqual(result, { detections: [] });
  });

  describe('refuses with the reason, and no detections', () => {
    const refused = async (c: DecodeCase, reason: RegExp) => {
      const { result } = await runHarness(c);
      assert.equal(result.detections, undefined);
      assert.match(result.error ?? '', reason);
    };

    test('a layer of the wrong data type (INT8)', async () => {
      const { c } = handMadeCase();
      c.layers[2] = { ...c.layers[2], dataType: INT8, bytes: new Uint8Array(4) };
      await refused(c, /^layer 'logit_scale' has data type 2, expected FLOAT \(0\) or HALF \(1\)/);
    });

    test('a missing layer', async () => {
      const { c } = handMadeCase();
      await refused({ ...c, layers: c.layers.slice(0, 3) },
        /output layer 'pred_boxes' not found \(the engine has: image_class_embeds, logit_shift, logit_scale\)/);
    });

    test('pred_boxes that is not [P,4]', async () => {
      const { c } = handMadeCase();
      c.layers[3] = { ...c.layers[3], dims: [4, 3] };
      await refused(c, /layer 'pred_boxes' has shape \[4,3\], expected \[P,4\] \(no batch dimension\)/);
    });

    test('a batch dimension left in the class embeddings', async () => {
      const { c } = handMadeCase();
      c.layers[0] = { ...c.layers[0], dims: [1, 4, 2] };
      await refused(c, /layer 'image_class_embeds' has shape \[1,4,2\], expected \[P,D\]/);
    });

    test('layers that disagree on the number of patches', async () => {
      const { c } = handMadeCase();
      c.layers[1] = { ...c.layers[1], dims: [3, 1] };
      await refused(c, /layer 'logit_shift' has 3 patches, 'image_class_embeds' has 4/);
    });

    test('a non-square network input', async () => {
      const { c } = handMadeCase();
      await refused({ ...c, network: { width: 768, height: 432 } }, /network input is 768x432, expected a square/);
    });

    test('text embeddings of another size than the class embeddings (the decode core\'s message)', async () => {
      const { c } = handMadeCase();
      const prompts = { embeds: Float32Array.from([1, 0, 0, 0, 1, 0]), q: 2, d: 3, thresholds: Float32Array.from([0.5, 0.5]) };
      await refused({ ...c, prompts },
        /Expected 2 values per query \(image\.embedDim\) for prompts\.textEmbeds but received 3 per query/);
    });
  });

  test('bad thresholds are refused when the prompt set is made', async () => {
    const { c } = handMadeCase();
    const { result } = await runHarness({ ...c, prompts: { ...c.prompts, thresholds: Float32Array.from([1.5, 0.5]) } });
    assert.deepEqual(result, { promptError: 'Expected a number in [0,1] for prompts.thresholds[0] but received 1.5' });
  });

  test('prompt swaps while frames are decoded: every frame sees one whole prompt set', async (t) => {
    const image = randomImage(3, 576, 512);
    const c: DecodeCase = {
      network: { width: 768, height: 768 },
      frame: { width: 768, height: 768 },
      prompts: randomPrompts(5, 3, 512, [0.5, 0.5, 0.5]),
      nmsIou: 0,
      maxDetections: 100,
      layers: layersOf(image),
    };
    const frames = 1500;
    const { result } = await runHarness(c, '--swap-stress', String(frames));
    t.diagnostic(`frames with the case's thresholds: ${result.full}, with thresholds 1: ${result.empty}`);
    assert.equal(result.torn, 0, JSON.stringify(result));
    assert.equal(result.full! + result.empty!, frames);
    assert.ok(result.full! > 0 && result.empty! > 0, `the swaps must interleave with the frames: ${JSON.stringify(result)}`);
  });
});
