// SPDX-License-Identifier: Apache-2.0
// The int8 image encoder: which precision runs (auto / fp32 / int8, with the CPU's flags injected), the tiny
// fixture's int8 file against transformers' reference within stated bounds, and a missing or corrupt int8 file
// (auto runs fp32 and warns; an explicit int8 refuses, naming the file).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { iou } from '../bench/harness/fidelity';
import { OwlDetector } from '../ts/model/detector';
import { ModelError } from '../ts/model/model-error';
import { loadModelFolder, type ModelFolder } from '../ts/model/model-folder';
import { cpuInt8Support, planPrecision, type CpuInt8 } from '../ts/model/precision';
import { bytes, loadReference, TINY_MODEL } from './helpers/owl-fixture';
import { tinyInt8Fidelity } from './helpers/tiny-int8';

const VNNI: CpuInt8 = { supported: true, feature: 'avx512_vnni' };
const NO_DOT_PRODUCT: CpuInt8 = { supported: false, feature: null };
const ref = loadReference();
const prompts = ref.prompts.map((p) => p.text);
// Bounds for the tiny fixture's int8 encoder against transformers' fp32 outputs, about three times what its file
// gives (logits 0.026 off, boxes 0.0004, cosine 0.99994, F1 0.993: deploy/export/README.md); fp32 is within 1e-4.
const BOUNDS = { logit: 0.08, box: 0.002, cosine: 0.9995, f1: 0.95 };

let scratch: string;
let folder: ModelFolder;
let copies = 0;

before(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-precision-'));
  folder = await loadModelFolder(TINY_MODEL);
});
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A copy of the tiny fixture, changed by `edit`. */
function copyWith(edit: (dir: string) => void): string {
  const dir = path.join(scratch, `copy-${++copies}`);
  fs.cpSync(TINY_MODEL, dir, { recursive: true });
  edit(dir);
  return dir;
}

test('the CPU\'s int8 dot products are read from /proc/cpuinfo: x86 flags, arm64 features', () => {
  const x86 = (flags: string) => `processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: ${flags}\nbugs\t\t: none\n`;
  assert.deepEqual(cpuInt8Support(x86('fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni'), 'x64'), VNNI);
  assert.deepEqual(cpuInt8Support(x86('fpu avx2 avx_vnni'), 'x64'), { supported: true, feature: 'avx_vnni' });
  assert.deepEqual(cpuInt8Support(x86('fpu avx2 amx_tile amx_int8'), 'x64'), { supported: true, feature: 'amx_int8' });
  assert.deepEqual(cpuInt8Support(x86('fpu sse2 avx2 fma avx512f'), 'x64'), NO_DOT_PRODUCT);
  assert.deepEqual(cpuInt8Support('processor\t: 0\nFeatures\t: fp asimd crc32 asimddp\n', 'arm64'),
    { supported: true, feature: 'asimddp' });
  assert.deepEqual(cpuInt8Support('processor\t: 0\nFeatures\t: fp asimd crc32\n', 'arm64'), NO_DOT_PRODUCT);
  assert.deepEqual(cpuInt8Support(null, 'x64'), NO_DOT_PRODUCT, 'unreadable: not assumed');
});

test('auto takes int8 only with the file and int8 dot products; fp32 and int8 are taken as asked', async () => {
  const int8 = path.join(folder.dir, 'image_encoder_int8.onnx');
  const fp32 = path.join(folder.dir, 'image_encoder.onnx');
  const pick = (setting: 'auto' | 'fp32' | 'int8', cpu: CpuInt8, f = folder) => {
    const { precision, file, reason, warning } = planPrecision(f, setting, cpu);
    return { precision, file, reason, warning };
  };
  assert.deepEqual(pick('auto', VNNI), { precision: 'int8', file: int8, warning: null,
    reason: 'auto: the folder has an int8 image encoder and this CPU has int8 dot products (avx512_vnni)' });
  assert.deepEqual(pick('auto', NO_DOT_PRODUCT), { precision: 'fp32', file: fp32, warning: null, reason: 'auto: this '
    + 'CPU has no int8 dot-product instructions (avx512_vnni, avx_vnni, amx_int8 or asimddp), so int8 would not be faster' });
  assert.deepEqual(pick('fp32', VNNI), { precision: 'fp32', file: fp32, warning: null, reason: 'model.precision is fp32' });
  assert.deepEqual(pick('int8', NO_DOT_PRODUCT), { precision: 'int8', file: int8, warning: null,
    reason: 'model.precision is int8, although this CPU has no int8 dot-product instructions (avx512_vnni, avx_vnni, '
      + 'amx_int8 or asimddp): it may run slower than fp32' });

  const unlisted = await loadModelFolder(copyWith((dir) => {
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'owl.json'), 'utf8')) as { files: Record<string, string> };
    delete config.files.imageEncoderInt8;
    fs.writeFileSync(path.join(dir, 'owl.json'), JSON.stringify(config));
  }));
  assert.deepEqual(pick('auto', VNNI, unlisted), { precision: 'fp32', file: unlisted.paths.imageEncoder, warning: null,
    reason: `auto: ${unlisted.dir}/owl.json lists no int8 image encoder` }, 'a folder exported without --int8: no warning');
});

