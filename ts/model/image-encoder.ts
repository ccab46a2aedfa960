// SPDX-License-Identifier: Apache-2.0
// The main thread's handle on the image-encoder worker (image-worker.ts): sends batches of frames, matches the
// encoder outputs that come back to their batches, and starts a new worker if the old one dies, so the service
// recovers by itself.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { ModelError } from './model-error';
import type { PrecisionChoice } from './precision';
import type { BatchResult, FromWorker, ToWorker, WorkerInit } from './worker-protocol';

/** How frames reached the worker: moved (zero-copy) or copied. */
export interface FrameTransferStats {
  /** Frames whose buffer was transferred to the worker (detached on this side). */
  transferred: number;
  /** Frames that had to be copied (their buffer cannot be transferred, e.g. an external native buffer). */
  copied: number;
  /** Time spent copying, in total. */
  copyMs: number;
}

interface Pending {
  resolve: (result: BatchResult) => void;
  reject: (error: Error) => void;
}

/** One image-encoder worker at a time; results come back in the order batches were sent. */
export class ImageEncoder {
  #worker: Worker | null = null;
  #ready: Promise<void> | null = null;
  #nextId = 1;
  #closed = false;
  readonly #pending = new Map<number, Pending>();
  readonly #transfer: FrameTransferStats = { transferred: 0, copied: 0, copyMs: 0 };
  #precision: PrecisionChoice | null = null;

  private constructor(readonly init: WorkerInit) {}

  /**
   * Starts the worker and waits until its session is loaded.
   * @throws {ModelError} when image_encoder.onnx is missing, corrupt or disagrees with owl.json.
   */
  static async start(init: WorkerInit): Promise<ImageEncoder> {
    const encoder = new ImageEncoder(init);
    await encoder.#spawn();
    return encoder;
  }

  /** The precision the worker runs and why (known once started). */
  get precision(): PrecisionChoice {
    return this.#precision!;
  }

  /** Whether close() was called: run() refuses frames from then on. */
  get closed(): boolean {
    return this.#closed;
  }

  /** A copy of the frame transfer counters. */
  get transferStats(): FrameTransferStats {
    return { ...this.#transfer };
  }

  /**
   * Runs the image encoder on a batch of frames.
   * @param tensors [1,3,S,S] each. A lone frame's buffer is transferred to the worker (detached here) when
   *   possible; the frames of a larger batch are copied into one [B,3,S,S].
   * @returns the encoder's outputs for the whole batch, frame after frame.
   * @throws {ModelError} `runtime` when inference fails or the worker stops (a new one starts on the next batch).
   */
  async run(tensors: readonly Float32Array[]): Promise<BatchResult> {
    if (this.#closed) throw new ModelError('runtime', 'the detector is closed');
    if (this.#worker === null) await this.#spawn();
    await this.#ready;
    const worker = this.#worker!;
    const id = this.#nextId++;
    const result = new Promise<BatchResult>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    if (tensors.length === 1) this.#post(worker, { type: 'frame', id, tensor: tensors[0], count: 1 });
    else this.#postBatch(worker, id, tensors);
    return result;
  }

  /** Stops the worker; pending frames are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = null;
    this.#failPending(new ModelError('runtime', 'the detector was closed'));
    if (worker) await worker.terminate();
  }

  // Moves the frame's buffer when it can (a V8-owned ArrayBuffer). Node 20 copies an untransferable one
  // (external native memory, as the pipeline's frames are: ~4 ms for 768²) inside postMessage instead;
  // newer Node versions throw DataCloneError, and the frame is copied here.
  #post(worker: Worker, frame: ToWorker): void {
    const t0 = performance.now();
    const { buffer } = frame.tensor;
    if (buffer instanceof ArrayBuffer) {
      try {
        worker.postMessage(frame, [buffer]);
        if (frame.tensor.byteLength === 0) {
          this.#transfer.transferred += 1;
        } else {
          this.#transfer.copied += 1;
          this.#transfer.copyMs += performance.now() - t0;
        }
        return;
      } catch {
        // not transferable: copied below
      }
    }
    const copy = frame.tensor.slice();
    worker.postMessage({ ...frame, tensor: copy }, [copy.buffer]);
    this.#transfer.copied += 1;
    this.#transfer.copyMs += performance.now() - t0;
  }

  // Several frames: one copy each into a fresh buffer, which then moves to the worker.
  #postBatch(worker: Worker, id: number, tensors: readonly Float32Array[]): void {
    const t0 = performance.now();
    const batch = new Float32Array(tensors.reduce((sum, t) => sum + t.length, 0));
    let offset = 0;
    for (const tensor of tensors) {
      batch.set(tensor, offset);
      offset += tensor.length;
    }
    worker.postMessage({ type: 'frame', id, tensor: batch, count: tensors.length } satisfies ToWorker, [batch.buffer]);
    this.#transfer.copied += tensors.length;
    this.#transfer.copyMs += performance.now() - t0;
  }

  #spawn(): Promise<void> {
    const worker = new Worker(path.join(__dirname, 'image-worker.js'), { workerData: this.init });
    this.#worker = worker;
    this.#ready = new Promise<void>((resolve, reject) => {
      let started = false;
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            started = true;
            this.#precision = message.precision;
            resolve();
            break;
          case 'fatal':
            reject(new ModelError(message.error.code, message.error.message, message.error.file));
            void worker.terminate();
            break;
          case 'error':
            this.#settle(message.id)?.reject(new ModelError(message.error.code, message.error.message, message.error.file));
            break;
          case 'result':
            this.#settle(message.id)?.resolve(message);
            break;
        }
      });
      worker.on('error', (err) => this.#lost(worker, err.message, started ? null : reject));
      worker.on('exit', (code) => this.#lost(worker, `exit code ${code}`, started ? null : reject));
    });
    this.#ready.catch(() => undefined);  // observed by run()/start(); avoid an unhandled rejection here
    return this.#ready;
  }

  // The worker died: fail its frames; the next run() starts a new one.
  #lost(worker: Worker, reason: string, rejectStart: ((error: Error) => void) | null): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    const error = new ModelError('runtime', `the image-encoder worker stopped (${reason})`);
    rejectStart?.(error);
    this.#failPending(error);
  }

  #settle(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    return pending;
  }

  #failPending(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}
