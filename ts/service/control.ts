// SPDX-License-Identifier: Apache-2.0
// The running service as the REST API sees it (ControlService): requests become calls on the stream registry,
// the prompt control and the VST reconciliation; reads are snapshots of them, of the engine's Redis writer and
// of the metrics. Refusals are domain errors (errors.ts), which the API alone turns into HTTP answers. Stream
// requests that come while the service starts wait until its configured streams have started.
import { randomUUID } from 'node:crypto';
import type {
  ControlService, FrameDetections, MetricsSnapshot, NewStream, ServiceStatus, StreamInfo,
} from '../api/service';
import { classifyInput } from '../config/input-uri';
import { redactUrl } from '../config/redact';
import type { OwlConfig } from '../config/schema';
import { deriveSensorId } from '../config/sensor-id';
import type { Engine } from './engine';
import type { PromptSet } from '../model/prompts';
import { InvalidStreamInputError, StreamFailedError } from './errors';
import type { InferenceMetrics } from './inference-metrics';
import type { PromptControl } from './prompt-control';
import type { StreamRegistry } from './stream-registry';
import type { VstReconciler } from './vst-reconciler';

/** The parts the API's requests reach. */
export interface ServiceControlParts {
  engine: Pick<Engine, 'name' | 'limits' | 'redis'>;
  registry: StreamRegistry;
  prompts: PromptControl;
  vst: VstReconciler;
  metrics: InferenceMetrics;
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

  setPrompts(objects: string[], thresholds: number[]): Promise<PromptSet> {
    return this.#parts.prompts.set(objects, thresholds);
  }

  async setStreamPrompts(id: string, objects: string[], thresholds: number[]): Promise<PromptSet> {
    await this.#parts.started;
    return this.#parts.prompts.setForStream(id, objects, thresholds);
  }

  async addStream(stream: NewStream): Promise<StreamInfo> {
    const { started, registry, engine, config } = this.#parts;
    await started;
    const input = classifyInput(stream.uri);
    if (input === null) {
      throw new InvalidStreamInputError(`cannot read ${JSON.stringify(redactUrl(stream.uri))} as a video input`);
    }
    const added = registry.start({
      id: randomUUID(), name: '', description: stream.description, uri: stream.uri, input, mount: '', prompts: null,
      sensor: { id: deriveSensorId(input), type: '', location: '' }, origin: 'api',
    });
    try {
      await added.firstFrame(engine.limits.firstFrameMs(config().input.reconnect));
    } catch (err) {
      await registry.stop(added, `its first connection failed: ${(err as Error).message}`);
      // The same answer whatever went wrong (a closed port, an open port that is not RTSP, a timeout): the API
      // must not serve as a port scanner. The log line of the stop keeps the detail.
      throw new StreamFailedError(`Failed to add stream: no RTSP video at ${redactUrl(stream.uri)}`);
    }
    return added.info();
  }

  async removeStream(id: string): Promise<void> {
    const { started, registry, vst } = this.#parts;
    await started;
    const stream = registry.get(id);
    vst.dismiss(stream);
    await registry.stop(stream, 'removed through the API');
  }

  status(): ServiceStatus {
    const { engine, prompts, registry } = this.#parts;
    return {
      engine: engine.name,
      model: prompts.modelStatus(),
      redis: engine.redis.status(),
      streams: registry.list().map((stream) => stream.status()),
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