test('the tiny fixture\'s int8 encoder loads and detects, close to transformers\' reference', async () => {
  const fidelity = await tinyInt8Fidelity(1);
  assert.ok(fidelity.logitMaxError <= BOUNDS.logit, `logits: ${fidelity.logitMaxError}`);
  assert.ok(fidelity.boxMaxError <= BOUNDS.box, `boxes: ${fidelity.boxMaxError}`);
  assert.ok(fidelity.embedCosineMin >= BOUNDS.cosine, `class-embedding cosine: ${fidelity.embedCosineMin}`);
  assert.ok(fidelity.detectionF1 >= BOUNDS.f1, `decode: F1 ${fidelity.detectionF1}`);

  // Through the runtime: auto with int8 dot products picks the int8 file, and the detections (source pixels)
  // agree with the reference decode.
  const detector = await OwlDetector.load(TINY_MODEL, { threads: 1, precision: 'auto', cpuInt8: VNNI });
  try {
    assert.equal(detector.precision.precision, 'int8');
    assert.equal(detector.precision.file, folder.paths.imageEncoderInt8);
    const state = await detector.setPrompts(prompts, ref.thresholds);
    let matched = 0, total = 0;
    for (const image of ref.images) {
      const result = await detector.detect(detector.preprocess(bytes(image.rgb), image.width, image.height),
        image.width, image.height);
      assert.equal(result.promptVersion, state.version);
      const free = image.decode.boxes.map((box, k) => ({ box, label: image.decode.labels[k] }));
      for (const det of result.detections) {
        const k = free.findIndex((e) => e.label === det.labelIndex && iou(e.box, det.box) >= 0.9);
        if (k >= 0) {
          free.splice(k, 1);
          matched++;
        }
      }
      total += result.detections.length + image.decode.patches.length;
    }
    assert.ok((2 * matched) / total >= BOUNDS.f1, `detections: F1 ${((2 * matched) / total).toFixed(3)} at IoU >= 0.9`);
  } finally {
    await detector.close();
  }
});

test('a missing int8 file: auto runs fp32 with a warning naming it; int8 refuses, naming it', async () => {
  const dir = copyWith((d) => fs.rmSync(path.join(d, 'image_encoder_int8.onnx')));
  const file = path.join(dir, 'image_encoder_int8.onnx');
  const detector = await OwlDetector.load(dir, { threads: 1, precision: 'auto', cpuInt8: VNNI });
  try {
    const { precision, reason, warning } = detector.precision;
    assert.deepEqual({ precision, reason }, { precision: 'fp32', reason: `auto: ${file} is missing` });
    assert.equal(warning, `${file} is missing (owl.json lists it): running fp32; export it with python3 `
      + `deploy/export/owl_export.py --random tiny --seed 0 --out ${dir} --int8`);
    await detector.setPrompts(prompts, ref.thresholds);
    const image = ref.images[0];
    const result = await detector.detect(detector.preprocess(bytes(image.rgb), 96, 96), 96, 96);
    assert.equal(result.detections.length, image.decode.patches.length, 'fp32 gives the reference decode');
  } finally {
    await detector.close();
  }
  await assert.rejects(OwlDetector.load(dir, { threads: 1, precision: 'int8', cpuInt8: VNNI }),
    new ModelError('missing_file', `model.precision is int8 but ${file} is missing: export it with python3 `
      + `deploy/export/owl_export.py --random tiny --seed 0 --out ${dir} --int8, or set model.precision to auto or fp32`, file));
});

test('a corrupt int8 file: auto runs fp32 with a warning naming it; int8 refuses, naming it', async () => {
  const dir = copyWith((d) => fs.writeFileSync(path.join(d, 'image_encoder_int8.onnx'), 'not an onnx file'));
  const file = path.join(dir, 'image_encoder_int8.onnx');
  const corrupt = `${escape(file)} cannot be loaded by ONNX Runtime \\(.+\\): the file is corrupt or incomplete; `
    + `re-export the model folder with ${escape(`python3 deploy/export/owl_export.py --random tiny --seed 0 --out ${dir} --int8`)}`;
  const detector = await OwlDetector.load(dir, { threads: 1, precision: 'auto', cpuInt8: VNNI });
  try {
    assert.equal(detector.precision.precision, 'fp32');
    assert.equal(detector.precision.file, path.join(dir, 'image_encoder.onnx'));
    assert.match(detector.precision.warning ?? '', new RegExp(`^${corrupt}; running fp32 meanwhile$`));
  } finally {
    await detector.close();
  }
  await assert.rejects(OwlDetector.load(dir, { threads: 1, precision: 'int8', cpuInt8: VNNI }), (err: unknown) => {
    assert.ok(err instanceof ModelError && err.code === 'corrupt_file', String(err));
    assert.match(err.message, new RegExp(`^${corrupt}$`));
    assert.equal(err.file, file);
    return true;
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
