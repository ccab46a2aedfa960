#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Rebuilds the full-size random-weight OWL-ViT base-patch32 model (the benchmark model) from the small
// committed graphs in deploy/export/base-patch32/ and their weights-manifest.json, without torch: every
// external weight tensor is refilled (constant, or seeded normal noise with the exported tensor's mean
// and std), so the model has the real architecture, FLOPs and non-degenerate outputs. Its outputs are
// not those of the exported weights: use it for speed, and the tiny fixture for parity.
// The quantized graphs (the int8 image encoder, int8-manifest.json; transformers.js's q8 model,
// ../base-patch32-transformersjs/quantized-manifest.json) get their int8 weights the same way: each is
// the quantization of a regenerated fp32 tensor, computed as ONNX Runtime's quantizer computes it and
// checked against the sha256 of ONNX Runtime's own bytes that owl_int8.py recorded.
//
//   node deploy/export/regenerate-base.js [--out DIR] [--force]
//
// Default DIR: bench/models/owlvit-base-patch32 (gitignored). Does nothing when DIR is up to date. The tokenizer
// files are copied from the tiny test fixture: every random model shares its vocabulary, committed once.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const GRAPHS = path.join(__dirname, 'base-patch32');
const TOKENIZER = path.join(__dirname, '..', '..', 'test', 'fixtures', 'owl-tiny');
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'];
const DEFAULT_OUT = path.join(__dirname, '..', '..', 'bench', 'models', 'owlvit-base-patch32');
const MANIFEST = 'weights-manifest.json';
/** Manifests of quantized tensors derived from MANIFEST's (written by owl_int8.py); absent ones are skipped. */
const DERIVED_MANIFESTS = [path.join(GRAPHS, 'int8-manifest.json'),
  path.join(__dirname, 'base-patch32-transformersjs', 'quantized-manifest.json')];
const STAMP = '.regenerated';

function parseArgs(argv) {
  const args = { out: DEFAULT_OUT, force: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && i + 1 < argv.length) args.out = path.resolve(argv[++i]);
    else if (argv[i] === '--force') args.force = true;
    else throw new Error(`Unknown argument ${argv[i]}; usage: regenerate-base.js [--out DIR] [--force]`);
  }
  return args;
}

