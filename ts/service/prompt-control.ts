// SPDX-License-Identifier: Apache-2.0
// Which prompts are in force: the service-wide ones and each stream's own, and the model whose prompt sets hold
// their text embeddings (loaded or not, and why). While the model is not loaded, a service-wide change is refused
// but the prompts of the configuration are kept for it; once loaded they are encoded before any frame uses them.
// Prompt changes and a model taking over (start, or a reload on SIGHUP) happen one at a time: a change made while
// a new model loads is in that model once it is in use, and a stream removed meanwhile leaves nothing in it.
// A change is in force once the streams it concerns have applied it to their newest frame (ServiceStream.redecode),
// so the answer to it comes after the overlay, the API and Redis show it.
import type { ServiceStatus } from '../api/service';
import type { EngineModel } from './engine';
import type { PromptSet } from '../model/prompts';
import { ModelNotLoadedError } from './errors';
import type { InferenceMetrics } from './inference-metrics';
import type { Logger } from './logger';
import type { ServiceStream } from './service-stream';
import type { StreamHooks } from './stream-registry';

/** The streams as prompt changes need them (StreamRegistry). */
export interface PromptedStreams {
  list(): ServiceStream[];
  has(stream: ServiceStream): boolean;
  /** @throws {UnknownStreamError} */
  get(id: string): ServiceStream;
  unknown(id: string): Error;
}

/** What PromptControl needs. */
export interface PromptControlOptions {
  /** The configuration's prompts, in force until changed. */
  initial: PromptSet;
  streams: PromptedStreams;
  metrics: InferenceMetrics;
  log: Logger;
  /** A stream's own prompts kept from an earlier run (ts/state/), which a new stream with that id starts with. */
  restored?: (streamId: string) => PromptSet | null;
}

/** The prompts in force; see the file comment. Its StreamHooks give new streams their own prompts. */
export class PromptControl implements StreamHooks {
  readonly #options: PromptControlOptions;
  #prompts: PromptSet;
  #model: EngineModel | null = null;
  #modelError = 'loading';
  // Resolves when the change or take-over in progress (the last to ask) is done.
  #turn: Promise<void> = Promise.resolve();

  constructor(options: PromptControlOptions) {
    this.#options = options;
    this.#prompts = copy(options.initial);
  }

