// SPDX-License-Identifier: Apache-2.0
// The composition root: builds the service's parts for one configuration, wires them, and brings them up and
// down in order. The engine is chosen here, once (resolveEngine); everything after that goes through the Engine
// interface (ts/engines/engine.ts), so no other part of the service asks which engine runs.
//   ServiceControl (control.ts)      what the REST API calls
//   StreamRegistry (stream-registry.ts)  the streams: start, stop, ids, mounts, limits
//   PromptControl (prompt-control.ts)    the prompts in force and the model's prompt sets
//   ModelLoader (model-loader.ts)        the engine's model: loaded at start, again on SIGHUP when it changed
//   VstReconciler (vst-reconciler.ts)    input.vst.follow
//   planReload / executeReload (reload-plan.ts, reload-executor.ts)  SIGHUP
// Start: the API first (so /health answers while the model loads; a warning when anyone may reach it without a
// token), then the model, the RTSP server (with the output's credentials), the configured streams and VST. Stop: intake first (VST, then every stream, in parallel within a deadline), then the
// engine (a bounded Redis flush, the model), the RTSP server and the API.
import type { AddressInfo } from 'node:net';

import { apiOptionsFrom, createApi } from '../api/app';
import { exposureWarning } from '../api/exposure';
import type { ApiServer } from '../api/server';
import { parseOutputUrl } from '../config/output-url';
import { redactUrl } from '../config/redact';
import type { OwlConfig } from '../config/schema';
import { resolveEngine } from '../deepstream/engine';
import { DeepStreamEngine } from '../engines/deepstream';
import type { Engine, EngineContext, EngineName } from './engine';
import { PortableEngine } from '../engines/portable';
import type { PromptLimits } from '../model/prompts';
import { native, type NativeBinding } from '../native';
import { RtspServer } from '../pipeline';
import { ServiceControl } from './control';
import { InferenceMetrics } from './inference-metrics';
import type { Logger } from './logger';
import { ModelLoader } from './model-loader';
import { PromptControl } from './prompt-control';
import { executeReload, reloadTraits } from './reload-executor';
import { planReload } from './reload-plan';
import { configuredStreams } from './stream-spec';
import { StreamRegistry } from './stream-registry';
import { VstReconciler } from './vst-reconciler';

/** The engines, by the name resolveEngine gives. */
const ENGINES: Record<EngineName, new (context: EngineContext) => Engine> = {
  portable: PortableEngine,
  deepstream: DeepStreamEngine,
};

/** How long stopping the service waits for its streams' pipelines: the whole stop must end within 2 s. */
const STOP_STREAMS_MS = 800;

/** Runs the service for one configuration. */
export class Supervisor {
  #config: OwlConfig;
  readonly #log: Logger;
  readonly #engine: Engine;
  // The limits in force, shared by the API, the model's prompt sets and reloads (which update it in place).
  readonly #promptLimits: PromptLimits;
  readonly #registry: StreamRegistry;
  readonly #prompts: PromptControl;
  readonly #model: ModelLoader;
  readonly #vst: VstReconciler;
  readonly #api: ApiServer;
  #rtsp: RtspServer | null = null;
  // Settles when start() has started the configured streams: stream requests that come earlier (the API answers
  // while the model loads) wait for it, since a pipeline started before the model has no inference branch.
  readonly #started: Promise<void>;
  #startDone: () => void = () => undefined;

  /**
   * Builds and wires the parts; nothing runs until start(), but the engine's Redis writer starts connecting.
   * @param binding the loaded addon (a stand-in in tests).
   * @throws {DeepStreamUnavailableError} for engine deepstream in a build without it.
   */
  constructor(config: OwlConfig, log: Logger, binding: NativeBinding = native) {
    this.#config = config;
    this.#log = log;
    this.#started = new Promise((resolve) => { this.#startDone = resolve; });
    const metrics = new InferenceMetrics();
    this.#promptLimits = { maxPrompts: config.prompts.maxPrompts, maxPromptLength: config.prompts.maxPromptLength };
    const engine = new ENGINES[resolveEngine(config.engine, binding)](
      { config, log, metrics, promptLimits: this.#promptLimits, binding });
    this.#engine = engine;
    this.#registry = new StreamRegistry({ engine, config: () => this.#config, log,
      hooks: { prepare: (stream) => this.#prompts.prepare(stream), released: (stream) => this.#prompts.released(stream) } });
    this.#prompts = new PromptControl({ initial: config.prompts, streams: this.#registry, metrics, log });
    this.#model = new ModelLoader({ engine, prompts: this.#prompts, streams: this.#registry, log });
    this.#vst = new VstReconciler(this.#registry, log);
    const control = new ServiceControl({ engine, registry: this.#registry, prompts: this.#prompts, vst: this.#vst,
      metrics, config: () => this.#config, started: this.#started });
    this.#api = createApi(control, { ...apiOptionsFrom(config), promptLimits: this.#promptLimits });
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
    const address = await this.#api.listen(config.api.host, config.api.port);
    this.#log.info(`REST API on http://${config.api.host}:${address.port} (try GET /prompt, /health, /metrics)`);
    const exposure = exposureWarning(config);
    if (exposure !== null) this.#log.warn(exposure);
    await this.#model.load(config.model);
    this.#startOutput();
    for (const spec of configuredStreams(config)) {
      try {
        this.#registry.start(spec);
      } catch (err) {
        this.#log.error(`stream ${spec.id || redactUrl(spec.uri)} not started: ${(err as Error).message}`);
      }
    }
    const { vst } = config.input;
    if (vst.follow) this.#vst.follow(config.input.uri, { pollMs: vst.pollMs, timeoutMs: vst.timeoutMs });
    else if (this.#registry.size === 0) this.#log.info('no stream yet: add one with POST /api/v1/live-stream');
    return address;
  }

  /** Stops intake, flushes Redis (bounded), stops the model, the RTSP server and the API. Idempotent. */
  async stop(): Promise<void> {
    await this.#vst.stop();
    await this.#registry.stopAll('service stopping', STOP_STREAMS_MS);
    await this.#engine.close();
    this.#rtsp?.stop();
    this.#rtsp = null;
    await this.#api.close();
  }

  /**
   * Applies a new configuration where it can change live (reload-plan.ts: prompts and their limits, the Redis
   * writer's settings, the overlay style, the log level, the `streams:` list and, where the engine takes it live, a
   * model whose settings or files changed; what the engine cannot take live and every other section are named in
   * the log as needing a restart). Waits for start() first.
   * @throws what applying the new prompts throws (the other changes are applied).
   */
  async reload(next: OwlConfig): Promise<void> {
    await this.#started;
    const previous = this.#config;
    this.#config = next;
    const facts = { modelFiles: await this.#model.filesChanged(next.model) };
    await executeReload(planReload(previous, next, reloadTraits(this.#engine), facts), { engine: this.#engine,
      registry: this.#registry, model: this.#model, prompts: this.#prompts, promptLimits: this.#promptLimits,
      log: this.#log });
  }

  /** Starts the RTSP server every stream mounts on (viewers give output.auth's credentials, if set), unless off. */
  #startOutput(): void {
    const { output } = this.#config;
    if (!output.enabled) return;
    const address = parseOutputUrl(output.url);
    if (address === null) throw new Error(`output.url: cannot read "${output.url}" as rtsp://host:port/mount`);
    this.#rtsp = RtspServer.start({ host: address.host, port: address.port,
      auth: output.auth.user !== '' ? output.auth : null });
    this.#registry.serveOn(this.#rtsp, address.mount);
  }
}
