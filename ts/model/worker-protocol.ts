// SPDX-License-Identifier: Apache-2.0
// Messages between the main thread and the image-encoder worker (structured clone; typed arrays are
// transferred where possible). The worker runs the image encoder only: its outputs come back whole and are
// decoded on the main thread (ts/model/frame-decode.ts), where the prompts live, so that a prompt change can
// decode the newest frame again at once instead of waiting behind the next encoder run.
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
}

/** A batch of B preprocessed frames, [B,3,S,S], run through the image encoder at once. */
export interface FrameMessage {
  type: 'frame';
  id: number;
  tensor: Float32Array;
  /** B */
  count: number;
}

/** Main thread -> worker. */
export type ToWorker = FrameMessage;

/** A ModelError across the thread boundary. */
export interface WorkerError {
  code: ModelErrorCode;
  message: string;
  file?: string;
}

/** The image encoder's outputs for a batch of B frames, P patches, D dimensions; row-major, frame after frame. */
export interface EncoderOutputs {
  /** [B*P*D] */
  classEmbeds: Float32Array;
  /** [B*P] */
  logitShift: Float32Array;
  /** [B*P] */
  logitScale: Float32Array;
  /** [B*P*4] x0, y0, x1, y1 normalised to the model's square input */
  boxes: Float32Array;
}

/** What one batch gave: its outputs, moved (not copied) from the worker. */
export interface BatchResult {
  type: 'result';
  id: number;
  outputs: EncoderOutputs;
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
