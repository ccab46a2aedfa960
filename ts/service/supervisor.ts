// SPDX-License-Identifier: Apache-2.0
// The one owner of the service's lifecycle. Start order: the API first (so /health answers while the model
// loads), then the Redis publisher, the model, the RTSP server and the streams. Streams come and go while it
// runs (API, VST, SIGHUP) without touching the others; they share the model through the inference scheduler.
// Stop: intake first, then a bounded Redis flush, then the rest. Reload (SIGHUP) applies what can change
// without dropping the output.
//
// The engine (`engine`, auto resolved at start) decides which stream to construct: StreamRunner (portable) or
// DeepStreamStream, both behind ServiceStream. With DeepStream the model is the text encoder only (nvinfer runs
// the image encoder), nvmsgbroker writes Redis (no publisher here), and one stream runs per service: the
// generated pipeline has a single source and the bbox parser's prompts are process-wide.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { apiOptionsFrom, createApi } from '../api/app';
import { ApiError } from '../api/errors';
import type { ApiServer } from '../api/server';
import type {
  ControlService, FrameDetections, MetricsSnapshot, NewStream, ServiceStatus, StreamInfo,
} from '../api/service';
import { classifyInput } from '../config/input-uri';
import { parseOutputUrl } from '../config/output-url';
import { redactUrl } from '../config/redact';
import type { OwlConfig } from '../config/schema';
import { deriveSensorId } from '../config/sensor-id';
import { readDeviceModel, resolveEngine } from '../deepstream/engine';
import type { OwlDetector } from '../model/detector';
import type { PromptSet } from '../model/prompts';
import { addonPath, native } from '../native';
import { RtspServer } from '../pipeline';
import { RedisPublisher } from '../redis/publisher';
import type { VstStream } from '../vst/streams';
import { BrokerStatus } from './broker-status';
import { DeepStreamStream } from './deepstream-stream';
import { InferenceMetrics } from './inference-metrics';
import { InferenceScheduler } from './inference-scheduler';
import type { Logger } from './logger';
import type { ServiceStream } from './service-stream';
import { loadServiceModel, type ServiceModel } from './service-model';
import type { StreamBaseOptions } from './stream-base';
import { StreamRunner } from './stream-runner';
import { StreamSet } from './stream-set';
import { configuredStreams, sameSpec, type StreamSpec } from './stream-spec';
import { VstFollower } from './vst-follower';

/** Budget for flushing queued Redis entries at stop: the whole stop must end within 2 s. */
const STOP_FLUSH_MS = 1000;

/** Overlay settings a running portable pipeline takes (Pipeline.setOverlay); any other key needs a restart. */
const LIVE_OVERLAY_KEYS: ReadonlySet<string> = new Set(['lineWidth', 'fontSize', 'showScores']);

/** Runs the service for one configuration. */
export class Supervisor implements ControlService {
  #config: OwlConfig;
  readonly #log: Logger;
  readonly #metrics = new InferenceMetrics();
  readonly #startedAt = new Date();
  #engine: 'portable' | 'deepstream' = 'portable';
  #api: ApiServer | null = null;
  // Portable only: with DeepStream, nvmsgbroker writes Redis and #broker says how it fares.
  #publisher: RedisPublisher | null = null;
  #broker: BrokerStatus | null = null;
  #model: ServiceModel | null = null;
  #modelError: string | null = 'loading';
  #deviceModel: string | null = null;
  #rtsp: RtspServer | null = null;
  #scheduler: InferenceScheduler;
  #streams: StreamSet;
  #follower: VstFollower | null = null;
  // VST streams removed through the API: not added back while VST keeps listing them.
  readonly #vstDismissed = new Set<string>();
  // The last warning about VST streams left out (logged again only when it changes).
  #vstLeftOut = '';
  // Service-wide prompts in force; while the model is not loaded, requests still set what it will use once it is.
  #prompts: PromptSet;
  // Settles when start() has started the configured streams: stream requests that come earlier (the API answers
  // while the model loads) wait for it, since a pipeline started before the model has no inference branch.
  readonly #started: Promise<void>;
  #startDone: () => void = () => undefined;
  #stopping = false;

