// SPDX-License-Identifier: Apache-2.0
// Per-second rates for GET /rates (frame rates, model rate, mean inference latency), derived from the
// monotonic counters of MetricsSnapshot between two samples taken a few seconds apart. Sampling happens when
// the rates are asked for, so an idle API keeps no timer.
import type { HistogramSnapshot, MetricsSnapshot, StreamCounters } from './service';

/** Rates of one stream, in frames per second; null while unknown. */
export interface StreamRates {
  streamId: string;
  framesInPerSecond: number | null;
  framesOutPerSecond: number | null;
  framesToModelPerSecond: number | null;
  framesDroppedPerSecond: number | null;
}

/** Rates averaged over the last `windowSeconds`; every rate is null until two samples exist. */
export interface Rates {
  /** Seconds between the two samples compared; 0 on the first request. */
  windowSeconds: number;
  streams: StreamRates[];
  inferencesPerSecond: number | null;
  /** Mean image-encoder + decode time per frame over the window, in seconds; null when no frame ran in it. */
  inferenceLatencySeconds: number | null;
  redisWrittenPerSecond: number | null;
}

interface Sample {
  at: number;
  metrics: MetricsSnapshot;
}

/** Default span of the average: long enough to smooth a 3 fps model, short enough to follow changes. */
const DEFAULT_RATE_WINDOW_MS = 5_000;
// Closer samples are compared but not kept, so that frequent polling keeps the history short.
const MIN_SPACING_MS = 250;

/** Turns successive metrics snapshots into rates over a sliding window. */
export class RateMeter {
  readonly #windowMs: number;
  readonly #now: () => number;
  #samples: Sample[] = [];

  /**
   * @param windowMs span to average over; @default DEFAULT_RATE_WINDOW_MS
   * @param now clock in milliseconds; @default performance.now
   */
  constructor(windowMs = DEFAULT_RATE_WINDOW_MS, now: () => number = () => performance.now()) {
    this.#windowMs = windowMs;
    this.#now = now;
  }

  /** Records `metrics` as taken now and answers the rates since the oldest sample in the window. */
  rates(metrics: MetricsSnapshot): Rates {
    const current = { at: this.#now(), metrics };
    const newest = this.#samples.at(-1);
    if (newest === undefined || current.at - newest.at >= MIN_SPACING_MS) this.#samples.push(current);
    // Keep one sample at least a window old (the base), and the ones after it.
    while (this.#samples.length > 1 && current.at - this.#samples[1].at >= this.#windowMs) this.#samples.shift();
    return compare(this.#samples[0], current);
  }
}

function compare(base: Sample, current: Sample): Rates {
  const seconds = (current.at - base.at) / 1000;
  const rate = (before: number | undefined, after: number): number | null =>
    (seconds <= 0 || before === undefined || after < before ? null : (after - before) / seconds);
  const then = base.metrics;
  const now = current.metrics;
  const streams = now.streams.map((s): StreamRates => {
    const old: Partial<StreamCounters> = then.streams.find((b) => b.streamId === s.streamId) ?? {};
    return {
      streamId: s.streamId,
      framesInPerSecond: rate(old.framesIn, s.framesIn),
      framesOutPerSecond: rate(old.framesOut, s.framesOut),
      framesToModelPerSecond: rate(old.framesToModel, s.framesToModel),
      framesDroppedPerSecond: rate(old.framesDropped, s.framesDropped),
    };
  });
  const runs = total(now.inferenceLatency) - total(then.inferenceLatency);
  return {
    windowSeconds: Math.max(seconds, 0),
    streams,
    inferencesPerSecond: rate(then.inferences, now.inferences),
    inferenceLatencySeconds: seconds > 0 && runs > 0
      ? (now.inferenceLatency.sum - then.inferenceLatency.sum) / runs : null,
    redisWrittenPerSecond: rate(then.redis.written, now.redis.written),
  };
}

function total(histogram: HistogramSnapshot): number {
  return histogram.counts.reduce((a, b) => a + b, 0);
}
