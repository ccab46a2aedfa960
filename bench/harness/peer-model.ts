// SPDX-License-Identifier: Apache-2.0
// The transformers.js peer: its zero-shot-object-detection pipeline, loaded offline from a model folder in its
// own layout (deploy/export/owl_export.py --transformersjs), in fp32 or with its own `q8` quantization
// (onnx/model_quantized.onnx, --transformersjs --int8). The committed folders hold the graphs only: they are
// assembled under bench/models (gitignored) with the tokenizer every random model shares (committed once, in
// test/fixtures/owl-tiny) and, for the base-size model, the regenerated benchmark model's weight files (fp32 and
// q8), so both sides run the same bytes.
import fs from 'node:fs';
import path from 'node:path';
import { BASE_MODEL, REPO, TINY_MODEL } from './context';

/** The committed transformers.js graphs of the random base-patch32 model (weights shared, see shared-weights.json). */
const BASE_PEER_GRAPHS = path.join(REPO, 'deploy', 'export', 'base-patch32-transformersjs');
/** The tiny random model in transformers.js's layout (same seed as test/fixtures/owl-tiny: the same weights). */
const TINY_PEER_GRAPHS = path.join(REPO, 'bench', 'fixtures', 'owl-tiny-transformersjs');
/** Where the runnable folders are assembled (gitignored, beside the benchmark model). */
const PEER_MODELS = path.join(REPO, 'bench', 'models');
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'];

/** Copies committed graphs into a runnable folder under bench/models, with the shared tokenizer. */
function assemble(graphs: string, name: string): string {
  const folder = path.join(PEER_MODELS, name);
  fs.cpSync(graphs, folder, { recursive: true });
  for (const file of TOKENIZER_FILES) fs.copyFileSync(path.join(TINY_MODEL, file), path.join(folder, file));
  return folder;
}

/** The tiny peer model, ready to load. */
export function assembleTinyPeer(): string {
  return assemble(TINY_PEER_GRAPHS, 'owl-tiny-transformersjs');
}

/** One detection as the pipeline returns it (box in whole pixels). */
export interface PeerDetection {
  score: number;
  label: string;
  box: { xmin: number; ymin: number; xmax: number; ymax: number };
}

/** The pipeline: an image and labels in, detections above `threshold` out. */
type PeerDetector = ((image: unknown, labels: string[], options: { threshold: number }) => Promise<PeerDetection[]>)
  & { dispose(): Promise<void> };

/** What the benchmark uses of @huggingface/transformers (an ES module, imported dynamically). */
interface TransformersJs {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
  pipeline(task: string, model: string, options: object): Promise<PeerDetector>;
  RawImage: new (data: Uint8ClampedArray, width: number, height: number, channels: number) => unknown;
}

/** The precisions the peer runs in: transformers.js's `dtype` option. */
export type PeerDtype = 'fp32' | 'q8';

/**
 * The base-size peer model: the committed graphs, the tokenizer, and the benchmark model's weights (fp32 and q8)
 * hard-linked.
 */
export function assembleBasePeer(): string {
  const shared = JSON.parse(fs.readFileSync(path.join(BASE_PEER_GRAPHS, 'shared-weights.json'), 'utf8')) as
    { files: Record<string, number>; quantized?: { files: Record<string, number> } };
  const folder = assemble(BASE_PEER_GRAPHS, 'owlvit-base-patch32-transformersjs');
  for (const file of Object.keys({ ...shared.files, ...shared.quantized?.files })) {
    const target = path.join(folder, 'onnx', file);
    fs.rmSync(target, { force: true });
    try {
      fs.linkSync(path.join(BASE_MODEL, file), target);
    } catch {
      fs.copyFileSync(path.join(BASE_MODEL, file), target);  // another file system
    }
  }
  return folder;
}

/**
 * Loads the pipeline from a local folder with remote models switched off (nothing is downloaded), on the CPU
 * with `threads` intra-op threads, and returns it with a maker of its image type.
 * @param dtype `fp32` (onnx/model.onnx) or `q8` (onnx/model_quantized.onnx).
 */
export async function loadPeer(folder: string, threads: number, dtype: PeerDtype = 'fp32'):
Promise<{ detect: PeerDetector; image: (rgb: Uint8Array, width: number, height: number) => unknown; version: string }> {
  const tjs = await import('@huggingface/transformers') as unknown as TransformersJs & { env: { version: string } };
  tjs.env.allowRemoteModels = false;
  tjs.env.allowLocalModels = true;
  tjs.env.localModelPath = `${path.dirname(folder)}/`;
  const detect = await tjs.pipeline('zero-shot-object-detection', path.basename(folder), {
    dtype, device: 'cpu', session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  });
  return {
    detect,
    image: (rgb, width, height) => new tjs.RawImage(new Uint8ClampedArray(rgb.buffer, rgb.byteOffset, rgb.length), width, height, 3),
    version: tjs.env.version,
  };
}
