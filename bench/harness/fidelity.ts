// SPDX-License-Identifier: Apache-2.0
// How close one image encoder's outputs are to another's on the same frames (int8 against fp32): the class
// embedding of every patch, the logits and boxes the decode computes from them, and the detections a
// threshold keeps, matched one to one by label and IoU.
import * as ort from 'onnxruntime-node';
import { native } from '../../ts/native';
import { ENCODER_NAMES, type ModelFolder } from '../../ts/model/model-folder';
import { OwlTextEncoder } from '../../ts/model/text-encoder';
import { scaleToFit, type BenchFrame } from './frames';

/** Prompts the logits and detections are computed for (the text encoder is the folder's fp32 one). */
export const FIDELITY_PROMPTS = ['a person', 'a car', 'a dog', 'a hat', 'a bike', 'a traffic light', 'a bag', 'a tree'];
/** Detections are the reference's top tenth of patches by score: the threshold is that quantile. */
const KEPT_SHARE = 0.1;
/** Detections agree when their labels are equal and their boxes overlap this much. */
export const MATCH_IOU = 0.9;

/** The outputs of one frame through one encoder. */
interface FrameOutputs {
  classEmbeds: Float32Array;
  logitShift: Float32Array;
  logitScale: Float32Array;
  boxes: Float32Array;
}

/** Agreement of a candidate encoder with a reference encoder over a set of frames. */
export interface Fidelity {
  frames: number;
  /** Cosine of the candidate's and the reference's class embedding of each patch: lowest and mean. */
  embedCosineMin: number;
  embedCosineMean: number;
  /** Largest |candidate - reference| logit (prompts x patches x frames), and the largest |logit| itself. */
  logitMaxError: number;
  logitMaxAbs: number;
  /** Largest box-coordinate difference, in units of the square model input (1 = its side). */
  boxMaxError: number;
  /** The same in pixels of the source frames. */
  boxMaxErrorPx: number;
  /** F1 of the candidate's detections against the reference's (same label, IoU >= MATCH_IOU). */
  detectionF1: number;
  /** The reference's detections over all frames, and the score threshold that kept them. */
  referenceDetections: number;
  threshold: number;
}

/** An image-encoder session with the service's options. */
export function openEncoder(file: string, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: threads,
    interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' });
}

/** The frames as the model sees them: scaled by the pipeline's scaler, then the native pre-processing. */
export async function modelInputs(folder: ModelFolder, frames: readonly BenchFrame[]):
Promise<{ frame: BenchFrame; tensor: Float32Array }[]> {
  const { imageSize, mean, std } = folder.config;
  return Promise.all(frames.map(async (frame) => {
    const scaled = await scaleToFit(frame, imageSize);
    return { frame, tensor: native.preprocess(scaled.rgb, scaled.width, scaled.height, imageSize, mean, std) };
  }));
}

async function encode(session: ort.InferenceSession, tensor: Float32Array, size: number): Promise<FrameOutputs> {
  const n = ENCODER_NAMES.image;
  const out = await session.run({ [n.input]: new ort.Tensor('float32', tensor, [1, 3, size, size]) });
  const data = (name: string) => out[name].data as Float32Array;
  return { classEmbeds: data(n.classEmbeds), logitShift: data(n.logitShift), logitScale: data(n.logitScale),
    boxes: data(n.boxes) };
}

/**
 * Runs both encoders on every frame and compares their outputs.
 * @param threads ONNX Runtime threads of the text encoder (the sessions bring their own).
 */
