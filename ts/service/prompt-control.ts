// SPDX-License-Identifier: Apache-2.0
// Which prompts are in force: the service-wide ones and each stream's own, and the model whose prompt sets hold
// their text embeddings (loaded or not, and why). While the model is not loaded, a service-wide change is refused
// but the prompts of the configuration are kept for it; once loaded they are encoded before any frame uses them.
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
}

/** The prompts in force; see the file comment. Its StreamHooks give new streams their own prompts. */
export class PromptControl implements StreamHooks {
  readonly #options: PromptControlOptions;
  #prompts: PromptSet;
  #model: EngineModel | null = null;
  #modelError = 'loading';

  constructor(options: PromptControlOptions) {
    this.#options = options;
    this.#prompts = copy(options.initial);
  }

  /** Whether the model is loaded, and why not. */
  modelStatus(): { loaded: boolean; error: string | null } {
    return { loaded: this.#model !== null, error: this.#model === null ? this.#modelError : null };
  }

  /** The engine loaded its model with the prompts in force (get()): from now on changes go to its prompt sets. */
  attach(model: EngineModel): void {
    this.#model = model;
  }

  /**
   * Encodes each running stream's own prompts into a model about to replace the one in use (a reload), so that
   * none of its frames is decoded without them.
   */
  async encodeOwn(model: EngineModel): Promise<void> {
    for (const stream of this.#options.streams.list()) {
      const own = stream.prompts;
      if (own === null || own.objects.length === 0) continue;
      await model.promptSets.set(own.objects, own.thresholds, stream.ownPromptSet);
    }
  }

  /** The model could not be loaded: prompt changes are refused with this reason. */
  failed(reason: string): void {
    this.#modelError = reason;
  }

  /** The service-wide prompts in force (a copy). */
  get(): PromptSet {
    return copy(this.#prompts);
  }

  /**
   * Replaces the service-wide prompts for every stream, streams with prompts of their own included.
   * @returns the prompts in force once the new text embeddings are in use.
   * @throws {ModelNotLoadedError}; {PromptError} for a list the limits refuse; {ModelError}.
   */
  async set(objects: string[], thresholds: number[]): Promise<PromptSet> {
    const state = await this.#loaded().promptSets.set(objects, thresholds);
    const overridden = this.#options.streams.list().filter((stream) => stream.prompts !== null);
    const changed = overridden.length > 0 || !samePrompts(state, this.#prompts);
    this.#prompts = { objects: state.objects, thresholds: state.thresholds };
    for (const stream of overridden) stream.prompts = null;
    if (changed) {
      this.#options.metrics.promptChanges++;
      this.#options.log.info(`prompts now ${describePrompts(this.#prompts)}`);
    }
    return this.get();
  }

  /**
   * Gives one stream prompts of its own (both lists empty: detect nothing on it).
   * @returns them, once in use.
   * @throws {UnknownStreamError}, {ModelNotLoadedError} (for a non-empty list); {PromptError}, {ModelError}.
   */
  async setForStream(id: string, objects: string[], thresholds: number[]): Promise<PromptSet> {
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

  /** Gives the configured streams their own prompts again (after a reload replaced the service-wide ones). */
  async reapplyConfigured(): Promise<void> {
    for (const stream of this.#options.streams.list()) {
      if (stream.spec.prompts !== null) await this.#applyOwn(stream, stream.spec.prompts);
    }
  }

  /** StreamHooks: a new stream with prompts of its own gets them before its first frame. */
  async prepare(stream: ServiceStream): Promise<void> {
    if (stream.spec.prompts === null) return;
    try {
      await this.#applyOwn(stream, stream.spec.prompts);
    } catch (err) {
      this.#options.log.error(`prompts of stream ${stream.id || stream.spec.uri}: ${(err as Error).message}`);
    }
  }

  /** StreamHooks: a removed stream's prompt set is forgotten. */
  released(stream: ServiceStream): void {
    void this.#model?.promptSets.drop(stream.ownPromptSet);
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
    if (!this.#options.streams.has(stream)) this.released(stream);
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
