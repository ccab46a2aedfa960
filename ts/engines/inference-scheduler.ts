// SPDX-License-Identifier: Apache-2.0
// One model for every stream: each stream offers its newest frame (at most one waits per stream, since its
// pipeline hands over the next only after frameDone), and whenever the model is free the waiting frames go
// through it as one batch, taken in turn when more streams wait than a batch holds. Adding a camera divides
// the model's frames among the streams instead of adding a model run per frame.
import type { BatchFrame, DetectResult, OwlDetector } from '../model/detector';
import { ModelError } from '../model/model-error';

/** How batches are formed. */
export interface SchedulerOptions {
  /** Most frames in one image-encoder run (config `model.maxBatch`). */
  maxBatch: number;
  /**
   * Once the model is free, how long a partial batch waits for the other flowing streams' frames (config
   * `model.batchWindowMs`). A batch that holds every flowing stream, or maxBatch frames, starts at once.
   */
  gatherMs: number;
}

interface Waiting {
  frame: BatchFrame;
  resolve: (result: DetectResult) => void;
  reject: (error: Error) => void;
}

/** Shares one detector among streams; see the file comment. */
export class InferenceScheduler {
  // Streams in turn order; #next is where the next batch starts looking.
  readonly #order: string[] = [];
  readonly #flowing = new Set<string>();
  readonly #waiting = new Map<string, Waiting>();
  #next = 0;
  #busy = false;
  #timer: NodeJS.Timeout | null = null;

  /**
   * @param detector the detector in force, or null while none is loaded (waiting frames are then refused).
   */
  constructor(readonly detector: () => OwlDetector | null, readonly options: SchedulerOptions) {}

  /** Frames waiting for the model (for tests and metrics). */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** Takes part in the turns from now on. */
  add(stream: string): void {
    if (!this.#order.includes(stream)) this.#order.push(stream);
  }

  /** Leaves the turns; its waiting frame is refused. Its frame in a running batch still completes. */
  remove(stream: string): void {
    const at = this.#order.indexOf(stream);
    if (at < 0) return;
    this.#order.splice(at, 1);
    if (this.#next > at) this.#next--;
    this.#flowing.delete(stream);
    this.#waiting.get(stream)?.reject(new ModelError('runtime', `stream ${stream} was removed`));
    this.#waiting.delete(stream);
    this.#maybeRun();
  }

  /** Whether a stream's frames are flowing: a batch waits (up to gatherMs) only for flowing streams. */
  setFlowing(stream: string, flowing: boolean): void {
    if (flowing) this.#flowing.add(stream);
    else this.#flowing.delete(stream);
    this.#maybeRun();
  }

  /**
   * Queues a stream's frame for the next batch.
   * @returns its detections.
   * @throws {ModelError} (rejects) when the stream already has a frame waiting, is removed, or inference fails.
   */
  submit(stream: string, frame: BatchFrame): Promise<DetectResult> {
    if (this.#waiting.has(stream)) {
      return Promise.reject(new ModelError('runtime', `stream ${stream} offered a frame while one was waiting`));
    }
    this.add(stream);
    const result = new Promise<DetectResult>((resolve, reject) => this.#waiting.set(stream, { frame, resolve, reject }));
    this.#maybeRun();
    return result;
  }

  /** Refuses the waiting frames and cancels the gathering timer. */
  close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    for (const waiting of this.#waiting.values()) waiting.reject(new ModelError('runtime', 'the service is stopping'));
    this.#waiting.clear();
  }

  #maybeRun(): void {
    if (this.#busy || this.#waiting.size === 0) return;
    const expected = this.#order.filter((s) => this.#flowing.has(s) || this.#waiting.has(s)).length;
    if (this.#waiting.size >= Math.min(this.options.maxBatch, expected) || this.options.gatherMs === 0) {
      this.#run();
    } else if (this.#timer === null) {
      this.#timer = setTimeout(() => this.#run(), this.options.gatherMs);
    }
  }

  #run(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#busy || this.#waiting.size === 0) return;
    const batch = this.#take();
    const detector = this.detector();
    if (detector === null) {
      for (const [, waiting] of batch) waiting.reject(new ModelError('runtime', 'the model is not loaded'));
      this.#maybeRun();
      return;
    }
    this.#busy = true;
    const results = detector.detectBatch(batch.map(([, waiting]) => waiting.frame));
    results.forEach((result, i) => result.then(batch[i][1].resolve, batch[i][1].reject));
    void Promise.allSettled(results).then(() => {
      this.#busy = false;
      this.#maybeRun();
    });
  }

  // Up to maxBatch waiting frames, in turn order from #next; the next batch starts after the last one taken.
  #take(): [string, Waiting][] {
    const taken: [string, Waiting][] = [];
    const count = this.#order.length;
    let last = -1;
    for (let i = 0; i < count && taken.length < this.options.maxBatch; i++) {
      const at = (this.#next + i) % count;
      const waiting = this.#waiting.get(this.#order[at]);
      if (waiting === undefined) continue;
      taken.push([this.#order[at], waiting]);
      this.#waiting.delete(this.#order[at]);
      last = at;
    }
    this.#next = count === 0 ? 0 : (last + 1) % count;
    return taken;
  }
}
