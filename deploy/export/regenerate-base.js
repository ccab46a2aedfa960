#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Rebuilds the full-size random-weight OWL-ViT base-patch32 model (the benchmark model) from the small
// committed graphs in deploy/export/base-patch32/ and their weights-manifest.json, without torch: every
// external weight tensor is refilled (constant, or seeded normal noise with the exported tensor's mean
// and std), so the model has the real architecture, FLOPs and non-degenerate outputs. Its outputs are
// not those of the exported weights: use it for speed, and the tiny fixture for parity.
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

/** sha256 over the committed files, so that a changed graph, manifest or tokenizer triggers a rebuild. */
function sourceDigest(sources) {
  const hash = crypto.createHash('sha256');
  for (const source of sources) hash.update(path.basename(source)).update(fs.readFileSync(source));
  return hash.digest('hex');
}

function upToDate(out, manifest, digest) {
  try {
    if (fs.readFileSync(path.join(out, STAMP), 'utf8') !== digest) return false;
    return Object.entries(manifest.files).every(([file, size]) => fs.statSync(path.join(out, file)).size === size);
  } catch {
    return false;
  }
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const manifest = JSON.parse(fs.readFileSync(path.join(GRAPHS, MANIFEST), 'utf8'));
  const sources = [
    ...fs.readdirSync(GRAPHS).sort().map((f) => path.join(GRAPHS, f)).filter((f) => fs.statSync(f).isFile()),
    ...TOKENIZER_FILES.map((f) => path.join(TOKENIZER, f)),
  ];
  const digest = sourceDigest(sources);
  if (!args.force && upToDate(args.out, manifest, digest)) {
    console.log(`[regenerate-base] ${args.out} is up to date`);
    return;
  }
  const started = Date.now();
  fs.mkdirSync(args.out, { recursive: true });
  fs.rmSync(path.join(args.out, STAMP), { force: true });
  for (const source of sources) fs.copyFileSync(source, path.join(args.out, path.basename(source)));
  for (const [file, size] of Object.entries(manifest.files)) {
    const fd = fs.openSync(path.join(args.out, file), 'w');
    try {
      for (const entry of manifest.tensors.filter((t) => t.file === file)) {
        fs.writeSync(fd, fillTensor(entry, manifest.seed), 0, entry.length, entry.offset);
      }
      fs.ftruncateSync(fd, size);
    } finally {
      fs.closeSync(fd);
    }
  }
  fs.writeFileSync(path.join(args.out, STAMP), digest);
  const megabytes = Object.values(manifest.files).reduce((a, b) => a + b, 0) / 1e6;
  console.log(`[regenerate-base] wrote ${args.out} (${megabytes.toFixed(0)} MB of weights, ` +
    `${manifest.tensors.length} tensors) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main();
