// SPDX-License-Identifier: Apache-2.0
// The committed tiny OWL-ViT model (random weights, written by deploy/export/owl_export.py --random tiny)
// and its reference.json: transformers' and the exporter's outputs for fixed images and prompts.
import fs from 'node:fs';
import path from 'node:path';

/** test/fixtures/owl-tiny, from build/test/helpers or test/helpers. */
export const TINY_MODEL = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'owl-tiny');

/** A tensor in reference.json: little-endian values, row-major. */
export interface RefTensor {
  dtype: 'float32' | 'int64' | 'uint8';
  shape: number[];
  base64: string;
}

export interface RefImage {
  name: string;
  width: number;
  height: number;
  rgb: RefTensor;
  roi: number[];
  pixelValues: RefTensor;
  hf: { logits: RefTensor; predBoxesCxcywh: RefTensor; predBoxesXyxy: RefTensor; classEmbeds: RefTensor };
  onnx: { imageClassEmbeds: RefTensor; logitShift: RefTensor; logitScale: RefTensor; predBoxes: RefTensor };
  decode: { patches: number[]; labels: number[]; scores: number[]; boxes: number[][] };
}

export interface Reference {
  format: number;
  prompts: { text: string; inputIds: number[]; attentionMask: number[] }[];
  thresholds: number[];
  textEmbeds: { hf: RefTensor; onnx: RefTensor };
  images: RefImage[];
  tokenizerCases: { text: string; ids: number[]; inputIds: number[]; attentionMask: number[] }[];
}

export function loadReference(): Reference {
  return JSON.parse(fs.readFileSync(path.join(TINY_MODEL, 'reference.json'), 'utf8')) as Reference;
}

export function floats(t: RefTensor): Float32Array {
  const bytes = Buffer.from(t.base64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

export function bytes(t: RefTensor): Uint8Array {
  return new Uint8Array(Buffer.from(t.base64, 'base64'));
}

/** Largest |a - b| / (abs + rel * |b|): <= 1 means within tolerance everywhere. */
export function worstError(a: ArrayLike<number>, b: ArrayLike<number>, abs: number, rel: number): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (abs + rel * Math.abs(b[i])));
  return worst;
}
