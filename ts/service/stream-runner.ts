// SPDX-License-Identifier: Apache-2.0
// One camera, end to end: resolve its input (asking VST when needed), run its pipeline, offer each newest
// frame to the shared model, and hand the detections to the overlay, the Redis publisher and the API.
// The pipeline offers a frame only while the previous one is done, so at most one frame per stream is in flight.
import { setTimeout as sleep } from 'node:timers/promises';
import { FLOWING_STATES } from '../api/readiness';
import type { DetectedObject, FrameDetections, StreamCounters, StreamInfo, StreamState, StreamStatus } from '../api/service';
import type { OwlConfig } from '../config/schema';
import { DEFAULT_PROMPT_SET, type DetectResult, type OwlDetector } from '../model/detector';
import type { PromptSet } from '../model/prompts';
import { Pipeline, type PipelineFrame, type PipelineOptions, type RtspMount } from '../pipeline';
import type { RedisPublisher } from '../redis/publisher';
import { discoverVstStream } from '../vst/discover';
import type { InferenceMetrics } from './inference-metrics';
import type { InferenceScheduler } from './inference-scheduler';
import type { Logger } from './logger';
import type { StreamSpec } from './stream-spec';

/** What a stream needs from the service around it. */
export interface StreamRunnerOptions {
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
  /** The detector in force, or null while none is loaded (frames then pass without inference). */
  detector: () => OwlDetector | null;
  scheduler: InferenceScheduler;
  publisher: RedisPublisher;
  metrics: InferenceMetrics;
  log: Logger;
}

const ZERO_COUNTERS = { framesIn: 0, framesOut: 0, framesToModel: 0, framesDropped: 0, reconnects: 0 };

/** Runs one stream until stop(). */
export class StreamRunner {
  /**
   * Prompts of this stream's own, or null for the service-wide ones. Set by the supervisor once the detector has
   * them under {@link promptSetName}; empty lists mean no detection on this stream.
   */
  prompts: PromptSet | null = null;
  #state: StreamState = 'connecting';
  #reason = '';
  #since = new Date();
  #id: string;
  #sensorId: string;
  #playingUrl = '';
  #vst: { streamId: string; name: string } | null = null;
  #pipeline: Pipeline | null = null;
  #latest: FrameDetections | null = null;
  #nextObjectId = 0;
  #failedFrames = 0;
  #stopped = false;
  #overlayCleared = false;
  readonly #discovery = new AbortController();
  readonly #options: StreamRunnerOptions;
  readonly #firstOutcome: Promise<void>;
  #settleFirst: (error: Error | null) => void = () => undefined;

