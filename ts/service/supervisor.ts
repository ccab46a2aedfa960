// SPDX-License-Identifier: Apache-2.0
// The one owner of the service's lifecycle. Start order: the API first (so /health answers while the model
// loads), then the Redis publisher, the model, the RTSP server and the stream. Stop: intake first, then a
// bounded Redis flush, then the rest. Reload (SIGHUP) applies what can change without dropping the output.
import type { AddressInfo } from 'node:net';

import { apiOptionsFrom, createApi } from '../api/app';
import { ApiError } from '../api/errors';
import type { ApiServer } from '../api/server';
import type {
  ControlService, FrameDetections, MetricsSnapshot, ServiceStatus, StreamInfo,
} from '../api/service';
import { classifyInput } from '../config/input-uri';
import { resolveEngine } from '../deepstream/engine';
import { parseOutputUrl } from '../config/output-url';
import type { OwlConfig } from '../config/schema';
import { deriveSensorId } from '../config/sensor-id';
import { OwlDetector } from '../model/detector';
import { native } from '../native';
import type { PromptSet } from '../model/prompts';
import { RtspServer } from '../pipeline';
import { RedisPublisher } from '../redis/publisher';
import { InferenceMetrics } from './inference-metrics';
import type { Logger } from './logger';
import { StreamRunner } from './stream-runner';

/** Budget for flushing queued Redis entries at stop: the whole stop must end within 2 s. */
const STOP_FLUSH_MS = 1000;

/** Runs the service for one configuration. */
export class Supervisor implements ControlService {
  #config: OwlConfig;
  readonly #log: Logger;
  readonly #metrics = new InferenceMetrics();
  readonly #startedAt = new Date();
  #engine: 'portable' | 'deepstream' = 'portable';
  #api: ApiServer | null = null;
  #publisher: RedisPublisher | null = null;
  #detector: OwlDetector | null = null;
  #modelError: string | null = 'loading';
  #rtsp: RtspServer | null = null;
  #stream: StreamRunner | null = null;
  // Prompts in force; while the model is not loaded, requests still set what it will use once it is.
  #prompts: PromptSet;

  constructor(config: OwlConfig, log: Logger) {
    this.#config = config;
    this.#log = log;
    this.#prompts = { objects: [...config.prompts.objects], thresholds: [...config.prompts.thresholds] };
  }

