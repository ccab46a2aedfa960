// SPDX-License-Identifier: Apache-2.0
// The running service as the REST API sees it (ControlService): requests become calls on the stream registry,
// the prompt control and the VST reconciliation; reads are snapshots of them, of the engine's metadata outputs and
// of the metrics. Refusals are domain errors (errors.ts), which the API alone turns into HTTP answers. Stream
// requests that come while the service starts wait until its configured streams have started.
import { randomUUID } from 'node:crypto';
import type {
  ControlService, FrameDetections, MetricsSnapshot, NewStream, OutputCounters, ServiceStatus, StreamInfo,
} from '../api/service';
import { redactUrl } from '../config/redact';
import type { OwlConfig } from '../config/schema';
import type { Engine } from './engine';
import type { PromptSet } from '../model/prompts';
import type { RuntimeStateStore } from '../state/state-store';
import { InvalidStreamInputError, StreamFailedError } from './errors';
import type { FrameWatch } from './frame-watch';
import type { InferenceMetrics } from './inference-metrics';
import type { PromptControl } from './prompt-control';
import type { StreamRegistry } from './stream-registry';
import { apiStreamSpec } from './stream-spec';
import type { VstReconciler } from './vst-reconciler';

/** The counters of an output this process does not write. */
const NO_OUTPUT_COUNTERS: Readonly<OutputCounters> = Object.freeze(
  { written: 0, queueDepth: 0, dropped: 0, errors: 0, rejected: 0 });

/** The parts the API's requests reach. */
export interface ServiceControlParts {
  engine: Pick<Engine, 'name' | 'limits' | 'redis' | 'mqtt' | 'kafka'>;
  registry: StreamRegistry;
  prompts: PromptControl;
  vst: VstReconciler;
  metrics: InferenceMetrics;
  /** Which flowing streams are stuck (no new frame beyond the stall timeout). */
  frames: FrameWatch;
  /** Where what the API changes is kept for the next start (prompts, added streams). */
  state: RuntimeStateStore;
  /** The configuration in force. */
  config: () => OwlConfig;
  /** Settles once start() has started the configured streams (a pipeline started earlier would lack the model). */
  started: Promise<void>;
}

/** The ControlService of the running service; see the file comment. */
export class ServiceControl implements ControlService {
  readonly #parts: ServiceControlParts;
  readonly #startedAt = new Date();

  constructor(parts: ServiceControlParts) {
    this.#parts = parts;
  }

  getPrompts(): PromptSet {
    return this.#parts.prompts.get();
  }

  async setPrompts(objects: string[], thresholds: number[]): Promise<PromptSet> {
    const prompts = await this.#parts.prompts.set(objects, thresholds);
    await this.#parts.state.setPrompts(prompts);
    return prompts;
  }

  async resetPrompts(): Promise<PromptSet> {
    const { prompts, state, config } = this.#parts;
    const { objects, thresholds } = config().prompts;
    const now = await prompts.reset({ objects, thresholds });
    await state.clearPrompts();
    return now;
  }

  async setStreamPrompts(id: string, objects: string[], thresholds: number[]): Promise<PromptSet> {
    await this.#parts.started;
    const prompts = await this.#parts.prompts.setForStream(id, objects, thresholds);
    await this.#parts.state.setStreamPrompts(id, prompts);
    return prompts;
  }

  async resetStreamPrompts(id: string): Promise<PromptSet> {
    await this.#parts.started;
    const prompts = await this.#parts.prompts.resetStream(id);
    await this.#parts.state.setStreamPrompts(id, null);
    return prompts;
  }

  async addStream(stream: NewStream): Promise<StreamInfo> {
    const { started, registry, engine, config, state } = this.#parts;
    await started;
    const spec = apiStreamSpec(randomUUID(), stream.uri, stream.description);
    if (spec === null) {
      throw new InvalidStreamInputError(`cannot read ${JSON.stringify(redactUrl(stream.uri))} as a video input`);
    }
    const added = registry.start(spec);
    try {
      await added.firstFrame(engine.limits.firstFrameMs(config().input.reconnect));
    } catch (err) {
      await registry.stop(added, `its first connection failed: ${(err as Error).message}`);
      // The same answer whatever went wrong (a closed port, an open port that is not RTSP, a timeout): the API
      // must not serve as a port scanner. The log line of the stop keeps the detail.
      throw new StreamFailedError(`Failed to add stream: no RTSP video at ${redactUrl(stream.uri)}`);
    }
    await state.addStream({ id: added.id, uri: stream.uri, description: stream.description });
    return added.info();
  }

  async removeStream(id: string): Promise<void> {
    const { started, registry, vst, state } = this.#parts;
    await started;
    const stream = registry.get(id);
    vst.dismiss(stream);
    await registry.stop(stream, 'removed through the API');
    await state.removeStream(id);
  }

  status(): ServiceStatus {
    const { engine, prompts, registry } = this.#parts;
    return {
      engine: engine.name,
      model: prompts.modelStatus(),
      redis: engine.redis.status(),
      ...(engine.mqtt === undefined ? {} : { mqtt: engine.mqtt.status() }),
      ...(engine.kafka === undefined ? {} : { kafka: engine.kafka.status() }),
      streams: registry.list().map((stream) => {
        const stalledMs = this.#parts.frames.stalledMs(stream);
        return stalledMs === null ? stream.status() : { ...stream.status(), stalledMs };
      }),
      state: this.#parts.state.status(),
      startedAt: this.#startedAt.toISOString(),
    };
  }

  metrics(): MetricsSnapshot {
    const { engine, registry, metrics } = this.#parts;
    return {
      streams: registry.list().map((stream) => stream.counters()),
      inferences: metrics.inferences,
      inferenceErrors: metrics.inferenceErrors,
      inferenceLatency: metrics.latency(),
      redis: engine.redis.counters(),
      mqtt: engine.mqtt?.counters() ?? { ...NO_OUTPUT_COUNTERS },
      promptChanges: metrics.promptChanges,
    };
  }

  latestDetections(): FrameDetections[] {
    return this.#parts.registry.list().map((stream) => stream.latest()).filter((latest) => latest !== null);
  }

  streams(): StreamInfo[] {
    return this.#parts.registry.list().map((stream) => stream.info());
  }

  effectiveConfig(): OwlConfig {
    return this.#parts.config();
  }

  snapshot(): Buffer | null {
    return this.#parts.registry.list()[0]?.snapshot() ?? null;
  }
}