  constructor(config: OwlConfig, log: Logger) {
    this.#config = config;
    this.#log = log;
    this.#prompts = { objects: [...config.prompts.objects], thresholds: [...config.prompts.thresholds] };
    this.#scheduler = new InferenceScheduler(() => this.#detector(),
      { maxBatch: config.model.maxBatch, gatherMs: config.model.batchWindowMs });
    this.#streams = new StreamSet(null);
    this.#started = new Promise((resolve) => { this.#startDone = resolve; });
  }

  /**
   * Starts everything. Model problems are reported (status, /ready, log) but do not stop the video; an
   * API or RTSP port that cannot be bound does (the operator must pick another).
   * @returns the API's bound address.
   * @throws {ApiListenError | PipelineError | Error} for what the service cannot run without.
   */
  async start(): Promise<AddressInfo> {
    try {
      return await this.#start();
    } finally {
      this.#startDone();
    }
  }

  async #start(): Promise<AddressInfo> {
    const config = this.#config;
    this.#engine = resolveEngine(config.engine, native);
    this.#api = createApi(this, apiOptionsFrom(config));
    const address = await this.#api.listen(config.api.host, config.api.port);
    this.#log.info(`REST API on http://${config.api.host}:${address.port} (try GET /prompt, /health, /metrics)`);

    if (this.#engine === 'deepstream') {
      this.#broker = new BrokerStatus();
      this.#deviceModel = await readDeviceModel();
      this.#log.info(`engine deepstream (DeepStream at ${native.deepstreamDir}); Redis is written by nvmsgbroker`);
    } else {
      this.#publisher = new RedisPublisher({ ...config.redis, warn: (m) => this.#log.warn(m) });
    }
    await this.#loadModel();

    this.#streams = new StreamSet(this.#startOutput());
    for (const spec of configuredStreams(config)) {
      try {
        this.#startStream(spec);
      } catch (err) {
        this.#log.error(`stream ${spec.id || redactUrl(spec.uri)} not started: ${(err as Error).message}`);
      }
    }
    if (config.input.vst.follow) this.#followVst(config.input.uri);
    else if (this.#streams.size === 0) this.#log.info('no stream yet: add one with POST /api/v1/live-stream');
    return address;
  }

  /** Stops intake, flushes Redis (bounded), stops the model, the RTSP server and the API. Idempotent. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#follower?.stop();
    for (const runner of this.#streams.list()) runner.stop();
    this.#scheduler.close();
    await this.#publisher?.close({ flushMs: STOP_FLUSH_MS });
    await this.#model?.close();
    this.#model = null;
    this.#rtsp?.stop();
    this.#rtsp = null;
    await this.#api?.close();
  }

  /**
   * Applies a new configuration where it can change live: prompts, thresholds, the Redis target (portable), the
   * overlay style (portable: line width, label size, scores), the log level and the `streams:` list (streams
   * added, removed or changed; unchanged ones run on). Other changes are named in the log as needing a restart.
   */
  async reload(next: OwlConfig): Promise<void> {
    const previous = this.#config;
    this.#config = next;
    this.#log.setLevel(next.log.level);
    const restartOnly: string[] = [];
    if (JSON.stringify(next.redis) !== JSON.stringify(previous.redis)) {
      if (this.#publisher === null) {
        restartOnly.push('redis');  // nvmsgbroker's target is part of the running DeepStream pipeline
      } else {
        this.#publisher.retarget(next.redis.host, next.redis.port, next.redis.stream);
        this.#log.info(`Redis target now ${next.redis.host}:${next.redis.port} stream ${next.redis.stream}`);
      }
    }
    restartOnly.push(...this.#reloadOverlay(next.overlay, previous.overlay));
    const prompts = next.prompts;
    if (JSON.stringify(next.streams) !== JSON.stringify(previous.streams)) this.#reloadStreams(next);
    if (JSON.stringify([prompts.objects, prompts.thresholds])
      !== JSON.stringify([previous.prompts.objects, previous.prompts.thresholds])) {
      await this.setPrompts(prompts.objects, prompts.thresholds);
      // Unlike a prompt change through the API, the file still gives those streams prompts of their own.
      for (const runner of this.#streams.list()) {
        if (runner.spec.prompts !== null) await this.#applyOwnPrompts(runner, runner.spec.prompts);
      }
    }
    restartOnly.push(...(['input', 'output', 'engine', 'model', 'api', 'sensor'] as const)
      .filter((key) => JSON.stringify(next[key]) !== JSON.stringify(previous[key])));
    if (restartOnly.length > 0) this.#log.warn(`changes to ${restartOnly.join(', ')} take effect after a restart`);
  }

  // --- ControlService -------------------------------------------------------------------------------

  getPrompts(): PromptSet {
    return { objects: [...this.#prompts.objects], thresholds: [...this.#prompts.thresholds] };
  }

  async setPrompts(objects: string[], thresholds: number[]): Promise<PromptSet> {
    if (this.#model === null) {
      throw new ApiError(503, 'model_not_loaded', `the model is not loaded: ${this.#modelError ?? 'starting'}`);
    }
    const state = await this.#model.promptSets.set(objects, thresholds);
    const overridden = this.#streams.list().filter((runner) => runner.prompts !== null);
    const changed = overridden.length > 0 || JSON.stringify([state.objects, state.thresholds])
      !== JSON.stringify([this.#prompts.objects, this.#prompts.thresholds]);
    this.#prompts = { objects: state.objects, thresholds: state.thresholds };
    for (const runner of overridden) runner.prompts = null;
    if (changed) {
      this.#metrics.promptChanges++;
      this.#log.info(`prompts now ${describePrompts(this.#prompts)}`);
    }
    return this.getPrompts();
  }

  async setStreamPrompts(id: string, objects: string[], thresholds: number[]): Promise<PromptSet> {
    await this.#started;
    const runner = this.#stream(id);
    if (objects.length > 0 && this.#model === null) {
      throw new ApiError(503, 'model_not_loaded', `the model is not loaded: ${this.#modelError ?? 'starting'}`);
    }
    await this.#applyOwnPrompts(runner, { objects, thresholds });
    if (!this.#streams.has(runner)) throw unknownStream(id, this.#streams.list());
    this.#metrics.promptChanges++;
    this.#log.info(`prompts of stream ${runner.id} now `
      + `${objects.length === 0 ? 'none (no detection)' : describePrompts(runner.prompts!)}`);
    return { objects: [...runner.prompts!.objects], thresholds: [...runner.prompts!.thresholds] };
  }

  async addStream(stream: NewStream): Promise<StreamInfo> {
    await this.#started;
    const input = classifyInput(stream.uri);
    if (input === null) throw new ApiError(400, 'invalid_url', `cannot read ${JSON.stringify(redactUrl(stream.uri))} as a video input`);
    const runner = this.#startStream({
      id: randomUUID(), name: '', description: stream.description, uri: stream.uri, input, mount: '', prompts: null,
      sensor: { id: deriveSensorId(input), type: '', location: '' }, origin: 'api',
    });
    const { stallTimeoutMs } = this.#config.input.reconnect;
    // As long as the pipeline itself allows for a first frame, and a little more: twice the stall time, four
    // times with DeepStream (nvinfer loads its TensorRT engine while connecting).
    const firstFrameMs = (this.#engine === 'deepstream' ? 4 : 2) * stallTimeoutMs + 1000;
    try {
      await runner.firstFrame(firstFrameMs);
    } catch (err) {
      this.#stopStream(runner, 'its first connection failed');
      throw new ApiError(422, 'stream_failed', `Failed to add stream ${redactUrl(stream.uri)}: ${(err as Error).message}`);
    }
    return runner.info();
  }

  async removeStream(id: string): Promise<void> {
    await this.#started;
    const runner = this.#stream(id);
    if (runner.spec.vstStreamId !== undefined) this.#vstDismissed.add(runner.spec.vstStreamId);
    this.#stopStream(runner, 'removed through the API');
  }

  status(): ServiceStatus {
    return {
      engine: this.#engine,
      model: { loaded: this.#model !== null, error: this.#model === null ? this.#modelError : null,
        precision: this.#model?.precision ?? null },
      redis: this.#redisStatus(),
      streams: this.#streams.list().map((runner) => runner.status()),
      startedAt: this.#startedAt.toISOString(),
    };
  }

  metrics(): MetricsSnapshot {
    const redis = this.#publisher?.status();
    return {
      streams: this.#streams.list().map((runner) => runner.counters()),
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
    return this.#streams.list().map((runner) => runner.latest()).filter((latest) => latest !== null);
  }

  streams(): StreamInfo[] {
    return this.#streams.list().map((runner) => runner.info());
  }

  effectiveConfig(): OwlConfig {
    return this.#config;
  }

  snapshot(): Buffer | null {
    return this.#streams.list()[0]?.snapshot() ?? null;
  }

  // --- streams ----------------------------------------------------------------------------------------

  /**
   * Starts one stream (in the background: connecting, VST discovery) and returns it.
   * @throws {ApiError} 422 `too_many_streams` when input.maxStreams are running (with engine deepstream: when one
   *   is), 503 `stopping`.
   */
  #startStream(spec: StreamSpec): ServiceStream {
    const config = this.#config;
    const streams = this.#streams;
    if (this.#stopping) throw new ApiError(503, 'stopping', 'the service is stopping');
    if (this.#engine === 'deepstream' && streams.size >= 1) {
      throw new ApiError(422, 'too_many_streams', `engine deepstream runs one stream per service (its pipeline has `
        + `a single source) and ${streams.list()[0].id || 'one'} is running: remove it first `
        + '(DELETE /api/v1/live-stream/<id>), or run another service or --engine portable for more cameras');
    }
    if (streams.size >= config.input.maxStreams) {
      throw new ApiError(422, 'too_many_streams', `Stream maximum reached: ${streams.size} streams are running and `
        + `input.maxStreams is ${config.input.maxStreams}; remove one first (DELETE /api/v1/live-stream/<id>)`);
    }
    const id = streams.uniqueId(spec.id !== '' ? spec.id : deriveSensorId(spec.input));
    const mount = this.#rtsp === null ? null : streams.mountFor(spec, id);
    const outputUrl = mount === null ? null : this.#rtsp!.url(mount);
    const runner = this.#newStream({
      key: streams.newKey(), spec, id, config,
      output: mount === null ? null : { server: this.#rtsp!, mount }, outputUrl,
      log: this.#log.child(id === '' ? 'stream' : id),
    });
    streams.add(runner);
    if (spec.origin !== 'input') this.#log.info(`stream ${id || spec.uri} added (${spec.origin}): ${redactUrl(spec.uri)}`);
    if (outputUrl !== null) this.#log.info(`annotated video on ${outputUrl}`);
    // Its own prompts first, so that no frame of it is decoded with the service-wide ones. VST discovery may
    // then wait for VST; the service is up meanwhile.
    const prompted = spec.prompts === null ? Promise.resolve() : this.#applyOwnPrompts(runner, spec.prompts)
      .catch((err: Error) => this.#log.error(`prompts of stream ${runner.id || spec.uri}: ${err.message}`));
    prompted.then(() => (this.#streams.has(runner) ? runner.start() : undefined))
      .catch((err: Error) => this.#log.error(`stream failed: ${err.message}`));
    return runner;
  }

  /** The engine's stream: the only place the engines part. */
  #newStream(base: StreamBaseOptions): ServiceStream {
    if (this.#engine === 'deepstream') {
      const model = () => (this.#model?.engine === 'deepstream' ? this.#model : null);
      return new DeepStreamStream({ ...base, model, binding: native, addonDir: path.dirname(addonPath),
        deviceModel: this.#deviceModel, metrics: this.#metrics, broker: this.#broker! });
    }
    this.#scheduler.add(base.key);
    return new StreamRunner({ ...base, detector: () => this.#detector(), scheduler: this.#scheduler,
      publisher: this.#publisher!, metrics: this.#metrics });
  }

  /** The portable engine's detector, or null (not loaded, or engine deepstream). */
  #detector(): OwlDetector | null {
    return this.#model?.engine === 'portable' ? this.#model.detector : null;
  }

  #stopStream(runner: ServiceStream, reason: string): void {
    runner.stop(reason);
    this.#streams.remove(runner);
    void this.#model?.promptSets.drop(runner.ownPromptSet);
    this.#log.info(`stream ${runner.id || runner.spec.uri} removed (${reason})`);
  }

  /** Gives a stream prompts of its own once the detector has them (empty lists: no detection on it). */
  async #applyOwnPrompts(runner: ServiceStream, prompts: PromptSet): Promise<void> {
    if (prompts.objects.length > 0 && this.#model !== null) {
      const state = await this.#model.promptSets.set(prompts.objects, prompts.thresholds, runner.ownPromptSet);
      runner.prompts = { objects: state.objects, thresholds: state.thresholds };
    } else {
      runner.prompts = { objects: [...prompts.objects], thresholds: [...prompts.thresholds] };
    }
    if (!this.#streams.has(runner)) void this.#model?.promptSets.drop(runner.ownPromptSet);
  }

  #stream(id: string): ServiceStream {
    const runner = this.#streams.find(id);
    if (runner === undefined) throw unknownStream(id, this.#streams.list());
    return runner;
  }

  // `streams:` changed: entries no longer wanted stop, new or changed ones start, the rest run on.
  #reloadStreams(next: OwlConfig): void {
    const wanted = configuredStreams(next).filter((spec) => spec.origin === 'config');
    const running = this.#streams.list().filter((runner) => runner.spec.origin === 'config');
    for (const runner of running) {
      if (!wanted.some((spec) => sameSpec(spec, runner.spec))) this.#stopStream(runner, 'no longer configured');
    }
    for (const spec of wanted) {
      if (running.some((runner) => sameSpec(spec, runner.spec))) continue;
      try {
        this.#startStream(spec);
      } catch (err) {
        this.#log.error(`stream ${spec.id || spec.uri} not started: ${(err as Error).message}`);
      }
    }
  }

  #followVst(base: string): void {
    const { pollMs, timeoutMs } = this.#config.input.vst;
    this.#log.info(`following the streams of VST at ${redactUrl(base)} (every ${pollMs} ms)`);
    this.#follower = new VstFollower({ base, pollMs, timeoutMs, log: this.#log.child('vst'),
      onStreams: async (found) => this.#matchVst(found) });
    this.#follower.start();
  }

  // Adds VST's new streams and removes the ones it no longer lists; those removed through the API stay away.
  #matchVst(found: VstStream[]): void {
    const listed = new Set(found.map((stream) => stream.streamId));
    for (const id of this.#vstDismissed) if (!listed.has(id)) this.#vstDismissed.delete(id);
    const following = this.#streams.list().filter((runner) => runner.spec.origin === 'vst');
    for (const runner of following) {
      if (!listed.has(runner.spec.vstStreamId!)) this.#stopStream(runner, 'no longer listed by VST');
    }
    const missing = found.filter((stream) => !this.#vstDismissed.has(stream.streamId)
      && !following.some((runner) => runner.spec.vstStreamId === stream.streamId));
    const leftOut: string[] = [];
    let reason = '';
    for (const stream of missing) {
      try {
        const input = classifyInput(stream.url);
        if (input === null) throw new Error(`cannot read ${JSON.stringify(redactUrl(stream.url))} as an RTSP URL`);
        this.#startStream({
          id: stream.streamId, name: stream.name, description: '', uri: stream.url, input, mount: '', prompts: null,
          sensor: { id: stream.sensorId, type: '', location: '' }, origin: 'vst', vstStreamId: stream.streamId,
        });
      } catch (err) {
        leftOut.push(`"${stream.name}" (${stream.streamId})`);
        reason = (err as Error).message;
      }
    }
    const warning = leftOut.length === 0 ? '' : `VST streams not added: ${leftOut.join(', ')}: ${reason}`;
    if (warning !== '' && warning !== this.#vstLeftOut) this.#log.warn(warning);
    this.#vstLeftOut = warning;
  }

  // --- start-up steps -------------------------------------------------------------------------------

  async #loadModel(): Promise<void> {
    const { model } = this.#config;
    try {
      const loaded = await loadServiceModel(this.#engine, this.#config);
      await loaded.promptSets.set(this.#prompts.objects, this.#prompts.thresholds);
      this.#model = loaded;
      this.#modelError = null;
      this.#log.info(`model ${model.folder} loaded (input ${loaded.inputSize}px`
        + `${loaded.engine === 'deepstream' ? `, TensorRT engine ${loaded.deepstream.engineFile}` : ''}); `
        + `image encoder ${loaded.precision.running}: ${loaded.precision.reason}; prompts ${describePrompts(this.#prompts)}`);
      if (loaded.precision.warning !== null) this.#log.warn(`model.precision: ${loaded.precision.warning}`);
    } catch (err) {
      this.#modelError = (err as Error).message;
      this.#log.error(`model not loaded, ${this.#engine === 'deepstream' ? 'no stream can start (nvinfer needs it)'
        : 'video runs without detection'}: ${this.#modelError}`);
    }
  }

  /** Redis as this process writes it (portable), or as the DeepStream pipeline reports nvmsgbroker. */
  #redisStatus(): ServiceStatus['redis'] {
    if (this.#broker !== null) return { ...this.#broker.status(), writer: 'nvmsgbroker' };
    const redis = this.#publisher?.status();
    return {
      state: redis === undefined || redis.state === 'closed' ? 'down' : redis.state,
      error: redis?.lastError ?? null,
      writer: 'service',
    };
  }

  /**
   * Applies the overlay keys a running pipeline takes to every stream (each engine decides what it draws).
   * @returns the changed keys that need a restart.
   */
  #reloadOverlay(next: OwlConfig['overlay'], previous: OwlConfig['overlay']): string[] {
    const changed = (Object.keys(next) as (keyof typeof next)[])
      .filter((key) => JSON.stringify(next[key]) !== JSON.stringify(previous[key]));
    if (changed.some((key) => LIVE_OVERLAY_KEYS.has(key))) {
      for (const runner of this.#streams.list()) {
        try {
          runner.setOverlay(next);
        } catch (err) {
          this.#log.error(`overlay of stream ${runner.id}: ${(err as Error).message}`);
        }
      }
      if (this.#engine === 'portable') {
        this.#log.info(`overlay now line width ${next.lineWidth}, font size ${next.fontSize}, `
          + `scores ${next.showScores ? 'shown' : 'hidden'}`);
      }
    }
    return changed.filter((key) => !LIVE_OVERLAY_KEYS.has(key)).map((key) => `overlay.${key}`);
  }

  /** Starts the RTSP server all streams mount on; returns the base mount, or null when output is off. */
  #startOutput(): string | null {
    const { output } = this.#config;
    if (!output.enabled) return null;
    const address = parseOutputUrl(output.url);
    if (address === null) throw new Error(`output.url: cannot read "${output.url}" as rtsp://host:port/mount`);
    this.#rtsp = RtspServer.start({ host: address.host, port: address.port });
    return address.mount;
  }
}

function describePrompts(prompts: PromptSet): string {
  return prompts.objects.map((o, i) => `"${o}" > ${prompts.thresholds[i]}`).join(', ');
}

function unknownStream(id: string, running: ServiceStream[]): ApiError {
  const ids = running.map((runner) => runner.id).filter((known) => known !== '');
  return new ApiError(422, 'unknown_stream', `Stream ID ${JSON.stringify(id.slice(0, 100))} does not exist; `
    + `${ids.length === 0 ? 'no stream is running' : `running: ${ids.join(', ')}`} (GET /api/v1/live-stream lists them)`);
}