  /** Whether the model is loaded, and why not; the image encoder's precision that runs (null while none is loaded). */
  modelStatus(): ServiceStatus['model'] {
    return { loaded: this.#model !== null, error: this.#model === null ? this.#modelError : null,
      precision: this.#model?.precision ?? null };
  }

  /**
   * Runs `load` (the engine's loadModel) so that the model it puts in use holds the prompts in force at that moment:
   * its `prepare` step encodes the service-wide prompts and each running stream's own into the new model, and
   * prompt changes wait from then until the model is attached (from then on they go to its prompt sets).
   * @returns what `load` returns; rejects with what it throws (the model in use, if any, stays).
   */
  async adopt(load: (prepare: (model: EngineModel) => Promise<void>) => Promise<EngineModel>): Promise<EngineModel> {
    let release: (() => void) | null = null;
    const prepare = async (model: EngineModel): Promise<void> => {
      release = await this.#lock();
      await model.promptSets.set(this.#prompts.objects, this.#prompts.thresholds);
      for (const stream of this.#options.streams.list()) {
        const own = stream.prompts;
        if (own !== null && own.objects.length > 0) {
          await model.promptSets.set(own.objects, own.thresholds, stream.ownPromptSet);
        }
      }
    };
    try {
      const model = await load(prepare);
      this.#model = model;
      return model;
    } finally {
      (release as (() => void) | null)?.();
    }
  }

  /** The model could not be loaded: prompt changes are refused with this reason. */
  failed(reason: string): void {
    this.#modelError = reason;
  }

  /** Service-wide prompts kept from an earlier run replace the configuration's; call before the model loads. */
  restore(prompts: PromptSet): void {
    this.#prompts = copy(prompts);
  }

  /** The service-wide prompts in force (a copy). */
  get(): PromptSet {
    return copy(this.#prompts);
  }

  /**
   * Replaces the service-wide prompts for every stream, streams with prompts of their own included.
   * @returns the prompts in force once the new text embeddings are in use and every stream's newest frame was
   *   decoded with them.
   * @throws {ModelNotLoadedError}; {PromptError} for a list the limits refuse; {ModelError}.
   */
  set(objects: string[], thresholds: number[]): Promise<PromptSet> {
    return this.#exclusive(() => this.#set(objects, thresholds));
  }

  async #set(objects: string[], thresholds: number[]): Promise<PromptSet> {
    const state = await this.#loaded().promptSets.set(objects, thresholds);
    const overridden = this.#options.streams.list().filter((stream) => stream.prompts !== null);
    const changed = overridden.length > 0 || !samePrompts(state, this.#prompts);
    this.#prompts = { objects: state.objects, thresholds: state.thresholds };
    for (const stream of overridden) stream.prompts = null;
    for (const stream of this.#options.streams.list()) stream.redecode();
    if (changed) {
      this.#options.metrics.promptChanges++;
      this.#options.log.info(`prompts now ${describePrompts(this.#prompts)}`);
    }
    return this.get();
  }

  /**
   * Gives one stream prompts of its own (both lists empty: detect nothing on it).
   * @returns them, once in use (its newest frame decoded with them; no other stream's is touched).
   * @throws {UnknownStreamError}, {ModelNotLoadedError} (for a non-empty list); {PromptError}, {ModelError}.
   */
  setForStream(id: string, objects: string[], thresholds: number[]): Promise<PromptSet> {
    return this.#exclusive(() => this.#setForStream(id, objects, thresholds));
  }

  async #setForStream(id: string, objects: string[], thresholds: number[]): Promise<PromptSet> {
    const { streams, metrics, log } = this.#options;
    const stream = streams.get(id);
    if (objects.length > 0) this.#loaded();
    await this.#applyOwn(stream, { objects, thresholds });
    if (!streams.has(stream)) throw streams.unknown(id);
    metrics.promptChanges++;
    log.info(`prompts of stream ${stream.id} now `
      + `${objects.length === 0 ? 'none (no detection)' : describePrompts(stream.prompts!)}`);
    return copy(stream.prompts!);
  }

  /**
   * Back to `configured` (the configuration's prompts) for every stream, and each configured stream's own prompts
   * from the configuration again.
   * @returns the service-wide prompts now in force.
   * @throws as set().
   */
  async reset(configured: PromptSet): Promise<PromptSet> {
    const prompts = await this.set(configured.objects, configured.thresholds);
    await this.reapplyConfigured();
    return prompts;
  }

  /**
   * One stream back to the prompts it would start with: its own from the configuration, else the service-wide ones.
   * @returns the prompts now in force for it.
   * @throws {UnknownStreamError}; what encoding its configured prompts throws.
   */
  resetStream(id: string): Promise<PromptSet> {
    return this.#exclusive(() => this.#resetStream(id));
  }

  async #resetStream(id: string): Promise<PromptSet> {
    const { streams, metrics, log } = this.#options;
    const stream = streams.get(id);
    if (stream.spec.prompts !== null) await this.#applyOwn(stream, stream.spec.prompts);
    else if (stream.prompts !== null) {
      stream.prompts = null;
      await this.#drop(stream);
      stream.redecode();
    }
    metrics.promptChanges++;
    log.info(`prompts of stream ${stream.id} back to ${stream.prompts === null ? 'the service-wide ones'
      : 'those of the configuration'}`);
    return copy(stream.prompts ?? this.#prompts);
  }

  /** Gives the configured streams their own prompts again (after a reload replaced the service-wide ones). */
  reapplyConfigured(): Promise<void> {
    return this.#exclusive(async () => {
      for (const stream of this.#options.streams.list()) {
        if (stream.spec.prompts !== null) await this.#applyOwn(stream, stream.spec.prompts);
      }
    });
  }

  /**
   * StreamHooks: a new stream with prompts of its own gets them before its first frame: those kept from an earlier
   * run for its id, else its configured ones.
   */
  async prepare(stream: ServiceStream): Promise<void> {
    const own = (stream.id === '' ? null : this.#options.restored?.(stream.id) ?? null) ?? stream.spec.prompts;
    if (own === null) return;
    try {
      await this.#exclusive(() => this.#applyOwn(stream, own));
    } catch (err) {
      this.#options.log.error(`prompts of stream ${stream.id || stream.spec.uri}: ${(err as Error).message}`);
    }
  }

  /** StreamHooks: a removed stream's prompt set is forgotten. */
  released(stream: ServiceStream): void {
    void this.#exclusive(() => this.#drop(stream));
  }

  async #drop(stream: ServiceStream): Promise<void> {
    await this.#model?.promptSets.drop(stream.ownPromptSet);
  }

  /** Encodes a stream's own prompts where the model is loaded, and makes them the stream's. */
  async #applyOwn(stream: ServiceStream, prompts: PromptSet): Promise<void> {
    if (prompts.objects.length > 0 && this.#model !== null) {
      const state = await this.#model.promptSets.set(prompts.objects, prompts.thresholds, stream.ownPromptSet);
      stream.prompts = { objects: state.objects, thresholds: state.thresholds };
    } else {
      stream.prompts = copy(prompts);
    }
    // Removed meanwhile: its set was dropped before this one was added.
    if (!this.#options.streams.has(stream)) await this.#drop(stream);
    else stream.redecode();
  }

  /** Runs `step` after every change and model take-over before it, and before those after it. */
  async #exclusive<T>(step: () => Promise<T>): Promise<T> {
    const release = await this.#lock();
    try {
      return await step();
    } finally {
      release();
    }
  }

  /** Waits for the changes before; resolves with the function that lets the next one run. */
  #lock(): Promise<() => void> {
    let release!: () => void;
    const done = new Promise<void>((resolve) => { release = resolve; });
    const turn = this.#turn.then(() => release);
    this.#turn = this.#turn.then(() => done);
    return turn;
  }

  #loaded(): EngineModel {
    if (this.#model === null) throw new ModelNotLoadedError(this.#modelError);
    return this.#model;
  }
}

/** Prompts for a log line: `"a person" > 0.1, "a hat" > 0.2`. */
export function describePrompts(prompts: PromptSet): string {
  return prompts.objects.map((o, i) => `"${o}" > ${prompts.thresholds[i]}`).join(', ');
}

function copy(prompts: PromptSet): PromptSet {
  return { objects: [...prompts.objects], thresholds: [...prompts.thresholds] };
}

function samePrompts(a: PromptSet, b: PromptSet): boolean {
  return JSON.stringify([a.objects, a.thresholds]) === JSON.stringify([b.objects, b.thresholds]);
}
