// SPDX-License-Identifier: Apache-2.0
// Follows VST's stream list (input.vst.follow): asks `GET {base}/api/v1/live/streams` every pollMs and hands
// the usable streams to VstReconciler, which adds and removes streams to match. While VST cannot be asked,
// the streams running stay as they are (their own reconnect logic covers a camera that went away).
import { setTimeout as sleep } from 'node:timers/promises';
import { redactUrl } from '../config/redact';
import { fetchLiveStreams } from '../vst/client';
import { parseLiveStreams, type VstStream } from '../vst/streams';
import type { Logger } from './logger';

/** How to follow. */
export interface VstFollowerOptions {
  /** VST address, e.g. `http://host:81`. */
  base: string;
  /** Time between two requests (config `input.vst.pollMs`). */
  pollMs: number;
  /** Per-request timeout (config `input.vst.timeoutMs`). */
  timeoutMs: number;
  /** Called with VST's usable streams after each answer; the next request waits for it. */
  onStreams: (streams: VstStream[]) => Promise<void>;
  log: Logger;
}

/** Polls VST until stop(). */
export class VstFollower {
  readonly #abort = new AbortController();
  #loop: Promise<void> | null = null;

  constructor(readonly options: VstFollowerOptions) {}

  /** Starts polling (the first request goes out at once). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops polling and waits for a request or an onStreams call in progress. Idempotent. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { base, pollMs, timeoutMs, onStreams, log } = this.options;
    const shown = redactUrl(base);
    const signal = this.#abort.signal;
    // One line per change of what VST says (an outage, its end, a skipped stream), not one per poll.
    let lastProblem = '';
    while (!signal.aborted) {
      let problem = '';
      try {
        const { streams, skipped } = parseLiveStreams(shown, await fetchLiveStreams(base, timeoutMs, signal));
        if (skipped.length > 0) {
          problem = `VST at ${shown} lists streams that cannot be played: `
            + `${skipped.map((s) => `${s.streamId || '?'}: ${s.reason}`).join('; ')}`;
        }
        await onStreams(streams);
      } catch (err) {
        if (signal.aborted) break;
        problem = `${(err as Error).message}; the streams running stay as they are, asking again in ${pollMs} ms`;
      }
      if (problem !== lastProblem) {
        if (problem !== '') log.warn(problem);
        else log.info(`VST at ${shown} answers normally again`);
        lastProblem = problem;
      }
      await sleep(pollMs, undefined, { signal }).catch(() => undefined);
    }
  }
}
