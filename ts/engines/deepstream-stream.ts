// SPDX-License-Identifier: Apache-2.0
// One camera on the DeepStream engine. Per start it writes a run folder of generated configs and the pipeline
// description (ts/deepstream/engine.ts prepareDeepStream), runs a DeepStreamPipeline (ts/pipeline), and sends it the
// text embeddings of the stream's prompt set whenever that set changes: the bbox parser inside nvinfer decodes
// with them, the relabel probe writes their text. The image encoder runs in TensorRT inside nvinfer, nvdsosd
// draws, nvmsgconv + nvmsgbroker write Redis: this process only hands the detections it is shown to the API
// and the metrics. Input resolution, states and the API's view are StreamBase's.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StreamCounters } from '../api/service';
import { classifyInput } from '../config/input-uri';
import { redactUrl } from '../config/redact';
import type { OwlConfig } from '../config/schema';
import type { DeepStreamModel } from '../deepstream/config-input';
import { prepareDeepStream } from '../deepstream/engine';
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
  /** The addon's folder: libowl_ds_parser.so, nvinfer's custom library, lies beside it. */
  addonDir: string;
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
  // The prompt text the pipeline decodes with: class id i is #labels[i].
  #labels: string[] = [];
  #overlayWarned = false;
  readonly #options: DeepStreamStreamOptions;
  readonly #onPromptSet = (set: string): void => {
    if (set === this.promptSetName) this.#sendPrompts();
  };

  constructor(options: DeepStreamStreamOptions) {
    super(options);
    this.#options = options;
  }

  /** Frame counters for /metrics: framesToModel counts frames whose detections reached this process. */
  counters(): StreamCounters {
    return { streamId: this.id, ...(this.#pipeline?.stats() ?? ZERO_PIPELINE_STATS) };
  }

  /** Always null: the DeepStream pipeline has no JPEG tap (its video is on the RTSP output). */
  snapshot(): Buffer | null {
    return null;
  }

  /** nvdsosd draws with nvinfer's style here: the overlay settings do not apply (said once). */
  setOverlay(): void {
    if (this.#overlayWarned) return;
    this.#overlayWarned = true;
    this.#options.log.warn('overlay settings do not apply to engine deepstream (nvdsosd draws the boxes)');
  }

  /** nvtracker is part of the pipeline: tracker settings apply at its next start (Engine.trackerLive is false). */
  setTracker(): void {}

  protected async startPipeline(url: string): Promise<void> {
    const { config, output, binding, log } = this.#options;
    const model = this.#options.model();
    if (model === null) {
      throw new Error('the model is not loaded (see /status): engine deepstream needs its folder to configure nvinfer');
    }
    this.#runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-deepstream-'));
    const run = await prepareDeepStream({
      config, model: model.deepstream, source: deepStreamSource(url, config), sensorId: this.sensorId,
      runDir: this.#runDir, addonDir: this.#options.addonDir, deepstreamDir: binding.deepstreamDir,
      server: output?.server.nativeServer ?? null, deviceModel: this.#options.deviceModel,
    });
    for (const warning of run.warnings) log.warn(warning);
    if (this.stopped) {
      this.#removeRunDir();
      return;
    }
    const pipeline = new DeepStreamPipeline(binding);
    pipeline.on('state', ({ state, reason }) => {
      this.#options.broker.pipelineState(state);
      this.onPipelineState(state, reason);
    });
    pipeline.on('error', (err) => this.#onError(err));
    pipeline.on('detections', (frame) => this.#onDetections(frame));
    this.#pipeline = pipeline;
    model.promptSets.on('change', this.#onPromptSet);
    this.#sendPrompts();  // before start: the first frame is decoded with them
    log.info(`DeepStream pipeline for ${redactUrl(url)}; generated files in ${this.#runDir}`);
    // The stream's mount (a configured stream may have its own), not output.url's.
    pipeline.start({ ...run.options, output: output === null || run.options.output === null ? null
      : { ...output, launch: run.options.output.launch } });
  }

  protected async stopPipeline(): Promise<void> {
    this.#options.model()?.promptSets.off('change', this.#onPromptSet);
    await this.#pipeline?.stop();
    this.#removeRunDir();
  }

  protected override promptsChanged(): void {
    this.#sendPrompts();
  }

  // The stream's prompt set (the service-wide one, its own, or none) to the parser and the relabel probe.
  #sendPrompts(): void {
    const pipeline = this.#pipeline;
    const model = this.#options.model();
    if (pipeline === null || model === null || this.stopped) return;
    const set = this.promptSetName;
    const entry = set === null ? null : model.promptSets.get(set);
    const labels = entry?.state.objects ?? [];
    try {
      pipeline.setPrompts({ textEmbeds: entry?.textEmbeds ?? new Float32Array(0), numQueries: labels.length,
        thresholds: Float32Array.from(entry?.state.thresholds ?? []) }, labels);
      this.#labels = labels;
    } catch (err) {
      this.#options.log.error(`prompts not sent to the DeepStream pipeline: ${(err as Error).message}`);
    }
  }

  // Errors of the model, encoder, message converter or broker: the pipeline is rebuilt (a `lost` follows).
  #onError(error: PipelineError): void {
    if (error.source === BROKER_ELEMENT) this.#options.broker.brokerError(error.message);
    this.#options.log.error(error.message);
  }

  #onDetections(frame: DeepStreamDetections): void {
    if (this.stopped) return;
    const detections: { label: string; score: number; box: [number, number, number, number] }[] = [];
    frame.labels.forEach((classId, i) => {
      // A class without prompt text: decoded with prompts that were replaced meanwhile.
      const label = this.#labels[classId];
      if (label === undefined) return;
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
