// SPDX-License-Identifier: Apache-2.0
// The image-encoder worker: owns the ONNX Runtime session (whose run() blocks the thread it is called on,
// hence a worker), runs one frame at a time and decodes it with the native core, so that only detections
// cross back to the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { native } from '../native';
import { ModelError } from './model-error';
import { ENCODER_NAMES } from './model-folder';
import { imageEncoderSignature, openSession } from './onnx-session';
import type { FrameMessage, FromWorker, PromptsMessage, ToWorker, WorkerError, WorkerInit } from './worker-protocol';

const init = workerData as WorkerInit;
const port = parentPort!;
const { config } = init.folder;
const names = ENCODER_NAMES.image;
const fetches = [names.classEmbeds, names.logitShift, names.logitScale, names.boxes];
const tensorLength = 3 * config.imageSize * config.imageSize;

let prompts: PromptsMessage | null = null;
// Frames run one after another (a frame that arrives while one runs waits for it).
let queue: Promise<void> = Promise.resolve();

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function toWorkerError(err: unknown): WorkerError {
  if (err instanceof ModelError) return { code: err.code, message: err.message, file: err.file };
  return { code: 'runtime', message: err instanceof Error ? err.message : String(err) };
}

async function runFrame(session: ort.InferenceSession, frame: FrameMessage): Promise<void> {
  if (frame.tensor.length !== tensorLength) {
    throw new ModelError('runtime', `Expected a [1,3,${config.imageSize},${config.imageSize}] tensor `
      + `(${tensorLength} floats) for the frame but received ${frame.tensor.length} floats`);
  }
  if (prompts === null) throw new ModelError('runtime', 'no prompts set: call setPrompts() before detect()');
  const t0 = performance.now();
  let out: ort.InferenceSession.OnnxValueMapType;
  try {
    out = await session.run({
      [names.input]: new ort.Tensor('float32', frame.tensor, [1, 3, config.imageSize, config.imageSize]),
    }, fetches);
  } catch (err) {
    throw new ModelError('runtime', `the image encoder failed: ${(err as Error).message}`, init.folder.paths.imageEncoder);
  }
  const t1 = performance.now();
  // One snapshot, taken after inference so the newest prompts apply: the whole decode sees one version.
  const used = prompts;
  const decoded = native.decode({
    classEmbeds: out[names.classEmbeds].data as Float32Array,
    logitShift: out[names.logitShift].data as Float32Array,
    logitScale: out[names.logitScale].data as Float32Array,
    boxes: out[names.boxes].data as Float32Array,
    numPatches: config.numPatches,
    embedDim: config.embedDim,
  }, {
    textEmbeds: used.textEmbeds,
    numQueries: used.labels.length,
    thresholds: used.thresholds,
  }, {
    frameWidth: frame.width,
    frameHeight: frame.height,
    nmsIou: init.nmsIou,
    maxDetections: init.maxDetections,
  });
  const t2 = performance.now();
  post({
    type: 'result',
    id: frame.id,
    promptVersion: used.version,
    labels: used.labels,
    labelIndices: decoded.labels,
    scores: decoded.scores,
    boxes: decoded.boxes,
    inferenceMs: t1 - t0,
    decodeMs: t2 - t1,
  }, [decoded.labels.buffer as ArrayBuffer, decoded.scores.buffer as ArrayBuffer, decoded.boxes.buffer as ArrayBuffer]);
}

async function main(): Promise<void> {
  let session: ort.InferenceSession;
  try {
    session = await openSession(init.folder.paths.imageEncoder, init.folder, imageEncoderSignature(init.folder), {
      intraOpNumThreads: init.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    });
  } catch (err) {
    post({ type: 'fatal', error: toWorkerError(err) });
    return;
  }
  port.on('message', (message: ToWorker) => {
    if (message.type === 'prompts') {
      prompts = message;
      return;
    }
    queue = queue.then(() => runFrame(session, message))
      .catch((err: unknown) => post({ type: 'error', id: message.id, error: toWorkerError(err) }));
  });
  post({ type: 'ready' });
}

void main();
