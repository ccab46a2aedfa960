// SPDX-License-Identifier: Apache-2.0
// Service-wide counters that are not a pipeline's or the Redis publisher's own: model runs, their latency,
// failures and prompt changes. Read by /metrics through ServiceControl.
import { LatencyHistogram } from '../api/histogram';
import type { HistogramSnapshot } from '../api/service';

/** Model and prompt counters (monotonic since start). */
export class InferenceMetrics {
  inferences = 0;
  inferenceErrors = 0;
  promptChanges = 0;
  readonly #latency = new LatencyHistogram();

  /** Records one successful frame: image encoder + decode, queueing included. */
  observe(totalMs: number): void {
    this.inferences++;
    this.#latency.observe(totalMs / 1000);
  }

  /** Records one successful frame whose model time is not known here (DeepStream: inference inline in nvinfer). */
  countInference(): void {
    this.inferences++;
  }

  latency(): HistogramSnapshot {
    return this.#latency.snapshot();
  }
}
