// SPDX-License-Identifier: Apache-2.0
// The tiny fixture's int8 image encoder against reference.json (transformers' fp32 outputs and the reference
// decode): the figures the int8 test bounds and the `precision` benchmark records.
import * as ort from 'onnxruntime-node';
import { cosine, iou, MATCH_IOU } from '../../bench/harness/fidelity';
import { native, type NativeImageOutputs } from '../../ts/native';
import { ENCODER_NAMES, loadModelFolder } from '../../ts/model/model-folder';
import { OwlTextEncoder } from '../../ts/model/text-encoder';
import { floats, loadReference, TINY_MODEL } from './owl-fixture';

/** Largest differences from transformers over the reference images, and the decode's agreement. */
export interface TinyInt8Fidelity {
  /** int8 logits (decode of the ONNX outputs with the ONNX text embeddings) vs transformers' logits. */
  logitMaxError: number;
  /** The fp32 ONNX encoder's logits vs transformers', for scale. */
  fp32LogitMaxError: number;
  /** int8 boxes vs transformers' (x0,y0,x1,y1 in units of the square input). */
  boxMaxError: number;
  /** Lowest cosine of an int8 class embedding with transformers' (per patch). */
  embedCosineMin: number;
  /** F1 of int8's thresholded decode against the reference decode: same label, boxes overlapping by MATCH_IOU. */
  detectionF1: number;
}

/** Runs the tiny fixture's int8 and fp32 image encoders on the reference images' pixel values. */
export async function tinyInt8Fidelity(threads = 1): Promise<TinyInt8Fidelity> {
  const ref = loadReference();
  const folder = await loadModelFolder(TINY_MODEL);
  const { imageSize: s, numPatches, embedDim: d } = folder.config;
  const text = await OwlTextEncoder.load(folder, { threads, cacheSize: 0 });
  const textEmbeds = await text.encode(ref.prompts.map((p) => p.text)).finally(() => text.close());
  const prompts = { textEmbeds, numQueries: ref.prompts.length, thresholds: Float32Array.from(ref.thresholds) };
  const sessions = await Promise.all([folder.paths.imageEncoderInt8!, folder.paths.imageEncoder]
    .map((file) => ort.InferenceSession.create(file, { intraOpNumThreads: threads })));
  const result = { logitMaxError: 0, fp32LogitMaxError: 0, boxMaxError: 0, embedCosineMin: Infinity, detectionF1: 0 };
  let matched = 0, total = 0;
  try {
    for (const image of ref.images) {
      const [int8, fp32] = await Promise.all(sessions.map(async (session): Promise<NativeImageOutputs> => {
        const n = ENCODER_NAMES.image;
        const out = await session.run({ [n.input]: new ort.Tensor('float32', floats(image.pixelValues), [1, 3, s, s]) });
        return { classEmbeds: out[n.classEmbeds].data as Float32Array, logitShift: out[n.logitShift].data as Float32Array,
          logitScale: out[n.logitScale].data as Float32Array, boxes: out[n.boxes].data as Float32Array, numPatches, embedDim: d };
      }));
      const hfLogits = floats(image.hf.logits);
      const logits = native.computeLogits(int8, prompts);
      const fp32Logits = native.computeLogits(fp32, prompts);
      for (let i = 0; i < logits.length; i++) {
        result.logitMaxError = Math.max(result.logitMaxError, Math.abs(logits[i] - hfLogits[i]));
        result.fp32LogitMaxError = Math.max(result.fp32LogitMaxError, Math.abs(fp32Logits[i] - hfLogits[i]));
      }
      const hfBoxes = floats(image.hf.predBoxesXyxy);
      for (let i = 0; i < hfBoxes.length; i++) result.boxMaxError = Math.max(result.boxMaxError, Math.abs(int8.boxes[i] - hfBoxes[i]));
      const hfEmbeds = floats(image.hf.classEmbeds);
      for (let p = 0; p < numPatches; p++) {
        result.embedCosineMin = Math.min(result.embedCosineMin,
          cosine(int8.classEmbeds.subarray(p * d, (p + 1) * d), hfEmbeds.subarray(p * d, (p + 1) * d)));
      }
      // Decoded on the square input (pixelValues): boxes in its pixels, compared with transformers' boxes of the
      // reference decode's patches.
      const decoded = native.decode(int8, prompts, { frameWidth: s, frameHeight: s, inputSize: s,
        nmsIou: 0, maxDetections: numPatches });
      const want = new Map(image.decode.patches.map((patch, k) => [patch, image.decode.labels[k]]));
      for (let k = 0; k < decoded.labels.length; k++) {
        const box = decoded.boxes.subarray(k * 4, k * 4 + 4).map((v) => v / s);
        const hit = [...want].find(([patch, label]) => label === decoded.labels[k]
          && iou(box, hfBoxes.subarray(patch * 4, patch * 4 + 4)) >= MATCH_IOU);
        if (hit !== undefined) {
          want.delete(hit[0]);
          matched++;
        }
      }
      total += decoded.labels.length + image.decode.patches.length;
    }
  } finally {
    await Promise.all(sessions.map((session) => session.release()));
  }
  result.detectionF1 = total === 0 ? 1 : (2 * matched) / total;
  return result;
}
