// SPDX-License-Identifier: Apache-2.0
// The runtime against Hugging Face transformers on the committed tiny model: tokenizer ids, text
// embeddings, pad_square preprocessing, image-encoder outputs, logits, boxes and the thresholded decode
// all match reference.json (written by deploy/export/owl_export.py with transformers) within 1e-4.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { native, NativeImageOutputs } from '../ts/native';
import { OwlDetector } from '../ts/model/detector';
import { ENCODER_NAMES, loadModelFolder, ModelFolder } from '../ts/model/model-folder';
import { imageEncoderSignature, openSession } from '../ts/model/onnx-session';
import { OwlTextEncoder } from '../ts/model/text-encoder';
import { OwlTokenizer } from '../ts/model/tokenizer';
import { bytes, floats, loadReference, TINY_MODEL, worstError } from './helpers/owl-fixture';

const ref = loadReference();
const TOL = 1e-4;
const prompts = ref.prompts.map((p) => p.text);
let folder: ModelFolder;
let text: OwlTextEncoder;
let imageSession: ort.InferenceSession;

before(async () => {
  folder = await loadModelFolder(TINY_MODEL);
  text = await OwlTextEncoder.load(folder, { threads: 1, cacheSize: 8 });
  imageSession = await openSession(folder.paths.imageEncoder, folder, imageEncoderSignature(folder), { intraOpNumThreads: 1 });
});

after(async () => {
  await text.close();
  await imageSession.release();
});

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rel = 0): void {
  const worst = worstError(actual, expected, TOL, rel);
  assert.ok(worst <= 1, `${what}: worst error ${(worst * TOL).toExponential(2)} exceeds the tolerance`);
}

/** Our image encoder outputs for one reference image, through our preprocessing. */
async function imageOutputs(index: number): Promise<NativeImageOutputs> {
  const image = ref.images[index];
  const { imageSize: s, mean, std, numPatches, embedDim } = folder.config;
  const pixels = native.preprocess(bytes(image.rgb), image.width, image.height, s, mean, std);
  const n = ENCODER_NAMES.image;
  const out = await imageSession.run({ [n.input]: new ort.Tensor('float32', pixels, [1, 3, s, s]) });
  return {
    classEmbeds: out[n.classEmbeds].data as Float32Array,
    logitShift: out[n.logitShift].data as Float32Array,
    logitScale: out[n.logitScale].data as Float32Array,
    boxes: out[n.boxes].data as Float32Array,
    numPatches,
    embedDim,
  };
}

test('the reference covers what this test relies on', () => {
  assert.equal(ref.format, 1);
  assert.deepEqual(ref.images.map((i) => [i.width, i.height]), [[96, 96], [96, 64], [48, 96]], 'square, wide, tall');
  assert.ok(ref.images.every((i) => i.decode.patches.length > 0 && i.decode.patches.length < folder.config.numPatches),
    'each image keeps some patches and drops others');
});

test('tokenizer ids and attention masks match transformers (padding, truncation keeping the end token)', async () => {
  const tokenizer = await OwlTokenizer.load(folder.paths.tokenizer, folder.paths.tokenizerConfig,
    folder.config.textLength, folder.config.padTokenId);
  const cases = [...ref.tokenizerCases, ...ref.prompts];
  assert.ok(ref.tokenizerCases.some((c) => c.ids.length > folder.config.textLength), 'a case is truncated');
  for (const c of cases) {
    const batch = tokenizer.encode([c.text]);
    assert.deepEqual(Array.from(batch.inputIds, Number), c.inputIds, `ids of ${JSON.stringify(c.text)}`);
    assert.deepEqual(Array.from(batch.attentionMask, Number), c.attentionMask, `mask of ${JSON.stringify(c.text)}`);
  }
});

test('text embeddings match the ONNX export and transformers', async () => {
  const embeds = await text.encode(prompts);
  assert.equal(embeds.length, prompts.length * folder.config.embedDim);
  assertClose(embeds, floats(ref.textEmbeds.onnx), 'text embeds vs onnx (python)');
  assertClose(embeds, floats(ref.textEmbeds.hf), 'text embeds vs transformers');
});

test('preprocess (pad_square) matches pixel_values for square, wide and tall frames', () => {
  const { imageSize: s, mean, std } = folder.config;
  for (const image of ref.images) {
    const pixels = native.preprocess(bytes(image.rgb), image.width, image.height, s, mean, std);
    assertClose(pixels, floats(image.pixelValues), `pixel values of ${image.name}`);
  }
});

test('image-encoder outputs, logits and boxes match transformers', async () => {
  const embeds = await text.encode(prompts);
  const promptSet = { textEmbeds: embeds, numQueries: prompts.length, thresholds: Float32Array.from(ref.thresholds) };
  for (const [i, image] of ref.images.entries()) {
    const out = await imageOutputs(i);
    assertClose(out.classEmbeds, floats(image.onnx.imageClassEmbeds), `${image.name} class embeds vs onnx (python)`);
    assertClose(out.logitShift, floats(image.onnx.logitShift), `${image.name} logit shift`);
    assertClose(out.logitScale, floats(image.onnx.logitScale), `${image.name} logit scale`);
    assertClose(out.boxes, floats(image.onnx.predBoxes), `${image.name} boxes vs onnx (python)`);
    assertClose(out.boxes, floats(image.hf.predBoxesXyxy), `${image.name} boxes vs transformers`);
    // transformers' class_embeds are the L2-normalised class embeddings.
    const d = folder.config.embedDim;
    const normalised = out.classEmbeds.map((v, j) => {
      const row = out.classEmbeds.subarray(Math.floor(j / d) * d, Math.floor(j / d) * d + d);
      return v / (Math.hypot(...row) + 1e-6);
    });
    assertClose(normalised, floats(image.hf.classEmbeds), `${image.name} normalised class embeds vs transformers`);
    assertClose(native.computeLogits(out, promptSet), floats(image.hf.logits), `${image.name} logits vs transformers`, TOL);
  }
});

test('the detector reproduces the thresholded decode (labels, scores, boxes in source pixels)', async () => {
  const detector = await OwlDetector.load(TINY_MODEL, { threads: 1, precision: 'fp32' });
  try {
    const state = await detector.setPrompts(prompts, ref.thresholds);
    for (const image of ref.images) {
      const tensor = detector.preprocess(bytes(image.rgb), image.width, image.height);
      const result = await detector.detect(tensor, image.width, image.height, 42);
      assert.equal(result.frameId, 42);
      assert.equal(result.promptVersion, state.version);
      const expected = image.decode.scores.map((score, k) => ({ score, label: image.decode.labels[k], box: image.decode.boxes[k] }))
        .sort((a, b) => b.score - a.score);
      assert.deepEqual(result.detections.map((d) => d.labelIndex), expected.map((e) => e.label), `${image.name} labels`);
      assert.deepEqual(result.detections.map((d) => d.label), expected.map((e) => prompts[e.label]));
      assertClose(result.detections.map((d) => d.score), expected.map((e) => e.score), `${image.name} scores`);
      assertClose(result.detections.flatMap((d) => d.box), expected.flatMap((e) => e.box), `${image.name} boxes`, TOL);
    }
  } finally {
    await detector.close();
  }
});
