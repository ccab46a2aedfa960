// SPDX-License-Identifier: Apache-2.0
// The transformers.js peer: its zero-shot-object-detection pipeline, loaded offline from a model folder in its
// own layout (deploy/export/owl_export.py --transformersjs), in fp32 or with its own `q8` quantization
// (onnx/model_quantized.onnx, --transformersjs --int8). For the base-size model the committed graphs read the
// regenerated benchmark model's weight files, linked into the folder here, so both sides run the same bytes.
import fs from 'node:fs';
import path from 'node:path';
import { BASE_MODEL, REPO } from './context';

/** The committed transformers.js graphs of the random base-patch32 model (weights shared, see shared-weights.json). */
const BASE_PEER_GRAPHS = path.join(REPO, 'deploy', 'export', 'base-patch32-transformersjs');
/** Where the runnable folder is assembled (gitignored, beside the benchmark model). */
const BASE_PEER_MODEL = path.join(REPO, 'bench', 'models', 'owlvit-base-patch32-transformersjs');
/** The tiny random model in transformers.js's layout (same seed as test/fixtures/owl-tiny: the same weights). */
export const TINY_PEER_MODEL = path.join(REPO, 'bench', 'fixtures', 'owl-tiny-transformersjs');

/** One detection as the pipeline returns it (box in whole pixels). */
export interface PeerDetection {
  score: number;
  label: string;
  box: { xmin: number; ymin: number; xmax: number; ymax: number };
}

/** The pipeline: an image and labels in, detections above `threshold` out. */
export type PeerDetector = ((image: unknown, labels: string[], options: { threshold: number }) => Promise<PeerDetection[]>)
  & { dispose(): Promise<void> };

/** What the benchmark uses of @huggingface/transformers (an ES module, imported dynamically). */
interface TransformersJs {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string };
  pipeline(task: string, model: string, options: object): Promise<PeerDetector>;
  RawImage: new (data: Uint8ClampedArray, width: number, height: number, channels: number) => unknown;
}

/** The precisions the peer runs in: transformers.js's `dtype` option. */
export type PeerDtype = 'fp32' | 'q8';

/** Copies the committed graphs and hard-links the benchmark model's weight files (fp32 and q8) beside them. */
export function assembleBasePeer(): string {
  const shared = JSON.parse(fs.readFileSync(path.join(BASE_PEER_GRAPHS, 'shared-weights.json'), 'utf8')) as
    { files: Record<string, number>; quantized?: { files: Record<string, number> } };
  fs.cpSync(BASE_PEER_GRAPHS, BASE_PEER_MODEL, { recursive: true });
  for (const file of Object.keys({ ...shared.files, ...shared.quantized?.files })) {
    const target = path.join(BASE_PEER_MODEL, 'onnx', file);
    fs.rmSync(target, { force: true });
    try {
      fs.linkSync(path.join(BASE_MODEL, file), target);
    } catch {
      fs.copyFileSync(path.join(BASE_MODEL, file), target);  // another file system
    }
  }
  return BASE_PEER_MODEL;
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