  /**
   * Starts everything. Model problems are reported (status, /ready, log) but do not stop the video; an
   * API or RTSP port that cannot be bound does (the operator must pick another).
   * @returns the API's bound address.
   * @throws {ApiListenError | PipelineError | Error} for what the service cannot run without.
   */
  async start(): Promise<AddressInfo> {
    const config = this.#config;
    this.#engine = resolveEngine(config.engine, native);
    this.#api = createApi(this, apiOptionsFrom(config));
    const address = await this.#api.listen(config.api.host, config.api.port);
    this.#log.info(`REST API on http://${config.api.host}:${address.port} (try GET /prompt, /health, /metrics)`);

    this.#publisher = new RedisPublisher({ ...config.redis, warn: (m) => this.#log.warn(m) });
    await this.#loadModel();

    const input = classifyInput(config.input.uri);
    if (input === null) throw new Error(`input.uri: cannot read "${config.input.uri}" as a video input`);
    const output = this.#startOutput();
    const sensorId = config.sensor.id !== '' ? config.sensor.id : deriveSensorId(input);
    const mount = output === null ? null : { server: output.server, mount: output.mount };
    this.#stream = new StreamRunner({
      sensorId, input, inputUri: config.input.uri, config, output: mount, outputUrl: output?.url ?? null,
      detector: () => this.#detector, publisher: this.#publisher, metrics: this.#metrics,
      log: this.#log.child(sensorId === '' ? 'stream' : sensorId),
    });
    // VST discovery may wait for VST; the service is up meanwhile.
    this.#stream.start().catch((err: Error) => this.#log.error(`stream failed: ${err.message}`));
    return address;
  }

  /** Stops intake, flushes Redis (bounded), stops the model, the RTSP server and the API. Idempotent. */
  async stop(): Promise<void> {
    this.#stream?.stop();
    await this.#publisher?.close({ flushMs: STOP_FLUSH_MS });
    await this.#detector?.close();
    this.#detector = null;
    this.#rtsp?.stop();
    this.#rtsp = null;
    await this.#api?.close();
  }

  /**
   * Applies a new configuration where it can change live: prompts, thresholds, the Redis target and the
   * log level. Other changes are named in the log as needing a restart.
   */
  async reload(next: OwlConfig): Promise<void> {
    const previous = this.#config;
    this.#config = next;
    this.#log.setLevel(next.log.level);
    if (JSON.stringify(next.redis) !== JSON.stringify(previous.redis)) {
      this.#publisher?.retarget(next.redis.host, next.redis.port, next.redis.stream);
      this.#log.info(`Redis target now ${next.redis.host}:${next.redis.port} stream ${next.redis.stream}`);
    }
    const prompts = next.prompts;
    if (JSON.stringify([prompts.objects, prompts.thresholds])
      !== JSON.stringify([previous.prompts.objects, previous.prompts.thresholds])) {
      await this.setPrompts(prompts.objects, prompts.thresholds);
    }
    const restartOnly = (['input', 'output', 'engine', 'model', 'api', 'sensor', 'overlay'] as const)
      .filter((key) => JSON.stringify(next[key]) !== JSON.stringify(previous[key]));
    if (restartOnly.length > 0) this.#log.warn(`changes to ${restartOnly.join(', ')} take effect after a restart`);
  }

  // --- ControlService -------------------------------------------------------------------------------

  getPrompts(): PromptSet {
    return { objects: [...this.#prompts.objects], thresholds: [...this.#prompts.thresholds] };
  }

  async setPrompts(objects: string[], thresholds: number[]): Promise<PromptSet> {
    if (this.#detector === null) {
      throw new ApiError(503, 'model_not_loaded', `the model is not loaded: ${this.#modelError ?? 'starting'}`);
    }
    const state = await this.#detector.setPrompts(objects, thresholds);
    const changed = JSON.stringify([state.objects, state.thresholds])
      !== JSON.stringify([this.#prompts.objects, this.#prompts.thresholds]);
    this.#prompts = { objects: state.objects, thresholds: state.thresholds };
    if (changed) {
      this.#metrics.promptChanges++;
      this.#log.info(`prompts now ${describePrompts(this.#prompts)}`);
    }
    return this.getPrompts();
  }

  status(): ServiceStatus {
    const redis = this.#publisher?.status();
    return {
      engine: this.#engine,
      model: { loaded: this.#detector !== null, error: this.#detector === null ? this.#modelError : null },
      redis: {
        state: redis === undefined || redis.state === 'closed' ? 'down' : redis.state,
        error: redis?.lastError ?? null,
      },
      streams: this.#stream === null ? [] : [this.#stream.status()],
      startedAt: this.#startedAt.toISOString(),
    };
  }

  metrics(): MetricsSnapshot {
    const redis = this.#publisher?.status();
    return {
      streams: this.#stream === null ? [] : [this.#stream.counters()],
      inferences: this.#metrics.inferences,
      inferenceErrors: this.#metrics.inferenceErrors,
      inferenceLatency: this.#metrics.latency(),
      redis: {
        written: redis?.sent ?? 0,
        queueDepth: redis?.queued ?? 0,
        dropped: redis?.dropped ?? 0,
        errors: redis?.rejected ?? 0,
      },
      promptChanges: this.#metrics.promptChanges,
    };
  }

  latestDetections(): FrameDetections[] {
    const latest = this.#stream?.latest();
    return latest === null || latest === undefined ? [] : [latest];
  }

  streams(): StreamInfo[] {
    return this.#stream === null ? [] : [this.#stream.info()];
  }

  effectiveConfig(): OwlConfig {
    return this.#config;
  }

  snapshot(): Buffer | null {
    return this.#stream?.snapshot() ?? null;
  }

  // --- start-up steps -------------------------------------------------------------------------------

  async #loadModel(): Promise<void> {
    const { model } = this.#config;
    try {
      const detector = await OwlDetector.load(model.folder, {
        threads: model.threads, nmsIou: model.nmsIou, maxDetections: model.maxDetections,
        textCacheSize: model.textCacheSize,
        promptLimits: { maxPrompts: this.#config.prompts.maxPrompts, maxPromptLength: this.#config.prompts.maxPromptLength },
      });
      await detector.setPrompts(this.#prompts.objects, this.#prompts.thresholds);
      this.#detector = detector;
      this.#modelError = null;
      this.#log.info(`model ${model.folder} loaded (input ${detector.inputSize}px); prompts ${describePrompts(this.#prompts)}`);
    } catch (err) {
      this.#modelError = (err as Error).message;
      this.#log.error(`model not loaded, video runs without detection: ${this.#modelError}`);
    }
  }

  #startOutput(): { server: RtspServer; mount: string; url: string } | null {
    const { output } = this.#config;
    if (!output.enabled) return null;
    const address = parseOutputUrl(output.url);
    if (address === null) throw new Error(`output.url: cannot read "${output.url}" as rtsp://host:port/mount`);
    this.#rtsp = RtspServer.start({ host: address.host, port: address.port });
    const url = this.#rtsp.url(address.mount);
    this.#log.info(`annotated video on ${url}`);
    return { server: this.#rtsp, mount: address.mount, url };
  }
}

function describePrompts(prompts: PromptSet): string {
  return prompts.objects.map((o, i) => `"${o}" > ${prompts.thresholds[i]}`).join(', ');
}
