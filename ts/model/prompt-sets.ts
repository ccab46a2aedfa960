// SPDX-License-Identifier: Apache-2.0
// Named prompt sets with their text embeddings: the service-wide set and one per stream with prompts of its own.
// A set is re-encoded only when its prompt strings change (the text encoder's cache makes repeated strings
// free), and changes apply one after another in call order. Both engines use it: the portable detector forwards
// each change to its image-encoder worker, the DeepStream engine to its decode probe (DeepStreamPipeline.setPrompts).
import { EventEmitter } from 'node:events';
import { parsePrompts, type PromptLimits } from './prompts';

/** The prompt set every frame uses unless it names another. */
export const DEFAULT_PROMPT_SET = 'default';

/** A prompt set in force. */
export interface PromptState {
  /** Increases by one whenever the set's prompts or thresholds change; 0 before its first set(). */
  version: number;
  objects: string[];
  thresholds: number[];
}

/** A prompt set with its text embeddings, as a change hands it on. */
export interface PromptEntry {
  state: PromptState;
  /** [Q*D] row-major, L2-normalised; shared, do not modify. */
  textEmbeds: Float32Array;
}

/** Events of {@link PromptSets}. */
export interface PromptSetEvents {
  /** A set was replaced (entry) or dropped (null); emitted before the call that caused it resolves. */
  change: [set: string, entry: PromptEntry | null];
}

/** Turns prompt strings into [Q*D] text embeddings (OwlTextEncoder.encode). */
export type TextEncode = (prompts: readonly string[]) => Promise<Float32Array>;

/** Named prompt sets; see the file comment. */
export class PromptSets extends EventEmitter<PromptSetEvents> {
  readonly #sets = new Map<string, PromptEntry>();
  // set() and drop() calls apply one after another, in call order.
  #chain: Promise<unknown> = Promise.resolve();

  constructor(readonly encode: TextEncode, readonly limits: PromptLimits) {
    super();
  }

  /** A set in force (a copy of its state with the shared embeddings), or null when never set or dropped. */
  get(set: string): PromptEntry | null {
    const entry = this.#sets.get(set);
    if (entry === undefined) return null;
    const { state } = entry;
    return { state: { ...state, objects: [...state.objects], thresholds: [...state.thresholds] },
      textEmbeds: entry.textEmbeds };
  }

  /**
   * Validates and applies a prompt list. Unchanged prompts keep their version; changed thresholds alone do not
   * re-encode; new prompt strings are encoded.
   * @param objects comma-separated prompts ("a person, a hat") or a list.
   * @param thresholds comma-separated numbers in [0,1], or a list; exactly one applies to every prompt.
   * @returns the set's state now in force.
   * @throws {PromptError} when the list breaks a rule (nothing changes then).
   * @throws {ModelError} when the text encoder fails.
   */
  async set(objects: unknown, thresholds: unknown, set = DEFAULT_PROMPT_SET): Promise<PromptState> {
    const parsed = parsePrompts(objects, thresholds, this.limits);
    return this.#serial(() => this.#apply(set, parsed.objects, parsed.thresholds));
  }

  /** Forgets a set (after the calls before it). */
  async drop(set: string): Promise<void> {
    await this.#serial(async () => {
      if (this.#sets.delete(set)) this.emit('change', set, null);
    });
  }

  #serial<T>(step: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(step);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #apply(set: string, objects: string[], thresholds: number[]): Promise<PromptState> {
    const current = this.#sets.get(set);
    const sameObjects = current !== undefined && sameList(objects, current.state.objects);
    if (sameObjects && sameList(thresholds, current.state.thresholds)) return this.get(set)!.state;
    const textEmbeds = sameObjects ? current.textEmbeds : await this.encode(objects);
    const entry = { state: { version: (current?.state.version ?? 0) + 1, objects, thresholds }, textEmbeds };
    this.#sets.set(set, entry);
    this.emit('change', set, this.get(set));
    return this.get(set)!.state;
  }
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