export async function measureFidelity(folder: ModelFolder, reference: ort.InferenceSession,
  candidate: ort.InferenceSession, frames: readonly BenchFrame[], threads: number): Promise<Fidelity> {
  const { imageSize: size, numPatches: p, embedDim: d } = folder.config;
  const text = await OwlTextEncoder.load(folder, { threads, cacheSize: 0 });
  const textEmbeds = await text.encode(FIDELITY_PROMPTS).finally(() => text.close());
  const q = FIDELITY_PROMPTS.length;
  const inputs = await modelInputs(folder, frames);
  const pairs: { frame: BenchFrame; ref: FrameOutputs; cand: FrameOutputs }[] = [];
  for (const { frame, tensor } of inputs) {
    pairs.push({ frame, ref: await encode(reference, tensor, size), cand: await encode(candidate, tensor, size) });
  }

  let cosMin = Infinity, cosSum = 0, logitErr = 0, logitAbs = 0, boxErr = 0, boxErrPx = 0;
  const refScores: number[] = [];
  for (const { frame, ref, cand } of pairs) {
    for (let i = 0; i < p; i++) {
      const c = cosine(ref.classEmbeds.subarray(i * d, (i + 1) * d), cand.classEmbeds.subarray(i * d, (i + 1) * d));
      cosMin = Math.min(cosMin, c);
      cosSum += c;
    }
    const prompts = { textEmbeds, numQueries: q, thresholds: new Float32Array(q) };
    const a = native.computeLogits(outputs(ref, p, d), prompts);
    const b = native.computeLogits(outputs(cand, p, d), prompts);
    for (let i = 0; i < a.length; i++) {
      logitErr = Math.max(logitErr, Math.abs(a[i] - b[i]));
      logitAbs = Math.max(logitAbs, Math.abs(a[i]));
    }
    const side = Math.max(frame.width, frame.height);
    for (let i = 0; i < ref.boxes.length; i++) {
      const e = Math.abs(ref.boxes[i] - cand.boxes[i]);
      boxErr = Math.max(boxErr, e);
      boxErrPx = Math.max(boxErrPx, e * side);
    }
    for (let i = 0; i < p; i++) {
      let best = -Infinity;
      for (let k = 0; k < q; k++) best = Math.max(best, a[i * q + k]);
      refScores.push(1 / (1 + Math.exp(-best)));
    }
  }

  refScores.sort((x, y) => x - y);
  const threshold = refScores[Math.floor(refScores.length * (1 - KEPT_SHARE))];
  let matched = 0, refCount = 0, candCount = 0;
  for (const { frame, ref, cand } of pairs) {
    const prompts = { textEmbeds, numQueries: q, thresholds: new Float32Array(q).fill(threshold) };
    const options = { frameWidth: frame.width, frameHeight: frame.height, inputSize: size, nmsIou: 0,
      maxDetections: p };
    const r = native.decode(outputs(ref, p, d), prompts, options);
    const c = native.decode(outputs(cand, p, d), prompts, options);
    refCount += r.labels.length;
    candCount += c.labels.length;
    matched += matchDetections(r, c).length;
  }
  return {
    frames: pairs.length,
    embedCosineMin: cosMin,
    embedCosineMean: cosSum / (pairs.length * p),
    logitMaxError: logitErr,
    logitMaxAbs: logitAbs,
    boxMaxError: boxErr,
    boxMaxErrorPx: boxErrPx,
    detectionF1: refCount + candCount === 0 ? 1 : (2 * matched) / (refCount + candCount),
    referenceDetections: refCount,
    threshold,
  };
}

function outputs(o: FrameOutputs, numPatches: number, embedDim: number) {
  return { ...o, numPatches, embedDim };
}

/** Cosine of two vectors. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

/** Detections as the native decode returns them: labels [N] and boxes [N*4]. */
export interface DecodedDetections {
  labels: ArrayLike<number>;
  boxes: Float32Array;
}

/**
 * Greedy one-to-one matching, the reference's detections in their order (decode returns them by score): pairs
 * [reference index, candidate index] of the same label whose boxes overlap at least `minIou`.
 */
export function matchDetections(reference: DecodedDetections, candidate: DecodedDetections, minIou = MATCH_IOU):
[number, number][] {
  const used = new Uint8Array(candidate.labels.length);
  const pairs: [number, number][] = [];
  for (let i = 0; i < reference.labels.length; i++) {
    let best = -1, bestIou = minIou;
    for (let j = 0; j < candidate.labels.length; j++) {
      if (used[j] || candidate.labels[j] !== reference.labels[i]) continue;
      const v = iou(reference.boxes.subarray(i * 4, i * 4 + 4), candidate.boxes.subarray(j * 4, j * 4 + 4));
      if (v >= bestIou) {
        best = j;
        bestIou = v;
      }
    }
    if (best >= 0) {
      used[best] = 1;
      pairs.push([i, best]);
    }
  }
  return pairs;
}

/** Intersection over union of two x0,y0,x1,y1 boxes. */
export function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}