/** FNV-1a, 32 bit, of the UTF-8 bytes of `text`: the per-tensor seed. */
function fnv1a(text) {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small, fast 32-bit PRNG; returns uniform numbers in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The values of one manifest tensor, as little-endian float32 bytes. */
function fillTensor(entry, seed) {
  const count = entry.shape.reduce((a, b) => a * b, 1);
  if (entry.dtype !== 'float32' || entry.length !== count * 4) {
    throw new Error(`Expected a float32 tensor of ${count * 4} bytes for ${entry.name} but the manifest says ` +
      `${entry.dtype}, ${entry.length} bytes`);
  }
  const values = new Float32Array(count);
  const { fill } = entry;
  if (fill.kind === 'constant') {
    values.fill(fill.value);
  } else if (fill.kind === 'normal') {
    const random = mulberry32(fnv1a(`${seed}:${entry.name}`));
    for (let i = 0; i < count; i += 2) {
      // Box-Muller: two normals per pair of uniforms; 1 - u keeps the logarithm finite.
      const r = fill.std * Math.sqrt(-2 * Math.log(1 - random()));
      const angle = 2 * Math.PI * random();
      values[i] = fill.mean + r * Math.cos(angle);
      if (i + 1 < count) values[i + 1] = fill.mean + r * Math.sin(angle);
    }
  } else {
    throw new Error(`Unknown fill kind ${fill.kind} for ${entry.name} in ${MANIFEST}`);
  }
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

// (qmin, qmax) of onnxruntime.quantization's get_qmin_qmax_for_qType, by type, symmetric, reduce_range.
const QRANGE = {
  int8: { full: [-128, 127], symmetric: [-127, 127], reduced: [-64, 64] },
  uint8: { full: [0, 255], symmetric: [0, 254], reduced: [0, 127] },
};
const FLOAT32_TINY = 1.1754943508222875e-38;

/** Round half to even, as numpy.round. */
function rint(x) {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * ONNX Runtime's weight quantization (quant_utils.quantize_data, per tensor or per channel along `axis`) with
 * its precisions: range in float32, scale in float64 then float32, values divided in float32. Every step
 * below is exact or correctly rounded in doubles, so the bytes equal numpy's.
 */
function quantize(values, shape, { type, axis, symmetric, reduceRange }) {
  const range = QRANGE[type];
  const [qmin, qmax] = reduceRange ? range.reduced : symmetric ? range.symmetric : range.full;
  const [lo, hi] = range.full;
  const channels = axis === null ? 1 : shape[axis];
  const inner = axis === null ? values.length : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = values.length / (channels * inner);
  // Element (o, c, k) of the tensor seen as [outer, channels, inner]; `visit` gets its index and channel.
  const forEach = (visit) => {
    for (let o = 0, i = 0; o < outer; o++) {
      for (let c = 0; c < channels; c++) {
        for (const end = i + inner; i < end; i++) visit(i, c);
      }
    }
  };
  const min = new Float64Array(channels).fill(Infinity);
  const max = new Float64Array(channels).fill(-Infinity);
  forEach((i, c) => {
    if (values[i] < min[c]) min[c] = values[i];
    if (values[i] > max[c]) max[c] = values[i];
  });
  const scale = new Float64Array(channels);
  const zero = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    let rmin = Math.min(min[c], 0);
    let rmax = Math.max(max[c], 0);
    if (symmetric) {
      const absmax = Math.max(Math.abs(rmin), Math.abs(rmax));
      rmin = -absmax;
      rmax = absmax;
    }
    const scale64 = Math.fround(rmax - rmin) / (qmax - qmin);
    const tiny = scale64 < FLOAT32_TINY;
    scale[c] = tiny ? 1 : Math.fround(scale64);
    zero[c] = tiny ? 0 : symmetric ? rint((qmin + qmax) / 2) : rint(qmin - rmin / scale64);
  }
  const IntArray = type === 'int8' ? Int8Array : Uint8Array;
  const data = new IntArray(values.length);
  forEach((i, c) => {
    data[i] = Math.min(hi, Math.max(lo, rint(Math.fround(values[i] / scale[c])) + zero[c]));
  });
  return { data, scale: Float32Array.from(scale), zeroPoint: IntArray.from(zero) };
}

/** Tensor names repeat across the data files (both encoders have an onnx::MatMul_1431): file and name. */
function sourceKey(file, name) {
  return `${file}\0${name}`;
}

/** The bytes of a derived tensor: one part (data, scale, zeroPoint) of `quantized`, its source's quantization. */
function derivedBytes(entry, quantized, sourceEntry) {
  const { fill } = entry;
  const dtype = fill.part === 'scale' ? 'float32' : fill.type;
  if (fill.kind !== 'quantize' || sourceKey(fill.sourceFile, fill.source) !== sourceKey(sourceEntry.file, sourceEntry.name)
    || dtype !== entry.dtype) {
    throw new Error(`Expected a quantization of ${sourceEntry.name} for ${entry.name} but the manifest says `
      + `${entry.dtype}, ${JSON.stringify(fill)}`);
  }
  const part = quantized[fill.part];
  if (part === undefined || part.byteLength !== entry.length) {
    throw new Error(`Expected ${entry.length} bytes for ${entry.name} but part ${fill.part} of the quantization `
      + `has ${part?.byteLength}`);
  }
  return Buffer.from(part.buffer, part.byteOffset, part.byteLength);
}

/** sha256 over the committed files, so that a changed graph, manifest or tokenizer triggers a rebuild. */
function sourceDigest(sources) {
  const hash = crypto.createHash('sha256');
  for (const source of sources) hash.update(path.basename(source)).update(fs.readFileSync(source));
  return hash.digest('hex');
}

function upToDate(out, manifests, digest) {
  try {
    if (fs.readFileSync(path.join(out, STAMP), 'utf8') !== digest) return false;
    return manifests.every((manifest) => Object.entries(manifest.files)
      .every(([file, size]) => fs.statSync(path.join(out, file)).size === size));
  } catch {
    return false;
  }
}

/** The derived manifests present, each with its path. */
function readDerived() {
  return DERIVED_MANIFESTS.filter((file) => fs.existsSync(file))
    .map((file) => ({ file, ...JSON.parse(fs.readFileSync(file, 'utf8')) }));
}

/**
 * Writes every derived tensor whose source is `entry`, and checks it against the digest ONNX Runtime's bytes had
 * (a source whose own digest differs is a last-bit difference of libm against V8 in owl_int8.py's numpy
 * regeneration, not a quantization error: then only counted).
 */
function writeDerived(fds, derivedBySource, entry, values, counts) {
  const quantizations = new Map();  // one per rule: its data, scale and zero point are three entries
  for (const d of derivedBySource.get(sourceKey(entry.file, entry.name)) ?? []) {
    const { type, axis, symmetric, reduceRange } = d.fill;
    const rule = JSON.stringify([type, axis, symmetric, reduceRange]);
    if (!quantizations.has(rule)) quantizations.set(rule, quantize(values, entry.shape, d.fill));
    const bytes = derivedBytes(d, quantizations.get(rule), entry);
    fs.writeSync(fds.get(d.file), bytes, 0, bytes.length, d.offset);
    if (crypto.createHash('sha256').update(bytes).digest('hex') === d.sha256) continue;
    const source = crypto.createHash('sha256').update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))
      .digest('hex');
    if (source === d.sourceSha256) {
      throw new Error(`${d.name}: the regenerated int8 values differ from ONNX Runtime's (sha256 mismatch) although `
        + `its source ${entry.name} is the same: the quantization here no longer matches ONNX Runtime's`);
    }
    counts.sourceDiffers += 1;
  }
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const manifest = JSON.parse(fs.readFileSync(path.join(GRAPHS, MANIFEST), 'utf8'));
  const derived = readDerived();
  const copied = [
    ...fs.readdirSync(GRAPHS).sort().map((f) => path.join(GRAPHS, f)).filter((f) => fs.statSync(f).isFile()),
    ...TOKENIZER_FILES.map((f) => path.join(TOKENIZER, f)),
  ];
  const digest = sourceDigest([...new Set([...copied, ...derived.map((m) => m.file)])]);
  if (!args.force && upToDate(args.out, [manifest, ...derived], digest)) {
    console.log(`[regenerate-base] ${args.out} is up to date`);
    return;
  }
  const started = Date.now();
  fs.mkdirSync(args.out, { recursive: true });
  fs.rmSync(path.join(args.out, STAMP), { force: true });
  for (const source of copied) fs.copyFileSync(source, path.join(args.out, path.basename(source)));
  const derivedBySource = new Map();
  for (const d of derived.flatMap((m) => m.tensors)) {
    const key = sourceKey(d.fill.sourceFile, d.fill.source);
    derivedBySource.set(key, [...(derivedBySource.get(key) ?? []), d]);
  }
  const known = new Set(manifest.tensors.map((t) => sourceKey(t.file, t.name)));
  const missing = [...derivedBySource.keys()].filter((key) => !known.has(key));
  if (missing.length > 0) {
    throw new Error(`Quantized tensors derive from ${missing.map((k) => k.replace('\0', ':')).join(', ')}, not in ${MANIFEST}`);
  }
  const allFiles = Object.assign({}, manifest.files, ...derived.map((m) => m.files));
  const fds = new Map(Object.keys(allFiles).map((file) => [file, fs.openSync(path.join(args.out, file), 'w')]));
  const counts = { sourceDiffers: 0 };
  try {
    for (const entry of manifest.tensors) {
      const bytes = fillTensor(entry, manifest.seed);
      fs.writeSync(fds.get(entry.file), bytes, 0, entry.length, entry.offset);
      writeDerived(fds, derivedBySource, entry, new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4),
        counts);
    }
    for (const [file, size] of Object.entries(allFiles)) fs.ftruncateSync(fds.get(file), size);
  } finally {
    for (const fd of fds.values()) fs.closeSync(fd);
  }
  fs.writeFileSync(path.join(args.out, STAMP), digest);
  const megabytes = Object.values(allFiles).reduce((a, b) => a + b, 0) / 1e6;
  const quantized = derived.reduce((n, m) => n + m.tensors.length, 0);
  console.log(`[regenerate-base] wrote ${args.out} (${megabytes.toFixed(0)} MB of weights: `
    + `${manifest.tensors.length} tensors, and ${quantized} int8 tensors, scales and zero points derived from them) in `
    + `${((Date.now() - started) / 1000).toFixed(1)} s`
    + (counts.sourceDiffers > 0 ? `; ${counts.sourceDiffers} quantized tensors come from an fp32 tensor that differs in `
      + 'the last bit from the one owl_int8.py quantized, so their digests were not compared' : ''));
}

if (require.main === module) main();
else module.exports = { quantize, fillTensor };
