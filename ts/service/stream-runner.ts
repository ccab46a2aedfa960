// SPDX-License-Identifier: Apache-2.0
// One camera, end to end: resolve its input (asking VST when needed), run its pipeline, send each newest
// frame through the detector, and hand the detections to the overlay, the Redis publisher and the API.
// The pipeline offers a frame only while the detector is idle, so at most one frame per stream is in flight.
import { setTimeout as sleep } from 'node:timers/promises';
import type { OwlConfig } from '../config/schema';
import type { InputSource } from '../config/input-uri';
import type { DetectResult, OwlDetector } from '../model/detector';
import { Pipeline, type PipelineFrame, type PipelineOptions, type RtspMount } from '../pipeline';
import type { RedisPublisher } from '../redis/publisher';
import { discoverVstStream } from '../vst/discover';
import type { DetectedObject, FrameDetections, StreamCounters, StreamInfo, StreamState, StreamStatus } from '../api/service';
import type { InferenceMetrics } from './inference-metrics';
import type { Logger } from './logger';

/** What a stream needs from the service around it. */
export interface StreamRunnerOptions {
  /** Sensor id (Redis `sensorId`, metrics `stream` label); '' for VST inputs until discovery names it. */
  sensorId: string;
  input: InputSource;
  /** The configured input, as given (for /streams). */
  inputUri: string;
  config: OwlConfig;
  /** Where the annotated video is served, or null (headless). */
  output: RtspMount | null;
  /** Public URL of the output, for /streams. */
  outputUrl: string | null;
  /** The detector in force, or null while none is loaded (frames then pass without inference). */
  detector: () => OwlDetector | null;
  publisher: RedisPublisher;
  metrics: InferenceMetrics;
  log: Logger;
}

const ZERO_COUNTERS = { framesIn: 0, framesOut: 0, framesToModel: 0, framesDropped: 0, reconnects: 0 };

/** Runs one stream until stop(). */
export class StreamRunner {
  #state: StreamState = 'connecting';
  #reason = '';
  #since = new Date();
  #sensorId: string;
  #playingUrl = '';
  #vst: { streamId: string; name: string } | null = null;
  #pipeline: Pipeline | null = null;
  #latest: FrameDetections | null = null;
  #nextObjectId = 0;
  #failedFrames = 0;
  readonly #discovery = new AbortController();
  readonly #options: StreamRunnerOptions;

  constructor(options: StreamRunnerOptions) {
    this.#options = options;
    this.#sensorId = options.sensorId;
  }

  /** Sensor id (known once a VST input has been discovered). */
  get sensorId(): string {
    return this.#sensorId;
  }

  /**
   * Starts the stream. A VST input is discovered first, retrying while VST is unreachable.
   * @throws {PipelineError} for what reconnecting cannot fix (missing file, output mount taken).
   */
  async start(): Promise<void> {
    const { input } = this.#options;
    const url = input.kind === 'vst' ? await this.#discover(input.base) : this.#options.inputUri;
    if (url === null) return;
    this.#playingUrl = url;
    this.#startPipeline(url);
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

  /** Stops discovery and the pipeline (joins its threads). Idempotent. */
  stop(): void {
    this.#discovery.abort();
    this.#pipeline?.stop();
    this.#setState('stopped', 'service stopping');
  }

  status(): StreamStatus {
    return { id: this.#sensorId, state: this.#state, reason: this.#reason, since: this.#since.toISOString() };
  }

  info(): StreamInfo {
    const { input, inputUri, config, outputUrl } = this.#options;
    return {
      id: this.#sensorId,
      name: this.#vst?.name ?? this.#sensorId,
      sensorType: config.sensor.type,
      location: config.sensor.location,
      input: { kind: input.kind, uri: inputUri, playingUrl: this.#playingUrl, vst: this.#vst },
      outputUrl,
    };
  }

  counters(): StreamCounters {
    return { streamId: this.#sensorId, ...(this.#pipeline?.stats() ?? ZERO_COUNTERS) };
  }

  /** The newest annotated frame as JPEG, or null before the first. */
  snapshot(): Buffer | null {
    return null;
  }

  /** The newest processed frame, or null before the first. */
  latest(): FrameDetections | null {
    return this.#latest;
  }

  #startPipeline(url: string): void {
    const { config, output, detector, log } = this.#options;
    const model = detector();
    const pipeline = new Pipeline();
    pipeline.on('state', ({ state, reason }) => {
      this.#setState(state, reason);
      const line = `input ${state}${reason === '' ? '' : `: ${reason}`}`;
      if (state === 'lost') log.warn(line); else log.info(line);
    });
    pipeline.on('error', (err) => {
      this.#setState('failed', err.message);
      log.error(err.message);
    });
    pipeline.on('frame', (frame) => this.#onFrame(pipeline, frame));
    pipeline.start(pipelineOptions(config, url, output,
      model === null ? null : { inputSize: model.inputSize, ...model.normalisation }));
    this.#pipeline = pipeline;
  }

  #onFrame(pipeline: Pipeline, frame: PipelineFrame): void {
    const model = this.#options.detector();
    if (model === null) {
      pipeline.frameDone();
      return;
    }
    model.detect(frame.tensor, frame.width, frame.height, frame.frameId)
      .then((result) => this.#onDetections(pipeline, frame, result), (err: Error) => this.#onDetectFailed(err))
      .finally(() => pipeline.frameDone());
  }

  #onDetections(pipeline: Pipeline, frame: PipelineFrame, result: DetectResult): void {
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
      streamId: this.#sensorId, frameId: frame.frameId, timestamp: timestamp.toISOString(),
      width: frame.width, height: frame.height, objects,
    };
    publisher.publish({
      frameId: frame.frameId, timestamp, sensorId: this.#sensorId,
      objects: objects.map((o) => ({ id: o.id, label: o.label, box: [o.left, o.top, o.right, o.bottom] })),
    });
  }

  // One line per run of failures, not one per frame: a broken model would otherwise flood the log at fps.
  #onDetectFailed(err: Error): void {
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
