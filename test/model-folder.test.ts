// SPDX-License-Identifier: Apache-2.0
// Loading a model folder: a hub id, a missing folder or file, a corrupt ONNX file, owl.json errors and a
// folder whose files disagree with owl.json each fail at load with a message naming the file and the fix.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OwlDetector } from '../ts/model/detector';
import { ModelError, ModelErrorCode } from '../ts/model/model-error';
import { loadModelFolder, resolveModelFolder } from '../ts/model/model-folder';
import { TINY_MODEL } from './helpers/owl-fixture';

/** The fix the messages give for a copy of the tiny model in `dir`. */
const reexport = (dir: string): string => `re-export the model folder with python3 deploy/export/owl_export.py --random tiny --seed 0 --out ${dir}`;
let scratch: string;
let copies = 0;

before(() => { scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-model-folder-')); });
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A fresh copy of the tiny model folder, changed by `edit`. */
function brokenCopy(edit: (dir: string) => void): string {
  const dir = path.join(scratch, `copy-${++copies}`);
  fs.cpSync(TINY_MODEL, dir, { recursive: true });
  edit(dir);
  return dir;
}

function editConfig(dir: string, change: (config: Record<string, unknown>) => void): void {
  const file = path.join(dir, 'owl.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  change(config);
  fs.writeFileSync(file, JSON.stringify(config));
}

function modelError(code: ModelErrorCode, message: string | RegExp, file?: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof ModelError, String(error));
    assert.equal(error.code, code, error.message);
    if (typeof message === 'string') assert.equal(error.message, message);
    else assert.match(error.message, message);
    if (file !== undefined) assert.equal(error.file, file);
    return true;
  };
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('a Hugging Face id is refused with the export command', async () => {
  await assert.rejects(resolveModelFolder('google/owlvit-base-patch32', scratch), modelError('not_exported',
    '--model google/owlvit-base-patch32 is a Hugging Face model id, not a local folder. Models must be exported '
    + 'to ONNX first: run `python3 deploy/export/owl_export.py --model google/owlvit-base-patch32 --out '
    + 'models/owlvit-base-patch32`, then use --model models/owlvit-base-patch32'));
  // Once exported, the message says so.
  fs.mkdirSync(path.join(scratch, 'models', 'owlvit-base-patch32'), { recursive: true });
  fs.writeFileSync(path.join(scratch, 'models', 'owlvit-base-patch32', 'owl.json'), '{}');
  await assert.rejects(resolveModelFolder('google/owlvit-base-patch32', scratch), modelError('not_exported',
    /, then use --model models\/owlvit-base-patch32 \(models\/owlvit-base-patch32 already holds an export\)$/));
  // The same id as a local folder is that folder.
  assert.equal(await resolveModelFolder('models/owlvit-base-patch32', scratch), path.join(scratch, 'models', 'owlvit-base-patch32'));
});

test('a missing folder, or a file given as the folder, is named', async () => {
  const missing = path.join(scratch, 'no-such-model');
  await assert.rejects(OwlDetector.load('./no-such-model', { cwd: scratch, threads: 1, precision: 'fp32' }), modelError('missing_file',
    `model folder ${missing} does not exist: give the folder that python3 deploy/export/owl_export.py --out wrote`, missing));
  const file = path.join(TINY_MODEL, 'owl.json');
  await assert.rejects(resolveModelFolder(file), modelError('missing_file',
    `--model ${file} is a file; give the model folder that holds owl.json`));
});

test('a folder without owl.json is not an export', async () => {
  const dir = brokenCopy((d) => fs.rmSync(path.join(d, 'owl.json')));
  await assert.rejects(loadModelFolder(dir), modelError('missing_file',
    `${dir}/owl.json is missing: this is not an exported model folder; export one with `
    + 'python3 deploy/export/owl_export.py --model <hub id> --out <folder>', path.join(dir, 'owl.json')));
});

test('a missing model file is named with the export that rebuilds it', async () => {
  const dir = brokenCopy((d) => fs.rmSync(path.join(d, 'text_encoder.onnx')));
  const file = path.join(dir, 'text_encoder.onnx');
  await assert.rejects(OwlDetector.load(dir, { threads: 1, precision: 'fp32' }), modelError('missing_file',
    `${file} is missing (named by ${dir}/owl.json): ${reexport(dir)}`, file));
});

test('owl.json that is not JSON, or breaks the schema, is refused', async () => {
  const garbled = brokenCopy((d) => fs.writeFileSync(path.join(d, 'owl.json'), '{"format": 1,'));
  await assert.rejects(loadModelFolder(garbled), modelError('invalid_config',
    new RegExp(`^${escape(garbled)}/owl\\.json is not valid JSON \\(.+\\): re-export the model folder$`)));
  const wrongType = brokenCopy((d) => editConfig(d, (c) => { c.imageSize = '96'; }));
  await assert.rejects(loadModelFolder(wrongType), modelError('invalid_config',
    `${wrongType}/owl.json: imageSize: Invalid input: expected number, received string; `
    + 're-export the model folder with deploy/export/owl_export.py'));
  const inconsistent = brokenCopy((d) => editConfig(d, (c) => { c.numPatches = 35; }));
  await assert.rejects(loadModelFolder(inconsistent), modelError('invalid_config',
    `${inconsistent}/owl.json: (document): expected numPatches = gridSize² and imageSize = gridSize * patchSize `
    + '(received a mapping); re-export the model folder with deploy/export/owl_export.py'));
});

test('a corrupt ONNX file is named, whichever encoder it is', async () => {
  const image = brokenCopy((d) => fs.writeFileSync(path.join(d, 'image_encoder.onnx'), 'not an onnx model'));
  const imageFile = path.join(image, 'image_encoder.onnx');
  await assert.rejects(OwlDetector.load(image, { threads: 1, precision: 'fp32' }), modelError('corrupt_file', new RegExp(
    `^${escape(imageFile)} cannot be loaded by ONNX Runtime \\(.+\\): the file is corrupt or incomplete; ${escape(reexport(image))}$`),
  imageFile));

  // Cut short, as an interrupted copy leaves it.
  const text = brokenCopy((d) => {
    const file = path.join(d, 'text_encoder.onnx');
    fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
  });
  const textFile = path.join(text, 'text_encoder.onnx');
  await assert.rejects(OwlDetector.load(text, { threads: 1, precision: 'fp32' }), modelError('corrupt_file', new RegExp(
    `^${escape(textFile)} cannot be loaded by ONNX Runtime \\(.+\\): the file is corrupt or incomplete; ${escape(reexport(text))}$`),
  textFile));

  const tokenizer = brokenCopy((d) => fs.writeFileSync(path.join(d, 'tokenizer.json'), '[1, 2'));
  const tokenizerFile = path.join(tokenizer, 'tokenizer.json');
  await assert.rejects(OwlDetector.load(tokenizer, { threads: 1, precision: 'fp32' }), modelError('corrupt_file', new RegExp(
    `^${escape(tokenizerFile)} is not valid JSON \\(.+\\): re-export the model folder$`), tokenizerFile));
});

test('files that disagree with owl.json are named, with the shapes', async () => {
  const fix = 'the folder mixes files of different exports, or owl.json was edited; re-export the model folder';
  // Both encoders give 32: owl.json is the file at fault, not the text encoder that is checked first.
  const text = brokenCopy((d) => editConfig(d, (c) => { c.embedDim = 64; }));
  await assert.rejects(OwlDetector.load(text, { threads: 1, precision: 'fp32' }), modelError('mismatch',
    `${text}/owl.json: embedDim is 64, but ${text}/text_encoder.onnx and ${text}/image_encoder.onnx both give embeddings `
    + `of 32: owl.json was edited or belongs to another export; set embedDim to 32, or ${reexport(text)}`,
    path.join(text, 'owl.json')));

  const image = brokenCopy((d) => editConfig(d, (c) => {
    Object.assign(c, { imageSize: 128, gridSize: 8, numPatches: 64 });
  }));
  await assert.rejects(OwlDetector.load(image, { threads: 1, precision: 'fp32' }), modelError('mismatch',
    `${image}/image_encoder.onnx input "image" has shape [batch,3,96,96] but owl.json implies [batch,3,128,128]: ${fix}`));

  // The image encoder of another export in place of this one.
  const swapped = brokenCopy((d) => fs.copyFileSync(path.join(d, 'text_encoder.onnx'), path.join(d, 'image_encoder.onnx')));
  await assert.rejects(OwlDetector.load(swapped, { threads: 1, precision: 'fp32' }), modelError('mismatch',
    `${swapped}/image_encoder.onnx has no input "image" (its inputs: input_ids, attention_mask): ${fix}`));
});
