// SPDX-License-Identifier: Apache-2.0
// What every engine's stream does the same way: resolve the input (asking VST when needed), track its state and
// first frame, describe itself to the API, and number the objects it detects where no tracker gives them ids. The
// engine's part (its pipeline, how frames reach the model) is the subclass's: StreamRunner (portable) and
// DeepStreamStream (ts/engines/).
import { setTimeout as sleep } from 'node:timers/promises';
import type { FrameDetections, StreamCounters, StreamInfo, StreamState, StreamStatus } from '../api/service';
import type { OwlConfig } from '../config/schema';
import { DEFAULT_PROMPT_SET } from '../model/prompt-sets';
import type { PromptSet } from '../model/prompts';
import type { RtspMount } from '../pipeline';
import { discoverVstStream } from '../vst/discover';
import type { Logger } from './logger';
import type { ServiceStream } from './service-stream';
import type { StreamSpec } from './stream-spec';

/** What every stream needs from the service around it. */
export interface StreamBaseOptions {
  /** Internal key, unique for the service's life: names the stream in the scheduler and its prompt set. */
  key: string;
  /** The stream as requested. */
  spec: StreamSpec;
  /** Its id, made unique among the running streams ('' only for a VST input, until discovery names it). */
  id: string;
  config: OwlConfig;
  /** Where the annotated video is served, or null (headless). */
  output: RtspMount | null;
  /** Public URL of the output, for /streams. */
  outputUrl: string | null;
  log: Logger;
}

/** A stream's engine-independent part; see the file comment. */
export abstract class StreamBase implements ServiceStream {
  #prompts: PromptSet | null = null;
  #state: StreamState = 'connecting';
  #reason = '';
  #since = new Date();
  #id: string;
  #sensorId: string;
  #playingUrl = '';
  #vst: { streamId: string; name: string } | null = null;
  #latest: FrameDetections | null = null;
  #nextObjectId = 0;
  #stopped = false;
  #stopping: Promise<void> = Promise.resolve();
  readonly #discovery = new AbortController();
  readonly #base: StreamBaseOptions;
  readonly #firstOutcome: Promise<void>;
  #settleFirst: (error: Error | null) => void = () => undefined;

