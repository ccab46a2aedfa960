// SPDX-License-Identifier: Apache-2.0
// The DeepStream bbox parser (NvDsInferParseOwl) without DeepStream: the native build compiles the parser
// source against test-only stand-in headers (native/test/nvds_shim, DeepStream 9.1's layout) when the SDK
// is missing, as libowl_ds_parser_standin.so (never under the production name libowl_ds_parser.so, which
// only a build with the SDK produces), plus a harness compiled against the same headers that dlopens the
// library like nvinfer and feeds it tensors written here. The parser must return exactly what the decode
// core (native.decode) returns for the same tensors, and refuse wrong layers with a logged reason.
// OWL_DS_PARSER_BUILD=<folder> runs the same tests on a parser and harness built against REAL SDK headers
// by native/tools/ds-compile-check.sh (deploy/README.md).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Random } from '../bench/tracking/random';
import { addonPath, native, type NativeImageOutputs } from '../ts/native';
import { parserBuild, PRODUCTION_PARSER_LIB } from './helpers/ds-parser-build';

const { lib: parserLib, harness } = parserBuild();
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-ds-parser-'));
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

interface ParserCase {
  network: { width: number; height: number };
  prompts: { embeds: Float32Array; q: number; d: number; thresholds: Float32Array };
  nmsIou: number;
  maxDetections: number;
  layers: Layer[];
}

interface ParsedObject {
  classId: number;
  left: number;
  top: number;
  width: number;
  height: number;
  confidence: number;
  /** Printed where the headers have NvDsInferObjectDetectionInfo.rotation_angle (DeepStream 8+). */
  rotation?: number;
}

interface HarnessResult {
  ok?: boolean;
  objects?: ParsedObject[];
  setterError?: string;
  full?: number;
  empty?: number;
  torn?: number;
}

