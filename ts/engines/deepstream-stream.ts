// SPDX-License-Identifier: Apache-2.0
// One camera on the DeepStream engine. Per start it writes a run folder of generated configs and the shared
// pipeline's description (ts/deepstream/engine.ts prepareDeepStream), runs a DeepStreamPipeline (ts/pipeline) with
// this stream as its one source (deepStreamStream), and sends it the text embeddings of the stream's prompt set
// whenever that set changes: the probe after nvinfer decodes with them. The image encoder runs in TensorRT inside
// nvinfer, nvdsosd draws, nvmsgconv + nvmsgbroker write Redis: this process only hands the detections it is shown
// to the API and the metrics. Input resolution, states and the API's view are StreamBase's. (The pipeline takes
// many streams; sharing one between the service's streams is the engine's next step.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StreamCounters } from '../api/service';
import { classifyInput } from '../config/input-uri';
import { redactUrl } from '../config/redact';
import type { OwlConfig } from '../config/schema';
import type { DeepStreamModel } from '../deepstream/config-input';
import { deepStreamEncoder, deepStreamStream, prepareDeepStream } from '../deepstream/engine';
import type { DeepStreamSource } from '../deepstream/pipeline-description';
import type { PromptSets } from '../model/prompt-sets';
import type { DeepStreamBinding } from '../native';
import {
  DeepStreamPipeline, ZERO_PIPELINE_STATS, type DeepStreamDetections, type PipelineError,
} from '../pipeline';
import type { InferenceMetrics } from '../service/inference-metrics';
import { StreamBase, type StreamBaseOptions } from '../service/stream-base';
import type { BrokerStatus } from './broker-status';

/** The DeepStream engine's model: the text encoder's prompt sets and the image encoder for nvinfer. */
export interface DeepStreamServiceModel {
  promptSets: PromptSets;
  deepstream: DeepStreamModel;
}

/** What a DeepStream stream needs from the service around it. */
export interface DeepStreamStreamOptions extends StreamBaseOptions {
  /** The model in force, or null when it did not load (nvinfer cannot be configured without it). */
  model: () => DeepStreamServiceModel | null;
  /** The addon's DeepStream part (ts/native.ts `native`, or a stand-in), read when the pipeline is built. */
  binding: DeepStreamBinding;
  /** The Jetson model string (readDeviceModel), for the encoder choice; null off Jetson. */
  deviceModel: string | null;
  metrics: InferenceMetrics;
  /** Redis as nvmsgbroker reports it (shared with /status). */
  broker: BrokerStatus;
}

// The element that is nvmsgbroker (pipeline-description.ts names it): its errors are Redis's.
const BROKER_ELEMENT = 'broker';

