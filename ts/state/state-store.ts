// SPDX-License-Identifier: Apache-2.0
// The runtime state (runtime-state.ts) in memory and in `<state.dir>/runtime-state.json`. Each change is written
// at once, atomically (atomic-file.ts); changes that come while a write is on its way are written together by the
// next one, so a burst of API calls costs at most two writes and the file always ends with the latest state.
// A state that cannot be written is an error in the log and in /status, never a failed request: what was asked
// is in force, only not kept for the next start. With no state.dir nothing is read or written.
import path from 'node:path';
import type { PromptLimits, PromptSet } from '../model/prompts';
import type { Logger } from '../service/logger';
import { readOrMoveAside, writeFileAtomic } from './atomic-file';
import { emptyState, parseState, serializeState, type RuntimeState, type SavedStream } from './runtime-state';

/** File name inside state.dir. */
export const STATE_FILE = 'runtime-state.json';

/** What /status tells of the kept state. */
export interface StateStoreStatus {
  /** The state file, or null when state.dir is empty (nothing kept). */
  file: string | null;
  /** The latest write's error, or null when the file holds the state in force. */
  error: string | null;
}

/** The runtime state and its file; see the file comment. */
export class RuntimeStateStore {
  readonly #file: string | null;
  readonly #log: Logger;
  #state: RuntimeState = emptyState();
  #changes = 0;
  #written = 0;
  #writing: Promise<void> = Promise.resolve();
  #error: string | null = null;

  /** @param dir state.dir: '' keeps nothing. */
  constructor(dir: string, log: Logger) {
    this.#file = dir === '' ? null : path.resolve(dir, STATE_FILE);
    this.#log = log;
  }

  /**
   * Reads the kept state. A file that cannot be read or is not a state document is moved aside with a warning and
   * the service starts from its configuration: never an error.
   * @param limits the prompt limits in force: longer lists kept earlier are left out (with a warning).
   */
  async load(limits: PromptLimits): Promise<void> {
    const file = this.#file;
    if (file === null) return;
    const found = await readOrMoveAside(file, (text) => parseState(text, limits));
    if (found.kind === 'missing') {
      this.#log.info(`no runtime state in ${file} yet: prompts and streams changed through the API will be kept there`);
    } else if (found.kind === 'moved-aside') {
      const where = found.movedTo !== null ? `moved aside to ${found.movedTo}`
        : `could not be moved aside (${found.moveError}); it will be replaced at the next change`;
      this.#log.warn(`runtime state ${file} cannot be read (${found.problem}): ${where}. Starting from the `
        + 'configuration\'s prompts and streams; those set through the API before are not restored');
    } else {
      for (const warning of found.value.warnings) this.#log.warn(`runtime state ${file}: ${warning}`);
      this.#state = found.value.state;
    }
  }

  /** The state in force (a copy). */
  get state(): RuntimeState {
    return structuredClone(this.#state);
  }

  /** One stream's own prompts kept for it, or null. */
  streamPrompts(id: string): PromptSet | null {
    const kept = this.#state.streamPrompts[id];
    return kept === undefined ? null : copy(kept);
  }

  status(): StateStoreStatus {
    return { file: this.#file, error: this.#error };
  }

  /** Service-wide prompts set through the API; every stream's own prompts end with them (as in PromptControl). */
  setPrompts(prompts: PromptSet): Promise<void> {
    return this.#change((state) => {
      state.prompts = copy(prompts);
      state.streamPrompts = {};
    });
  }

  /** Back to the configuration's prompts, service-wide and for every stream. */
  clearPrompts(): Promise<void> {
    return this.#change((state) => {
      state.prompts = null;
      state.streamPrompts = {};
    });
  }

  /** One stream's own prompts set through the API; null: back to the service-wide ones. */
  setStreamPrompts(id: string, prompts: PromptSet | null): Promise<void> {
    return this.#change((state) => {
      if (prompts === null) delete state.streamPrompts[id];
      else state.streamPrompts[id] = copy(prompts);
    });
  }

  /** A stream added through the API. */
  addStream(stream: SavedStream): Promise<void> {
    return this.#change((state) => {
      state.streams = state.streams.filter((saved) => saved.id !== stream.id).concat({ ...stream });
    });
  }

  /** A stream removed through the API: it and its own prompts are forgotten. */
  removeStream(id: string): Promise<void> {
    return this.#change((state) => {
      state.streams = state.streams.filter((saved) => saved.id !== id);
      delete state.streamPrompts[id];
    });
  }

  /** Resolves once every change made so far was written (or failed, which is logged). */
  flush(): Promise<void> {
    return this.#writing;
  }

  #change(apply: (state: RuntimeState) => void): Promise<void> {
    const before = serializeState(this.#state);
    apply(this.#state);
    if (this.#file === null || serializeState(this.#state) === before) return this.#writing;
    const change = ++this.#changes;
    this.#writing = this.#writing.then(() => (this.#written >= change ? undefined : this.#write(this.#file!)));
    return this.#writing;
  }

  async #write(file: string): Promise<void> {
    const change = this.#changes;
    try {
      await writeFileAtomic(file, serializeState(this.#state));
      this.#written = change;
      if (this.#error !== null) this.#log.info(`runtime state written to ${file} again`);
      this.#error = null;
    } catch (err) {
      const message = `cannot write ${file}: ${(err as Error).message}`;
      // One line per run of failures; /status has the latest.
      if (this.#error === null) {
        this.#log.error(`runtime state not kept (${message}); changes stay in force until the service stops`);
      }
      this.#error = message;
    }
  }
}

function copy(prompts: PromptSet): PromptSet {
  return { objects: [...prompts.objects], thresholds: [...prompts.thresholds] };
}