/** The harness's case file (see native/test/parser_harness.cc). */
function encodeCase(c: ParserCase): Buffer {
  const parts: Buffer[] = [Buffer.from('OWLP')];
  const u32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); parts.push(b); };
  const i32 = (v: number) => { const b = Buffer.alloc(4); b.writeInt32LE(v); parts.push(b); };
  const f32 = (v: number) => { const b = Buffer.alloc(4); b.writeFloatLE(v); parts.push(b); };
  const bytes = (a: ArrayBufferView) => parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  u32(1);
  u32(c.network.width); u32(c.network.height); u32(3); u32(25);
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
function runHarness(c: ParserCase, ...args: string[]): Promise<{ result: HarnessResult; stderr: string }> {
  const file = path.join(workDir, `case-${caseCounter++}.bin`);
  fs.writeFileSync(file, encodeCase(c));
  return new Promise((resolve, reject) => {
    execFile(harness, [parserLib, file, ...args], (err, stdout, stderr) => {
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

/** What the parser must return: the decode core's detections with the square network input as the frame. */
function expectedFromDecodeCore(c: ParserCase, image: NativeImageOutputs): ParsedObject[] {
  const result = native.decode(image,
    { textEmbeds: c.prompts.embeds, numQueries: c.prompts.q, thresholds: c.prompts.thresholds },
    { frameWidth: c.network.width, frameHeight: c.network.height, inputSize: c.network.width, nmsIou: c.nmsIou,
      maxDetections: c.maxDetections });
  return Array.from(result.labels, (label, i) => {
    const [x0, y0, x1, y1] = result.boxes.subarray(i * 4, i * 4 + 4);
    return { classId: label, left: x0, top: y0, width: Math.fround(x1 - x0), height: Math.fround(y1 - y0),
      confidence: result.scores[i] };
  });
}

/**
 * The harness prints %.9g, which round-trips float32: back to the exact float. A rotation (DeepStream 8+
 * headers) must be 0: the parser's boxes are axis-aligned.
 */
function asFloat32(objects: ParsedObject[] | undefined): ParsedObject[] {
  assert.ok(objects, 'the harness printed no objects');
  for (const o of objects) if (o.rotation !== undefined) assert.equal(o.rotation, 0, 'rotation_angle');
  return objects.map((o) => ({ classId: o.classId, left: Math.fround(o.left), top: Math.fround(o.top),
    width: Math.fround(o.width), height: Math.fround(o.height), confidence: Math.fround(o.confidence) }));
}

// Four hand-made patches, two prompts ([1,0] and [0,1]), thresholds 0.7 and 0.5:
//   p0 [3,0] scale 1  -> prompt 0, sigmoid(~1) = 0.731 > 0.7   kept
//   p1 [0,2] scale 2  -> prompt 1, sigmoid(~2) = 0.881 > 0.5   kept (first: higher score)
//   p2 [1,1] scale 1  -> tie, prompt 0 (first), 0.670 < 0.7    dropped
//   p3 [-1,0] scale 1 -> prompt 1, sigmoid(0) = 0.5, not > 0.5 dropped (strict)
function handMadeCase(): { c: ParserCase; image: NativeImageOutputs } {
  const image: NativeImageOutputs = {
    classEmbeds: Float32Array.from([3, 0, 0, 2, 1, 1, -1, 0]),
    logitShift: Float32Array.from([0, 0, 0, 0]),
    logitScale: Float32Array.from([1, 2, 1, 1]),
    boxes: Float32Array.from([0.125, 0.25, 0.5, 0.625, 0.5, 0.5, 1, 0.75, 0, 0, 0.25, 0.25, 0.75, 0.75, 1, 1]),
    numPatches: 4,
    embedDim: 2,
  };
  const c: ParserCase = {
    network: { width: 768, height: 768 },
    prompts: { embeds: Float32Array.from([1, 0, 0, 1]), q: 2, d: 2, thresholds: Float32Array.from([0.7, 0.5]) },
    nmsIou: 0,
    maxDetections: 100,
    layers: layersOf(image),
  };
  return { c, image };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe(`DeepStream bbox parser (${path.basename(parserLib)} through the nvinfer-like harness)`, () => {
  test('the harness and the parser library are built (beside the addon, or by ds-compile-check.sh)', () => {
    assert.ok(fs.existsSync(harness), `missing ${harness}: run node deploy/build-native.js`);
    assert.ok(fs.existsSync(parserLib), `missing ${parserLib}`);
  });

  test('the production library name exists only in a build with the SDK (stand-in headers never produce it)', () => {
    assert.equal(fs.existsSync(path.join(path.dirname(addonPath), PRODUCTION_PARSER_LIB)), native.deepstreamAvailable);
  });

  test('hand-made tensors: known answers in network-input pixels, left/top/width/height', async () => {
    const { c } = handMadeCase();
    const { result, stderr } = await runHarness(c);
    assert.equal(result.ok, true, stderr);
    const objects = result.objects!;
    assert.deepEqual(objects.map((o) => o.classId), [1, 0]);
    const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-4, `${a} vs ${b}`);
    close(objects[0].confidence, sigmoid(2));
    close(objects[1].confidence, sigmoid(1));
    // p1 box [0.5,0.5,1,0.75] and p0 box [0.125,0.25,0.5,0.625] times the 768-pixel square input
    assert.deepEqual([objects[0].left, objects[0].top, objects[0].width, objects[0].height], [384, 384, 384, 192]);
    assert.deepEqual([objects[1].left, objects[1].top, objects[1].width, objects[1].height], [96, 192, 288, 288]);
  });

  test('hand-made tensors: exactly the decode core\'s detections', async () => {
    const { c, image } = handMadeCase();
    const { result } = await runHarness(c);
    assert.deepEqual(asFloat32(result.objects), expectedFromDecodeCore(c, image));
  });

  test('576 patches x 512 dims, 3 prompts: exactly the decode core\'s detections, with and without NMS and cap', async () => {
    const image = randomImage(7, 576, 512);
    for (const [nmsIou, maxDetections] of [[0, 100], [0.3, 20], [0.5, 1]]) {
      const c: ParserCase = {
        network: { width: 768, height: 768 },
        prompts: randomPrompts(11, 3, 512, [0.5, 0.6, 0.7]),
        nmsIou,
        maxDetections,
        layers: layersOf(image),
      };
      const expected = expectedFromDecodeCore(c, image);
      assert.ok(expected.length > 0, 'the case must produce detections');
      const { result, stderr } = await runHarness(c);
      assert.equal(result.ok, true, stderr);
      assert.deepEqual(asFloat32(result.objects), expected, `nmsIou ${nmsIou}, maxDetections ${maxDetections}`);
    }
  });

  test('HALF layers are converted: same detections as FLOAT (normal, negative and subnormal values)', async () => {
    const { c, image } = handMadeCase();
    image.classEmbeds[1] = 2 ** -20;  // binary16 subnormal
    image.classEmbeds[6] = -1.5;
    const asFloat = await runHarness({ ...c, layers: layersOf(image, FLOAT) });
    const asHalf = await runHarness({ ...c, layers: layersOf(image, HALF) });
    assert.equal(asHalf.result.ok, true, asHalf.stderr);
    assert.ok(asFloat.result.objects!.length > 0);
    assert.deepEqual(asHalf.result.objects, asFloat.result.objects);
  });

  test('logit_shift / logit_scale given as [P] instead of [P,1]: same detections', async () => {
    const { c } = handMadeCase();
    const squeezed = c.layers.map((l) => (l.dims[1] === 1 ? { ...l, dims: [l.dims[0]] } : l));
    const { result } = await runHarness({ ...c, layers: squeezed });
    assert.deepEqual(result, (await runHarness(c)).result);
  });

  test('no prompts (cleared): true and no objects', async () => {
    const { c } = handMadeCase();
    const none = { embeds: new Float32Array(0), q: 0, d: 0, thresholds: new Float32Array(0) };
    const { result } = await runHarness({ ...c, prompts: none });
    assert.deepEqual(result, { ok: true, objects: [] });
  });

  describe('refuses with false, no objects and a reason logged through GLib (domain owl-parser)', () => {
    // g_log, not stderr: in the service the log bridge takes it; here (no bridge) GLib prints it on stderr.
    const refused = async (c: ParserCase, reason: RegExp) => {
      const { result, stderr } = await runHarness(c);
      assert.deepEqual(result, { ok: false, objects: [] });
      assert.match(stderr, reason);
      assert.match(stderr, /owl-parser-WARNING \*\*: [\d:.]+: NvDsInferParseOwl: /);
    };

    test('a layer of the wrong data type (INT8)', async () => {
      const { c } = handMadeCase();
      c.layers[2] = { ...c.layers[2], dataType: INT8, bytes: new Uint8Array(4) };
      await refused(c, /NvDsInferParseOwl: layer 'logit_scale' has data type 2, expected FLOAT \(0\) or HALF \(1\)/);
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

  test('the prompt setter refuses bad thresholds and keeps its message for OwlDsLastError', async () => {
    const { c } = handMadeCase();
    const { result } = await runHarness({ ...c, prompts: { ...c.prompts, thresholds: Float32Array.from([1.5, 0.5]) } });
    assert.deepEqual(result, { setterError: 'Expected a number in [0,1] for prompts.thresholds[0] but received 1.5' });
    const options = await runHarness({ ...c, nmsIou: 2 });
    assert.deepEqual(options.result, { setterError: 'Expected a number in [0,1] for nmsIou but received 2' });
  });

  test('prompt swaps while frames are parsed: every frame sees one whole prompt set', async (t) => {
    const image = randomImage(3, 576, 512);
    const c: ParserCase = {
      network: { width: 768, height: 768 },
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
