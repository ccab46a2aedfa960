// SPDX-License-Identifier: Apache-2.0
// The image-encoder worker: owns the ONNX Runtime session (whose run() blocks the thread it is called on,
// hence a worker) and runs one batch of frames at a time (the encoder's batch axis is dynamic). Its outputs
// move back to the main thread whole (transferred, not copied), where each frame is decoded with its prompts.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { expectedMessage } from '../errors/expected';
import { ModelError } from './model-error';
import { ENCODER_NAMES } from './model-folder';
import { imageEncoderSignature, openSession } from './onnx-session';
import type { PrecisionChoice } from './precision';
import type { BatchResult, FrameMessage, FromWorker, ToWorker, WorkerError, WorkerInit } from './worker-protocol';

const init = workerData as WorkerInit;
const port = parentPort!;
const { config } = init.folder;
const names = ENCODER_NAMES.image;
const fetches = [names.classEmbeds, names.logitShift, names.logitScale, names.boxes];
const tensorLength = 3 * config.imageSize * config.imageSize;

// Batches run one after another (a batch that arrives while one runs waits for it).
let queue: Promise<void> = Promise.resolve();

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function toWorkerError(err: unknown): WorkerError {
  if (err instanceof ModelError) return { code: err.code, message: err.message, file: err.file };
  return { code: 'runtime', message: err instanceof Error ? err.message : String(err) };
}

async function runBatch(session: ort.InferenceSession, file: string, batch: FrameMessage): Promise<void> {
  const { count } = batch;
  const side = config.imageSize;
  if (batch.tensor.length !== count * tensorLength) {
    throw new ModelError('runtime', expectedMessage(`a [${count},3,${side},${side}] tensor (${count * tensorLength} floats)`,
      count === 1 ? 'the frame' : `the batch of ${count} frames`, `${batch.tensor.length} floats`));
  }
  const t0 = performance.now();
  let out: ort.InferenceSession.OnnxValueMapType;
  try {
    out = await session.run({
      [names.input]: new ort.Tensor('float32', batch.tensor, [count, 3, side, side]),
    }, fetches);
  } catch (err) {
    throw new ModelError('runtime', `the image encoder failed: ${(err as Error).message}`, file);
  }
  const inferenceMs = performance.now() - t0;
  const output = (name: string) => out[name].data as Float32Array;
  const outputs = { classEmbeds: output(names.classEmbeds), logitShift: output(names.logitShift),
    logitScale: output(names.logitScale), boxes: output(names.boxes) };
  const result: BatchResult = { type: 'result', id: batch.id, outputs, inferenceMs };
  // ONNX Runtime's outputs own plain ArrayBuffers: they move without a copy.
  post(result, [...new Set(Object.values(outputs).map((array) => array.buffer as ArrayBuffer))]);
}

function open(file: string): Promise<ort.InferenceSession> {
  return openSession(file, init.folder, imageEncoderSignature(init.folder), {
    intraOpNumThreads: init.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
}

// The planned file, or under `auto` the fp32 one when the int8 file cannot be loaded (corrupt, or not this
// model's): the service then runs, slower, and says why.
async function openPlanned(): Promise<{ session: ort.InferenceSession; precision: PrecisionChoice }> {
  const { fallback, ...planned } = init.precision;
  try {
    return { session: await open(planned.file), precision: planned };
  } catch (err) {
    if (fallback === null || !(err instanceof ModelError)) throw err;
    const session = await open(fallback.file);
    return { session, precision: { ...planned, precision: 'fp32', file: fallback.file, reason: fallback.reason,
      warning: `${err.message}; running fp32 meanwhile` } };
  }
}

async function main(): Promise<void> {
  let session: ort.InferenceSession;
  let precision: PrecisionChoice;
  try {
    ({ session, precision } = await openPlanned());
  } catch (err) {
    post({ type: 'fatal', error: toWorkerError(err) });
    return;
  }
  port.on('message', (message: ToWorker) => {
    queue = queue.then(() => runBatch(session, precision.file, message))
      .catch((err: unknown) => post({ type: 'error', id: message.id, error: toWorkerError(err) }));
  });
  post({ type: 'ready', precision });
}

void main();
