// SPDX-License-Identifier: Apache-2.0
// The second line of defence behind each pipeline's own stall watchdog (native/src/common/reconnect_loop): a
// stream whose state says frames flow (`playing`, `reconnected`) but whose input frame counter has not moved for
// longer than input.reconnect.stallTimeoutMs is stuck: the watchdog that should have noticed did not (a wedged
// streaming thread, a pipeline that stopped counting). /ready then turns red, so an orchestrator's health check
// sees what the state alone hides. Sampled on a timer, so a stall is seen within a second whatever the probes'
// interval.
import { FLOWING_STATES } from '../api/readiness';
import type { ServiceStream } from './service-stream';

/** How often the counters are sampled. */
const SAMPLE_MS = 1000;

/** Watches the streams' input frame counters; see the file comment. */
export class FrameWatch {
  // Per stream key: the input frame count last seen, and when it last moved (Date.now()).
  readonly #seen = new Map<string, { frames: number; movedAt: number }>();
  readonly #streams: () => ServiceStream[];
  readonly #stallMs: () => number;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | null = null;

  /**
   * @param streams the running streams.
   * @param stallMs how long a flowing stream may go without a frame (input.reconnect.stallTimeoutMs in force).
   * @param now the clock (Date.now; a test's own).
   */
  constructor(streams: () => ServiceStream[], stallMs: () => number, now: () => number = Date.now) {
    this.#streams = streams;
    this.#stallMs = stallMs;
    this.#now = now;
  }

  /** Samples every second until stop(); the timer never keeps the process alive. */
  start(): void {
    this.#timer ??= setInterval(() => this.sample(), SAMPLE_MS).unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Takes the streams' counters now (the timer calls it; so may a test). */
  sample(): void {
    const now = this.#now();
    const running = new Set<string>();
    for (const stream of this.#streams()) {
      running.add(stream.key);
      const frames = stream.counters().framesIn;
      const seen = this.#seen.get(stream.key);
      if (seen === undefined || seen.frames !== frames) this.#seen.set(stream.key, { frames, movedAt: now });
    }
    for (const key of this.#seen.keys()) if (!running.has(key)) this.#seen.delete(key);
  }

  /**
   * How long the stream has been stuck: milliseconds without a new input frame while its state says frames flow,
   * once that is beyond the stall timeout; null when it is not stuck (or not sampled yet).
   */
  stalledMs(stream: ServiceStream): number | null {
    const seen = this.#seen.get(stream.key);
    const status = stream.status();
    if (seen === undefined || !FLOWING_STATES.has(status.state)) return null;
    // A stream that (re)started flowing after the counter last moved is timed from then.
    const quietMs = this.#now() - Math.max(seen.movedAt, Date.parse(status.since));
    return quietMs > this.#stallMs() ? quietMs : null;
  }
}