  constructor(options: StreamRunnerOptions) {
    this.#options = options;
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

  /** The stream id ('' for a VST input until discovery names it). */
  get id(): string {
    return this.#id;
  }

  /** The internal key (see StreamRunnerOptions.key). */
  get key(): string {
    return this.#options.key;
  }

  /** The stream as requested (before its id was made unique). */
  get spec(): StreamSpec {
    return this.#options.spec;
  }

  /** The RTSP mount its video is served at, or null (headless). */
  get mount(): string | null {
    return this.#options.output?.mount ?? null;
  }

  /** The name of this stream's own prompt set in the detector (used while {@link prompts} is non-empty). */
  get ownPromptSet(): string {
    return `stream:${this.key}`;
  }

  /** Sensor id (known once a VST input has been discovered). */
  get sensorId(): string {
    return this.#sensorId;
  }

  /** The detector's prompt set for this stream's frames, or null when it has an empty list (no detection). */
  get promptSetName(): string | null {
    if (this.prompts === null) return DEFAULT_PROMPT_SET;
    return this.prompts.objects.length === 0 ? null : this.ownPromptSet;
  }

  /**
   * Starts the stream. A VST input is discovered first, retrying while VST is unreachable.
   * @throws {PipelineError} for what reconnecting cannot fix (missing file, output mount taken).
   */
  async start(): Promise<void> {
    const { input } = this.#options.spec;
    const url = input.kind === 'vst' ? await this.#discover(input.base) : this.#options.spec.uri;
    if (url === null || this.#stopped) return;
    this.#playingUrl = url;
    try {
      this.#startPipeline(url);
    } catch (err) {
      this.#setState('failed', (err as Error).message);
      this.#settleFirst(err as Error);
      throw err;
    }
  }

  /**
   * Resolves once the first frame arrived; rejects with the reason when the first connection fails or no frame
   * comes within `timeoutMs` (the stream itself keeps trying until stopped).
   */
  async firstFrame(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no video from ${this.#options.spec.uri} within ${timeoutMs} ms`)),
        timeoutMs);
    });
    try {
      await Promise.race([this.#firstOutcome, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Asks VST for the stream to play. Unreachable VST is retried inside discovery; a VST with no usable
   * stream yet (cameras are often added after start) is asked again every reconnect.maxDelayMs.
   * @returns the RTSP URL, or null when stopped first.
   */
  async #discover(base: string): Promise<string | null> {
    const { config, log } = this.#options;
    const signal = this.#discovery.signal;
    this.#setState('discovering', `asking VST at ${base} for its streams`);
    while (!signal.aborted) {
      try {
        const found = await discoverVstStream(base, {
          stream: config.input.vst.stream,
          timeoutMs: config.input.vst.timeoutMs,
          initialDelayMs: config.input.reconnect.initialDelayMs,
          maxDelayMs: config.input.reconnect.maxDelayMs,
          signal,
          onRetry: (err, delayMs) => log.warn(`${err.message}; retrying in ${delayMs} ms`),
        });
        this.#vst = { streamId: found.streamId, name: found.name };
        if (this.#sensorId === '') this.#sensorId = found.sensorId;
        if (this.#id === '') this.#id = found.sensorId;
        log.info(`VST stream "${found.name}" (${found.streamId}) → ${found.url}`);
        return found.url;
      } catch (err) {
        if (signal.aborted) break;
        const retryMs = config.input.reconnect.maxDelayMs;
        this.#setState('failed', (err as Error).message);
        log.error(`${(err as Error).message}; asking VST again in ${retryMs} ms`);
        await delay(retryMs, signal);
      }
    }
    return null;
  }

  /** Stops discovery and the pipeline (joins its threads, frees its mount). Idempotent. */
  stop(reason = 'service stopping'): void {
    this.#stopped = true;
    this.#discovery.abort();
    this.#pipeline?.stop();
    this.#options.scheduler.remove(this.key);
    this.#settleFirst(new Error(`stream ${this.#id} was stopped`));
    this.#setState('stopped', reason);
  }

  /** State for /status and /ready. */
  status(): StreamStatus {
    return { id: this.#id, state: this.#state, reason: this.#reason, since: this.#since.toISOString() };
  }

  /** Description for /streams and GET /api/v1/live-stream. */
  info(): StreamInfo {
    const { spec, config, outputUrl } = this.#options;
    return {
      id: this.#id,
      name: spec.name !== '' ? spec.name : this.#vst?.name ?? this.#id,
      sensorId: this.#sensorId,
      sensorType: spec.sensor.type !== '' ? spec.sensor.type : config.sensor.type,
      location: spec.sensor.location !== '' ? spec.sensor.location : config.sensor.location,
      description: spec.description,
      input: { kind: spec.input.kind, uri: spec.uri, playingUrl: this.#playingUrl, vst: this.#vst },
      outputUrl,
      prompts: this.prompts === null ? null : { objects: [...this.prompts.objects], thresholds: [...this.prompts.thresholds] },
    };
  }

  /** Frame counters for /metrics (label stream = its id). */
  counters(): StreamCounters {
    return { streamId: this.#id, ...(this.#pipeline?.stats() ?? ZERO_COUNTERS) };
  }

  /** The newest annotated frame as JPEG, or null before the first (see Pipeline.snapshot). */
  snapshot(): Buffer | null {
    return this.#pipeline?.snapshot() ?? null;
  }

  /** The newest processed frame, or null before the first. */
  latest(): FrameDetections | null {
    return this.#latest;
  }

  #startPipeline(url: string): void {
    const { config, output, detector, log, scheduler } = this.#options;
    const model = detector();
    const pipeline = new Pipeline();
    pipeline.on('state', ({ state, reason }) => {
      this.#setState(state, reason);
      scheduler.setFlowing(this.key, FLOWING_STATES.has(state));
      if (state === 'playing') this.#settleFirst(null);
      if (state === 'lost') this.#settleFirst(new Error(reason));
      const line = `input ${state}${reason === '' ? '' : `: ${reason}`}`;
      if (state === 'lost') log.warn(line); else log.info(line);
    });
    pipeline.on('error', (err) => {
      this.#setState('failed', err.message);
      this.#settleFirst(err);
      log.error(err.message);
    });
    pipeline.on('frame', (frame) => this.#onFrame(pipeline, frame));
    pipeline.start(pipelineOptions(config, url, output,
      model === null ? null : { inputSize: model.inputSize, ...model.normalisation }));
    this.#pipeline = pipeline;
  }

  #onFrame(pipeline: Pipeline, frame: PipelineFrame): void {
    const set = this.promptSetName;
    if (this.#options.detector() === null || set === null || this.#stopped) {
      if (set === null) this.#clearOverlay(pipeline, frame);
      pipeline.frameDone();
      return;
    }
    this.#overlayCleared = false;
    this.#options.scheduler.submit(this.key, { tensor: frame.tensor, width: frame.width, height: frame.height,
      frameId: frame.frameId, promptSet: set })
      .then((result) => this.#onDetections(pipeline, frame, result), (err: Error) => this.#onDetectFailed(err))
      .finally(() => pipeline.frameDone());
  }

  // Prompts cleared (an empty list): no boxes left on the video, and an empty newest frame for the API.
  #clearOverlay(pipeline: Pipeline, frame: PipelineFrame): void {
    if (this.#overlayCleared) return;
    this.#overlayCleared = true;
    pipeline.setDetections(frame.frameId, []);
    this.#latest = { streamId: this.#id, frameId: frame.frameId, timestamp: new Date().toISOString(),
      width: frame.width, height: frame.height, objects: [] };
  }

  #onDetections(pipeline: Pipeline, frame: PipelineFrame, result: DetectResult): void {
    if (this.#stopped) return;
    const { publisher, metrics } = this.#options;
    this.#failedFrames = 0;
    metrics.observe(result.timings.totalMs);
    pipeline.setDetections(frame.frameId, result.detections);
    const timestamp = new Date();
    const objects: DetectedObject[] = result.detections.map((d) => ({
      id: this.#nextObjectId++, label: d.label, score: d.score,
      left: d.box[0], top: d.box[1], right: d.box[2], bottom: d.box[3],
    }));
    this.#latest = {
      streamId: this.#id, frameId: frame.frameId, timestamp: timestamp.toISOString(),
      width: frame.width, height: frame.height, objects,
    };
    publisher.publish({
      frameId: frame.frameId, timestamp, sensorId: this.#sensorId,
      objects: objects.map((o) => ({ id: o.id, label: o.label, box: [o.left, o.top, o.right, o.bottom] })),
    });
  }

  // One line per run of failures, not one per frame: a broken model would otherwise flood the log at fps.
  #onDetectFailed(err: Error): void {
    if (this.#stopped) return;
    this.#options.metrics.inferenceErrors++;
    if (this.#failedFrames++ === 0) this.#options.log.error(`inference failed: ${err.message}`);
  }

  #setState(state: StreamState, reason: string): void {
    this.#state = state;
    this.#reason = reason;
    this.#since = new Date();
  }
}

/** The pipeline options a configuration gives for one input URL. */
export function pipelineOptions(config: OwlConfig, input: string, output: RtspMount | null,
  inference: PipelineOptions['inference']): PipelineOptions {
  return {
    input,
    rtspTransport: config.input.rtsp.transport,
    latencyMs: config.input.rtsp.latencyMs,
    testSource: config.input.test,
    output,
    encoder: config.output.encoder,
    inference,
    reconnect: config.input.reconnect,
    overlay: config.overlay,
  };
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal }).catch(() => undefined);
}
