// SPDX-License-Identifier: Apache-2.0
// A fixed-bucket latency histogram for /metrics, for the supervisor to record each inference into.
import type { HistogramSnapshot } from './service';

/** Default bounds in seconds: spans a GPU (a few ms) to a 2-core CPU running the base model (~0.3-1 s). */
const DEFAULT_LATENCY_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Counts observations into fixed buckets; O(buckets) per observation, no allocation. */
export class LatencyHistogram {
  readonly #bounds: readonly number[];
  readonly #counts: number[];
  #sum = 0;

  /** @param bounds ascending bucket upper bounds in seconds. */
  constructor(bounds: readonly number[] = DEFAULT_LATENCY_BOUNDS) {
    if (bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= bounds[i - 1]))) {
      throw new RangeError(`histogram bounds must be finite and ascending, received ${bounds.join(', ')}`);
    }
    this.#bounds = [...bounds];
    this.#counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** Records one observation, in seconds. */
  observe(seconds: number): void {
    let i = 0;
    while (i < this.#bounds.length && seconds > this.#bounds[i]) i++;
    this.#counts[i]++;
    this.#sum += seconds;
  }

  /** A copy of the counts so far. */
  snapshot(): HistogramSnapshot {
    return { bounds: [...this.#bounds], counts: [...this.#counts], sum: this.#sum };
  }
}