/** Runs one stream on the DeepStream engine until stop(). */
export class DeepStreamStream extends StreamBase {
  #pipeline: DeepStreamPipeline | null = null;
  #runDir: string | null = null;
  #style: OwlConfig['overlay'];
  readonly #options: DeepStreamStreamOptions;
  readonly #onPromptSet = (set: string): void => {
    if (set === this.promptSetName) this.#sendPrompts();
  };

  constructor(options: DeepStreamStreamOptions) {
    super(options);
    this.#options = options;
    this.#style = options.config.overlay;
  }

  /** Frame counters for /metrics: framesToModel counts frames whose detections reached this process. */
  counters(): StreamCounters {
    return { streamId: this.id, ...(this.#pipeline?.stats() ?? ZERO_PIPELINE_STATS) };
  }

  /** Always null: the DeepStream pipeline has no JPEG tap (its video is on the RTSP output). */
  snapshot(): Buffer | null {
    return null;
  }

  /** nvdsosd draws each object with these settings from the next frame on (also a pipeline started later). */
  setOverlay(style: OwlConfig['overlay']): void {
    this.#style = style;
    this.#pipeline?.setOverlayStyle(style);
  }

  /** nvtracker is part of the pipeline: tracker settings apply at its next start (Engine.trackerLive is false). */
  setTracker(): void {}

  /**
   * Not yet on this engine: the addon decodes nvinfer's output tensors per stream on the streaming thread and keeps
   * none, so new prompts apply from the pipeline's next frame. The seam: keep each stream's newest tensors there,
   * decode them again on request with the stream's prompts and emit them as a 'detections' event (the overlay would
   * need the stream's display meta replaced as well); return true once pushed.
   */
  redecode(): boolean {
    return false;
  }

  protected async startPipeline(url: string): Promise<void> {
    const { config, output, binding, log } = this.#options;
    const model = this.#options.model();
    if (model === null) {
      throw new Error('the model is not loaded (see /status): engine deepstream needs its folder to configure nvinfer');
    }
    this.#runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-deepstream-'));
    const source = deepStreamSource(url, config);
    const run = await prepareDeepStream({
      config, model: model.deepstream, runDir: this.#runDir, deepstreamDir: binding.deepstreamDir,
      outputs: output !== null, liveSources: source.kind !== 'file',
      // This stream is the pipeline's only one: an MQTT topic may name its sensor id.
      sensorId: this.sensorId,
    });
    // The stream's mount (a configured stream may have its own), not output.url's.
    const stream = await deepStreamStream({
      source, sensorId: this.sensorId,
      output: output === null ? null : { ...output, encoder: deepStreamEncoder(this.#options.deviceModel),
        bitrateKbps: config.output.encoder.bitrateKbps, swPreset: config.output.encoder.preset },
    });
    for (const warning of run.warnings) log.warn(warning);
    if (this.stopped) {
      this.#removeRunDir();
      return;
    }
    const pipeline = new DeepStreamPipeline(binding);
    // The shared pipeline's states are the broker's (nvmsgbroker is part of it); the stream's are the stream's.
    pipeline.on('state', ({ state }) => this.#options.broker.pipelineState(state));
    pipeline.on('streamState', ({ state, reason }) => this.onPipelineState(state, reason));
    pipeline.on('error', (err) => this.#onError(err));
    pipeline.on('detections', (frame) => this.#onDetections(frame));
    this.#pipeline = pipeline;
    log.info(`DeepStream pipeline for ${redactUrl(url)}; generated files in ${this.#runDir}`);
    pipeline.start({ ...run.options, overlay: { ...run.options.overlay, ...this.#style } });
    pipeline.addSource(this.id, stream);
    model.promptSets.on('change', this.#onPromptSet);
    this.#sendPrompts();  // before its first frame reaches nvinfer (the stream joins once the pipeline plays)
  }

  protected async stopPipeline(): Promise<void> {
    this.#options.model()?.promptSets.off('change', this.#onPromptSet);
    await this.#pipeline?.stop();
    this.#removeRunDir();
  }

  protected override promptsChanged(): void {
    this.#sendPrompts();
  }

  // The stream's prompt set (the service-wide one, its own, or none) to the pipeline's decode and label probes.
  #sendPrompts(): void {
    const pipeline = this.#pipeline;
    const model = this.#options.model();
    if (pipeline === null || model === null || this.stopped) return;
    const set = this.promptSetName;
    const entry = set === null ? null : model.promptSets.get(set);
    const labels = entry?.state.objects ?? [];
    try {
      pipeline.setPrompts(this.id, { textEmbeds: entry?.textEmbeds ?? new Float32Array(0), numQueries: labels.length,
        thresholds: Float32Array.from(entry?.state.thresholds ?? []) }, labels);
    } catch (err) {
      this.#options.log.error(`prompts not sent to the DeepStream pipeline: ${(err as Error).message}`);
    }
  }

  // Errors of the model, tracker, encoder, message converter or broker: the pipeline or the stream is rebuilt.
  #onError(error: PipelineError): void {
    if (error.source === BROKER_ELEMENT) this.#options.broker.brokerError(error.message);
    this.#options.log.error(error.message);
  }

  #onDetections(frame: DeepStreamDetections): void {
    if (this.stopped) return;
    const detections: { label: string; score: number; box: [number, number, number, number] }[] = [];
    frame.labels.forEach((label, i) => {
      const b = frame.boxes.subarray(i * 4, i * 4 + 4);
      detections.push({ label, score: frame.scores[i], box: [b[0], b[1], b[2], b[3]] });
    });
    detections.sort((a, b) => b.score - a.score);  // as the portable engine's
    this.#options.metrics.countInference();
    this.setLatest(frame, new Date(), detections);
  }

  #removeRunDir(): void {
    if (this.#runDir === null) return;
    fs.rmSync(this.#runDir, { recursive: true, force: true });
    this.#runDir = null;
  }
}

/**
 * The DeepStream source for a stream's input URL (an RTSP URL, a file path or `test:[pattern]`).
 * @throws {Error} for anything else (a VST address must be discovered first).
 */
export function deepStreamSource(url: string, config: OwlConfig): DeepStreamSource {
  const input = classifyInput(url);
  switch (input?.kind) {
    case 'rtsp':
      return { kind: 'rtsp', url: input.url, transport: config.input.rtsp.transport, latencyMs: config.input.rtsp.latencyMs };
    case 'file':
      return { kind: 'file', path: path.resolve(input.path) };
    case 'test':
      return { kind: 'test', pattern: input.pattern, ...config.input.test };
    default:
      throw new Error(`engine deepstream cannot play ${JSON.stringify(redactUrl(url))}: give an rtsp:// URL, a file `
        + 'or test:[pattern]');
  }
}