  constructor(options: StreamBaseOptions) {
    this.#base = options;
    this.#id = options.id;
    this.#sensorId = options.spec.sensor.id !== '' ? options.spec.sensor.id : options.id;
    this.#firstOutcome = new Promise((resolve, reject) => {
      this.#settleFirst = (error) => {
        this.#settleFirst = () => undefined;
        if (error === null) resolve(); else reject(error);
      };
    });
    this.#firstOutcome.catch(() => undefined);  // only add-through-the-API waits for it
  }

  get prompts(): PromptSet | null {
    return this.#prompts;
  }

  set prompts(prompts: PromptSet | null) {
    this.#prompts = prompts;
    this.promptsChanged();
  }

  /** Its id; until discovery names a VST input, a provisional one (see pendingVstId), never ''. */
  get id(): string {
    return this.#id !== '' ? this.#id : pendingVstId(this.#base.config.input.vst.stream);
  }

  get key(): string {
    return this.#base.key;
  }

  get spec(): StreamSpec {
    return this.#base.spec;
  }

  get mount(): string | null {
    return this.#base.output?.mount ?? null;
  }

  get ownPromptSet(): string {
    return `stream:${this.key}`;
  }

  /** Sensor id (known once a VST input has been discovered). */
  get sensorId(): string {
    return this.#sensorId;
  }

  /** The model's prompt set for this stream's frames, or null when it has an empty list (no detection). */
  get promptSetName(): string | null {
    if (this.#prompts === null) return DEFAULT_PROMPT_SET;
    return this.#prompts.objects.length === 0 ? null : this.ownPromptSet;
  }

  /** Whether stop() was called. */
  protected get stopped(): boolean {
    return this.#stopped;
  }

  async start(): Promise<void> {
    const { input } = this.#base.spec;
    const url = input.kind === 'vst' ? await this.#discover(input.base) : this.#base.spec.uri;
    if (url === null || this.#stopped) return;
    this.#playingUrl = url;
    try {
      await this.startPipeline(url);
    } catch (err) {
      this.setState('failed', (err as Error).message);
      this.#settleFirst(err as Error);
      throw err;
    }
  }

  async firstFrame(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no video from ${this.#base.spec.uri} within ${timeoutMs} ms`)),
        timeoutMs);
    });
    try {
      await Promise.race([this.#firstOutcome, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(reason = 'service stopping'): Promise<void> {
    if (this.#stopped) return this.#stopping;
    this.#stopped = true;
    this.#discovery.abort();
    this.#settleFirst(new Error(`stream ${this.id} was stopped`));
    this.setState('stopped', reason);
    this.#stopping = this.stopPipeline();
    return this.#stopping;
  }

  status(): StreamStatus {
    return { id: this.id, state: this.#state, reason: this.#reason, since: this.#since.toISOString() };
  }

  info(): StreamInfo {
    const { spec, config, outputUrl } = this.#base;
    return {
      id: this.id,
      name: spec.name !== '' ? spec.name : this.#vst?.name ?? this.id,
      sensorId: this.#sensorId,
      sensorType: spec.sensor.type !== '' ? spec.sensor.type : config.sensor.type,
      location: spec.sensor.location !== '' ? spec.sensor.location : config.sensor.location,
      description: spec.description,
      input: { kind: spec.input.kind, uri: spec.uri, playingUrl: this.#playingUrl, vst: this.#vst },
      outputUrl,
      prompts: this.#prompts === null ? null
        : { objects: [...this.#prompts.objects], thresholds: [...this.#prompts.thresholds] },
    };
  }

  latest(): FrameDetections | null {
    return this.#latest;
  }

  abstract counters(): StreamCounters;
  abstract snapshot(): Buffer | null;
  abstract setOverlay(style: OwlConfig['overlay']): void;
  abstract setTracker(tracker: OwlConfig['tracker']): void;
  abstract redecode(): boolean;

  /** Builds and starts the engine's pipeline for the resolved input URL. @throws what it cannot recover from */
  protected abstract startPipeline(url: string): void | Promise<void>;
  /**
   * Stops the engine's pipeline, resolving once its threads are joined (called once by stop(), possibly before
   * startPipeline); never blocks the JS thread meanwhile.
   */
  protected abstract stopPipeline(): Promise<void>;
  /** The stream's prompts were replaced (or reset to the service-wide ones). */
  protected promptsChanged(): void {}
  /** Another model is in use; engines whose pipeline depends on it override this. */
  async modelChanged(): Promise<void> {}

  /** Records a pipeline state change: the stream's state, the first-frame outcome and a log line. */
  protected onPipelineState(state: Exclude<StreamState, 'discovering' | 'failed'>, reason: string): void {
    this.setState(state, reason);
    if (state === 'playing') this.#settleFirst(null);
    if (state === 'lost') this.#settleFirst(new Error(reason));
    const line = `input ${state}${reason === '' ? '' : `: ${reason}`}`;
    if (state === 'lost') this.#base.log.warn(line); else this.#base.log.info(line);
  }

  /** A pipeline failure reconnecting cannot fix: the stream is `failed` with it. */
  protected onPipelineFailure(error: Error): void {
    this.setState('failed', error.message);
    this.#settleFirst(error);
    this.#base.log.error(error.message);
  }

  /**
   * Makes a frame's detections the newest. Each keeps its `id` (a tracker's track id); those without one are
   * numbered per stream (0, 1, 2, ... over the stream's life), as Redis gets them. `redecode` when they are the same
   * frame decoded again with new prompts.
   */
  protected setLatest(frame: { frameId: number; width: number; height: number }, timestamp: Date,
    detections: readonly { label: string; score: number; box: readonly [number, number, number, number];
      id?: number }[], redecode = false): FrameDetections {
    this.#latest = {
      streamId: this.id, frameId: frame.frameId, timestamp: timestamp.toISOString(), width: frame.width,
      height: frame.height, objects: detections.map((d) => ({ id: d.id ?? this.#nextObjectId++, label: d.label,
        score: d.score, left: d.box[0], top: d.box[1], right: d.box[2], bottom: d.box[3] })),
      ...(redecode ? { redecode: true } : {}),
    };
    return this.#latest;
  }

  protected setState(state: StreamState, reason: string): void {
    this.#state = state;
    this.#reason = reason;
    this.#since = new Date();
  }

  /**
   * Asks VST for the stream to play. Unreachable VST is retried inside discovery; a VST with no usable
   * stream yet (cameras are often added after start) is asked again every reconnect.maxDelayMs.
   * @returns the RTSP URL, or null when stopped first.
   */
  async #discover(base: string): Promise<string | null> {
    const { config, log } = this.#base;
    const signal = this.#discovery.signal;
    this.setState('discovering', `asking VST at ${base} for its streams`);
    while (!signal.aborted) {
      try {
        const found = await discoverVstStream(base, {
          stream: config.input.vst.stream,
          timeoutMs: config.input.vst.timeoutMs,
          initialDelayMs: config.input.reconnect.initialDelayMs,
          maxDelayMs: config.input.reconnect.maxDelayMs,
          signal,
          onRetry: (err, delayMs) => this.#discoveryFailed(`${err.message}; retrying in ${delayMs} ms`),
        });
        this.#vst = { streamId: found.streamId, name: found.name };
        if (this.#sensorId === '') this.#sensorId = found.sensorId;
        if (this.#id === '') this.#id = found.sensorId;
        log.info(`VST stream "${found.name}" (${found.streamId}) → ${found.url}`);
        return found.url;
      } catch (err) {
        if (signal.aborted) break;
        const retryMs = config.input.reconnect.maxDelayMs;
        this.#discoveryFailed(`${(err as Error).message}; asking VST again in ${retryMs} ms`);
        await delay(retryMs, signal);
      }
    }
    return null;
  }

  // Still discovering (it is retried), with the last error as the reason: /ready and /status say what is wrong.
  #discoveryFailed(reason: string): void {
    this.setState('discovering', reason);
    this.#base.log.warn(reason);
  }
}

/** The id of a VST input until discovery names it: the configured VST stream choice, else `vst`. */
function pendingVstId(choice: string): string {
  return choice !== '' ? choice : 'vst';
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal }).catch(() => undefined);
}
