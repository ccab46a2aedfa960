// SPDX-License-Identifier: Apache-2.0
// Messages between the main thread and the image-encoder worker (structured clone; typed arrays are
// transferred where possible). Prompt sets travel as messages, are named (the service-wide set, one per stream
// with prompts of its own) and are swapped whole, so a frame is decoded with exactly one version of its set.
import type { ModelErrorCode } from './model-error';
import type { ModelFolder } from './model-folder';
import type { PrecisionChoice, PrecisionPlan } from './precision';

/** workerData of the image-encoder worker. */
export interface WorkerInit {
  folder: ModelFolder;
  /** Which image encoder file to open, and the one to fall back to. */
  precision: PrecisionPlan;
  /** ONNX Runtime intra-op threads. */
  threads: number;
  nmsIou: number;
  maxDetections: number;
}

/** A named prompt set as the worker decodes with it; replaces the set of that name. */
export interface PromptsMessage {
  type: 'prompts';
  /** The set's name (see DEFAULT_PROMPT_SET in detector.ts). */
  set: string;
  version: number;
  labels: string[];
  /** [Q*D] */
  textEmbeds: Float32Array;
  /** [Q] */
  thresholds: Float32Array;
}

/** Forgets a named prompt set (its stream is gone). */
export interface DropPromptsMessage {
  type: 'dropPrompts';
  set: string;
}

/** One frame of a batch: its source size (boxes come back in its pixels) and the prompt set it is decoded with. */
export interface FrameItem {
  width: number;
  height: number;
  set: string;
  /**
   * Decode down to this fraction of each prompt's threshold (a tracker's low floor); 1: at the thresholds. The
   * detections below the threshold come back too, told apart by ItemResult.thresholds.
   */
  lowScoreRatio: number;
}

/** A batch of B preprocessed frames, [B,3,S,S], run through the image encoder at once. */
export interface FrameMessage {
  type: 'frame';
  id: number;
  tensor: Float32Array;
  /** One per frame, in tensor order. */
  items: FrameItem[];
}

/** Main thread -> worker. */
export type ToWorker = PromptsMessage | DropPromptsMessage | FrameMessage;

/** A ModelError across the thread boundary. */
export interface WorkerError {
  code: ModelErrorCode;
  message: string;
  file?: string;
}

/** Detections of one frame: flat arrays as the native decode returns them. */
export interface ItemResult {
  promptVersion: number;
  /** The labels of that prompt version (labelIndices index into them). */
  labels: string[];
  /** The thresholds of that prompt version (not lowered by lowScoreRatio). */
  thresholds: Float32Array;
  labelIndices: Int32Array;
  scores: Float32Array;
  /** [N*4] x0, y0, x1, y1 in source-frame pixels. */
  boxes: Float32Array;
  decodeMs: number;
}

/** Detections of every frame of a batch, in order; a frame whose decode failed carries its error instead. */
export interface BatchResult {
  type: 'result';
  id: number;
  items: (ItemResult | { error: WorkerError })[];
  /** Image encoder run of the whole batch. */
  inferenceMs: number;
}

/**
 * Worker -> main thread: `ready` (with the precision that runs) or `fatal` once after start, then one `result`
 * or `error` per batch.
 */
export type FromWorker =
  | { type: 'ready'; precision: PrecisionChoice }
  | { type: 'fatal'; error: WorkerError }
  | { type: 'error'; id: number; error: WorkerError }
  | BatchResult;
