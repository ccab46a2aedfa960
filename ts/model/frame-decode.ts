// SPDX-License-Identifier: Apache-2.0
// One frame's image-encoder outputs and their decode with a prompt set (the native decode core), on the main
// thread, where the prompts live. The outputs do not depend on the prompts, so a frame can be decoded again with
// new ones in under a millisecond: that is how a prompt change takes effect without waiting for the next
// image-encoder run (ts/engines/newest-encoding.ts).
import { performance } from 'node:perf_hooks';
import { native, type NativeDecodeResult } from '../native';
import { ModelError } from './model-error';
import type { PromptEntry } from './prompt-sets';
import type { EncoderOutputs } from './worker-protocol';

/** One detected object, in source-frame pixels. */
export interface Detection {
  /** The prompt that won the patch. */
  label: string;
  /** Its index in the prompt list of `promptVersion`. */
  labelIndex: number;
  /** Sigmoid score in [0,1], above the prompt's threshold. */
  score: number;
  /** x0, y0, x1, y1 (may fall outside the frame, as NanoOWL's do). */
  box: [number, number, number, number];
}

/** One frame's image-encoder outputs (P patches, D dimensions) with the size of the frame it came from. */
export interface EncodedFrame extends EncoderOutputs {
  /** Source frame size: boxes are decoded into its pixels. */
  width: number;
  height: number;
}

/** The model's sizes and the decode options, fixed for a detector's life. */
export interface FrameDecodeOptions {
  /** Square model input side S. */
  inputSize: number;
  numPatches: number;
  embedDim: number;
  /** Class-wise NMS IoU threshold; 0 turns NMS off. */
  nmsIou: number;
  /** Cap on detections per frame. */
  maxDetections: number;
}

/**
 * Frame b of a batch's outputs: views into them when the batch is that frame alone, else copies, so that a
 * frame kept for later (to decode again) holds its own ~1.2 MB (base model) rather than the whole batch.
 */
export function frameOf(outputs: EncoderOutputs, b: number, count: number, size: { width: number; height: number },
  { numPatches: p, embedDim: d }: Pick<FrameDecodeOptions, 'numPatches' | 'embedDim'>): EncodedFrame {
  const part = (array: Float32Array, width: number) => {
    const view = array.subarray(b * p * width, (b + 1) * p * width);
    return count === 1 ? view : view.slice();
  };
  return { classEmbeds: part(outputs.classEmbeds, d), logitShift: part(outputs.logitShift, 1),
    logitScale: part(outputs.logitScale, 1), boxes: part(outputs.boxes, 4), width: size.width, height: size.height };
}

/** One decode of a frame. */
export interface DecodedFrame {
  /** Above their prompt's threshold, sorted by score, highest first. */
  detections: Detection[];
  /** At or below their prompt's threshold and above lowScoreRatio times it, sorted by score, highest first. */
  lowDetections: Detection[];
  decodeMs: number;
}

/**
 * Decodes one frame with a prompt set: per patch the best prompt, kept above its threshold (or above
 * `lowScoreRatio` times it, in lowDetections: a tracker's second stage takes them); boxes in source-frame pixels.
 * @throws {ModelError} `runtime` naming the bad field (e.g. a frame width of 0).
 */
export function decodeFrame(frame: EncodedFrame, prompts: PromptEntry, options: FrameDecodeOptions,
  lowScoreRatio = 1): DecodedFrame {
  const t0 = performance.now();
  const { objects, thresholds } = prompts.state;
  let decoded: NativeDecodeResult;
  try {
    decoded = native.decode({
      classEmbeds: frame.classEmbeds,
      logitShift: frame.logitShift,
      logitScale: frame.logitScale,
      boxes: frame.boxes,
      numPatches: options.numPatches,
      embedDim: options.embedDim,
    }, {
      textEmbeds: prompts.textEmbeds,
      numQueries: objects.length,
      thresholds: Float32Array.from(thresholds, (t) => t * lowScoreRatio),
    }, {
      frameWidth: frame.width,
      frameHeight: frame.height,
      inputSize: options.inputSize,
      nmsIou: options.nmsIou,
      maxDetections: options.maxDetections,
    });
  } catch (err) {
    throw new ModelError('runtime', (err as Error).message);
  }
  const detections: Detection[] = [];
  const lowDetections: Detection[] = [];
  for (let k = 0; k < decoded.labels.length; k++) {
    const box = decoded.boxes.subarray(k * 4, k * 4 + 4);
    const labelIndex = decoded.labels[k];
    const score = decoded.scores[k];
    // The decode's own rule (score > threshold) tells the two apart.
    (score > thresholds[labelIndex] ? detections : lowDetections).push({ label: objects[labelIndex], labelIndex,
      score, box: [box[0], box[1], box[2], box[3]] });
  }
  return { detections, lowDetections, decodeMs: performance.now() - t0 };
}
