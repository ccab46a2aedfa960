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
//   RuntimeStateStore (ts/state/)        what the API changed, kept across restarts
// Start: the API first (so /health answers while the model loads; a warning when anyone may reach it without a
// token), then the kept state, the model (with the kept prompts, else the configured ones), the RTSP server (with
// the output's credentials), the configured streams, the streams added through the API before, and VST. Stop:
// intake first (VST, then every stream, in parallel within a deadline), then the engine (a bounded Redis flush, the
// model), the RTSP server, the API and the last state write.
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
import { FrameWatch } from './frame-watch';
import { InferenceMetrics } from './inference-metrics';
import type { Logger } from './logger';
import { ModelLoader } from './model-loader';
import { describePrompts, PromptControl } from './prompt-control';
import { executeReload, reloadTraits } from './reload-executor';
import { planReload } from './reload-plan';
import { RuntimeStateStore } from '../state/state-store';
import { apiStreamSpec, configuredStreams, type StreamSpec } from './stream-spec';
import { StreamRegistry } from './stream-registry';
import { VstReconciler } from './vst-reconciler';
import { VstOutputRegistration } from '../vst/output-registration';
import { VstSensors } from '../vst/sensors';

/** The engines, by the name resolveEngine gives. */
const ENGINES: Record<EngineName, new (context: EngineContext) => Engine> = {
  portable: PortableEngine,
  deepstream: DeepStreamEngine,
};

/** How long stopping the service waits for its streams' pipelines: the whole stop must end within 2 s. */
const STOP_STREAMS_MS = 800;
/** How long stopping waits for VST to remove the registered outputs (within the same 2 s). */
const STOP_VST_MS = 400;

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
  readonly #state: RuntimeStateStore;
  readonly #frames: FrameWatch;
  readonly #outputs: VstOutputRegistration | null;
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
    this.#outputs = outputRegistration(config, log);
    this.#registry = new StreamRegistry({ engine, config: () => this.#config, log, hooks: {
      prepare: (stream) => this.#prompts.prepare(stream),
      released: (stream) => {
        this.#prompts.released(stream);
        this.#outputs?.unregister(stream);
      },
      served: (stream) => this.#outputs?.register({ key: stream.key, id: stream.id,
        outputUrl: stream.info().outputUrl, location: stream.info().location }),
    } });
    this.#state = new RuntimeStateStore(config.state.dir, log.child('state'));
    this.#prompts = new PromptControl({ initial: config.prompts, streams: this.#registry, metrics, log,
      restored: (id) => this.#state.streamPrompts(id) });
    this.#model = new ModelLoader({ engine, prompts: this.#prompts, streams: this.#registry, log });
    this.#vst = new VstReconciler(this.#registry, log);
    this.#frames = new FrameWatch(() => this.#registry.list(), () => this.#config.input.reconnect.stallTimeoutMs);
    const control = new ServiceControl({ engine, registry: this.#registry, prompts: this.#prompts, vst: this.#vst,
      metrics, state: this.#state, frames: this.#frames, config: () => this.#config, started: this.#started });
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
    await this.#restoreState();
    await this.#model.load(config.model);
    this.#startOutput();
    for (const spec of [...configuredStreams(config), ...this.#keptStreams()]) this.#startStream(spec);
    this.#frames.start();
    const { vst } = config.input;
    if (vst.follow) this.#vst.follow(config.input.uri, { pollMs: vst.pollMs, timeoutMs: vst.timeoutMs });
    else if (this.#registry.size === 0) this.#log.info('no stream yet: add one with POST /api/v1/live-stream');
    return address;
  }

  /** Stops intake, flushes Redis (bounded), stops the model, the RTSP server and the API. Idempotent. */
  async stop(): Promise<void> {
    this.#frames.stop();
    await this.#vst.stop();
    await this.#registry.stopAll('service stopping', STOP_STREAMS_MS);
    if (this.#outputs !== null) await within(this.#outputs.settled(), STOP_VST_MS);
    await this.#engine.close();
    this.#rtsp?.stop();
    this.#rtsp = null;
    await this.#api.close();
    await this.#state.flush();
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
    const plan = planReload(previous, next, reloadTraits(this.#engine), facts);
    await executeReload(plan, { engine: this.#engine,
      registry: this.#registry, model: this.#model, prompts: this.#prompts, promptLimits: this.#promptLimits,
      log: this.#log });
    // The file's new prompts are the newest word: they replace those kept from the API, at the next start too.
    if (plan.some((action) => action.kind === 'prompts')) await this.#state.clearPrompts();
  }

  /** Reads the kept state; its service-wide prompts replace the configured ones before the model encodes them. */
  async #restoreState(): Promise<void> {
    await this.#state.load(this.#promptLimits);
    const { prompts, streams, streamPrompts } = this.#state.state;
    if (prompts !== null) {
      this.#prompts.restore(prompts);
      this.#log.info(`prompts ${describePrompts(prompts)} restored (set through the API before; DELETE /prompt `
        + 'goes back to the configuration\'s)');
    }
    const own = Object.keys(streamPrompts).length;
    if (streams.length + own > 0) {
      this.#log.info(`restoring ${streams.length} stream(s) added and ${own} stream prompt list(s) set through the API`);
    }
  }

  /** The streams added through the API before, as kept. */
  #keptStreams(): StreamSpec[] {
    return this.#state.state.streams.flatMap((kept) => apiStreamSpec(kept.id, kept.uri, kept.description) ?? []);
  }

  #startStream(spec: StreamSpec): void {
    try {
      this.#registry.start(spec);
    } catch (err) {
      this.#log.error(`stream ${spec.id || redactUrl(spec.uri)} not started: ${(err as Error).message}`);
    }
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

/** The registration of outputs with VST (vst.registerOutput), or null when off. */
function outputRegistration(config: OwlConfig, log: Logger): VstOutputRegistration | null {
  const { vst } = config;
  if (!vst.registerOutput) return null;
  const base = vst.url !== '' ? vst.url : config.input.uri;  // the schema made sure one is a VST address
  return new VstOutputRegistration(new VstSensors(base, vst.timeoutMs), vst.outputHost, log.child('vst'));
}

/** Waits for `promise` at most `ms` (its outcome is its own business). */
async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => { timer = setTimeout(resolve, ms); })]);
  clearTimeout(timer);
}
