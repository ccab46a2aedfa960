// SPDX-License-Identifier: Apache-2.0
// One figure over several runs: these machines are noisy, so every figure is reported as median, min and max.

/** A figure measured once per run. */
interface Summary {
  median: number;
  min: number;
  max: number;
  /** Every run's value, in run order. */
  runs: number[];
}

/** Median, min and max of the runs (the median of an even count is the mean of the middle two). */
export function summarize(runs: readonly number[]): Summary {
  if (runs.length === 0) throw new Error('summarize: no runs');
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: [...runs] };
}

/** The median of a list of samples within one run (e.g. per-frame times). */
export function median(values: readonly number[]): number {
  return summarize(values).median;
}
