// SPDX-License-Identifier: Apache-2.0
// Messages between the main thread and the image-encoder worker (structured clone; typed arrays are
// transferred where possible). Prompt sets travel as messages and are swapped whole, so a frame is decoded
// with exactly one prompt-set version.
import type { ModelErrorCode } from './model-error';
import type { ModelFolder } from './model-folder';

/** workerData of the image-encoder worker. */
export interface WorkerInit {
  folder: ModelFolder;
  /** ONNX Runtime intra-op threads. */
  threads: number;
  nmsIou: number;
  maxDetections: number;
}

/** A prompt set as the worker decodes with it. */
export interface PromptsMessage {
  type: 'prompts';
  version: number;
  labels: string[];
  /** [Q*D] */
  textEmbeds: Float32Array;
  /** [Q] */
  thresholds: Float32Array;
}

/** One preprocessed frame, [1,3,S,S]. */
export interface FrameMessage {
  type: 'frame';
  id: number;
  tensor: Float32Array;
  width: number;
  height: number;
}

/** Main thread -> worker. */
export type ToWorker = PromptsMessage | FrameMessage;

/** A ModelError across the thread boundary. */
export interface WorkerError {
  code: ModelErrorCode;
  message: string;
  file?: string;
}

/** Detections of one frame: flat arrays as the native decode returns them. */
export interface FrameResult {
  type: 'result';
  id: number;
  promptVersion: number;
  /** The labels of that prompt version (labelIndices index into them). */
  labels: string[];
  labelIndices: Int32Array;
  scores: Float32Array;
  /** [N*4] x0, y0, x1, y1 in source-frame pixels. */
  boxes: Float32Array;
  inferenceMs: number;
  decodeMs: number;
}

/** Worker -> main thread: `ready` or `fatal` once after start, then one `result` or `error` per frame. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'fatal'; error: WorkerError }
  | { type: 'error'; id: number; error: WorkerError }
  | FrameResult;
