// SPDX-License-Identifier: Apache-2.0
// One camera on the DeepStream engine: a source of the engine's shared pipeline (deepstream-shared.ts). Once its
// input is known (VST discovery first, where needed) it joins the pipeline with its source and output bins
// (deepStreamStream) and sends it the text embeddings of its prompt set whenever that set changes: the probe after
// nvinfer decodes its frames with them. The image encoder runs in TensorRT inside nvinfer, nvdsosd draws,
// nvmsgconv + nvmsgbroker write the metadata: this process only hands the detections it is shown to the API and
// the metrics. Its states come from the pipeline's events for it (connecting, playing, lost and reconnected as its
// camera comes and goes: the pipeline rebuilds its source alone); input resolution, states and the API's view are
// StreamBase's.
import path from 'node:path';
import type { StreamCounters } from '../api/service';
import { classifyInput } from '../config/input-uri';
import { redactUrl } from '../config/redact';
import type { OwlConfig } from '../config/schema';
import type { DeepStreamModel } from '../deepstream/config-input';
import { deepStreamEncoder, deepStreamStream } from '../deepstream/engine';
import type { DeepStreamSource } from '../deepstream/pipeline-description';
import type { PromptSets } from '../model/prompt-sets';
import type { DeepStreamDetections, PipelineError, PipelineStateChange } from '../pipeline';
import type { InferenceMetrics } from '../service/inference-metrics';
import { StreamBase, type StreamBaseOptions } from '../service/stream-base';
import type { DeepStreamMember, SharedDeepStreamPipeline } from './deepstream-shared';

/** The DeepStream engine's model: the text encoder's prompt sets and the image encoder for nvinfer. */
export interface DeepStreamServiceModel {
  promptSets: PromptSets;
  deepstream: DeepStreamModel;
}

/** What a DeepStream stream needs from the service around it. */
export interface DeepStreamStreamOptions extends StreamBaseOptions {
  /** The model in force, or null when it did not load (nvinfer cannot be configured without it). */
  model: () => DeepStreamServiceModel | null;
  /** The engine's pipeline, which this stream joins as a source. */
  shared: SharedDeepStreamPipeline;
  /** The Jetson model string (readDeviceModel), for the encoder choice; null off Jetson. */
  deviceModel: string | null;
  metrics: InferenceMetrics;
}

/** Runs one stream on the DeepStream engine until stop(). */
export class DeepStreamStream extends StreamBase implements DeepStreamMember {
  readonly #options: DeepStreamStreamOptions;
  // Aborted by stop(): a join still waiting (for the pipeline to start, or for a slot) does not add the stream.
  readonly #leaving = new AbortController();
  // The intervideo channel of the mount held while VST is asked for the input (null: not held).
  readonly #heldChannel: string | null = null;
  readonly #onPromptSet = (set: string): void => {
    if (set === this.promptSetName) this.#sendPrompts();
  };

  constructor(options: DeepStreamStreamOptions) {
    super(options);
    this.#options = options;
    // Served from now on while VST is asked for the camera (unreachable, answering garbage, no such stream yet):
    // black until the stream joins, then its video, for those watching already too. Other inputs join at once.
    const { output, spec, config, log } = options;
    if (output !== null && spec.input.kind === 'vst') {
      try {
        this.#heldChannel = output.server.hold(output.mount, config.output.encoder);
      } catch (err) {
        log.warn(`output ${output.mount} not served before the input is known: ${(err as Error).message}`);
      }
    }
  }

  /**
   * Frame counters for /metrics: framesToModel counts inferred frames whose detections reached this process;
   * eventsDropped is the shared pipeline's (one event queue for all its streams).
   */
  counters(): StreamCounters {
    const { stream, pipeline } = this.#options.shared.stats(this);
    return {
      streamId: this.id, framesIn: stream?.framesIn ?? 0, framesOut: stream?.framesOut ?? 0,
      framesToModel: stream?.framesToJs ?? 0, framesDropped: stream?.framesDropped ?? 0,
      reconnects: stream?.reconnects ?? 0, eventsDropped: pipeline?.eventsDropped ?? 0,
    };
  }

  /** Always null: the DeepStream pipeline has no JPEG tap (its video is on the RTSP output). */
  snapshot(): Buffer | null {
    return null;
  }

  /** nvdsosd draws every stream's objects with these settings from the next frame on (one style per pipeline). */
  setOverlay(style: OwlConfig['overlay']): void {
    this.#options.shared.setOverlay(style);
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
    const { config, output, shared, log } = this.#options;
    const model = this.#options.model();
    if (model === null) {
      throw new Error('the model is not loaded (see /status): engine deepstream needs its folder to configure nvinfer');
    }
    const source = deepStreamSource(url, config);
    // The stream's mount (a configured stream may have its own), not output.url's.
    await shared.join(this, model.deepstream, () => deepStreamStream({
      source, sensorId: this.sensorId,
      output: output === null ? null : { ...output, encoder: deepStreamEncoder(this.#options.deviceModel),
        bitrateKbps: config.output.encoder.bitrateKbps, swPreset: config.output.encoder.preset,
        heldChannel: this.#heldChannel },
    }), this.#leaving.signal);
    if (!this.stopped) log.info(`in the DeepStream pipeline: ${redactUrl(url)}`);
  }

  protected async stopPipeline(): Promise<void> {
    this.#leaving.abort();
    // The hold, when the stream never joined (stopped while discovering, or its join failed).
    if (this.#heldChannel !== null) this.#options.output?.server.release(this.#options.output.mount);
    this.#options.model()?.promptSets.off('change', this.#onPromptSet);
    await this.#options.shared.leave(this);
  }

  protected override promptsChanged(): void {
    this.#sendPrompts();
  }

  /** A source now: its prompts go in before its first frame reaches nvinfer. */
  joined(): void {
    this.#options.model()?.promptSets.on('change', this.#onPromptSet);
    this.#sendPrompts();
  }

  onState({ state, reason }: PipelineStateChange): void {
    if (!this.stopped) this.onPipelineState(state, reason);
  }

  /** Its source or output branch failed: the pipeline rebuilds them (its states say so). */
  onError(error: PipelineError): void {
    this.#options.log.error(error.message);
  }

  onDetections(frame: DeepStreamDetections): void {
    if (this.stopped) return;
    // Each object's id is nvtracker's, as in its Redis entries (numbered per stream where no tracker runs).
    const detections: { label: string; score: number; box: [number, number, number, number]; id?: number }[] = [];
    frame.labels.forEach((label, i) => {
      const b = frame.boxes.subarray(i * 4, i * 4 + 4);
      const trackId = frame.trackIds[i];
      detections.push({ label, score: frame.scores[i], box: [b[0], b[1], b[2], b[3]],
        ...(trackId >= 0 ? { id: trackId } : {}) });
    });
    detections.sort((a, b) => b.score - a.score);  // as the portable engine's
    this.#options.metrics.countInference();
    this.setLatest(frame, new Date(), detections);
  }

  // The stream's prompt set (the service-wide one, its own, or none) to the pipeline's decode and label probes.
  #sendPrompts(): void {
    const model = this.#options.model();
    if (model === null || this.stopped) return;
    const set = this.promptSetName;
    const entry = set === null ? null : model.promptSets.get(set);
    const labels = entry?.state.objects ?? [];
    try {
      this.#options.shared.setPrompts(this, { textEmbeds: entry?.textEmbeds ?? new Float32Array(0),
        numQueries: labels.length, thresholds: Float32Array.from(entry?.state.thresholds ?? []) }, labels);
    } catch (err) {
      this.#options.log.error(`prompts not sent to the DeepStream pipeline: ${(err as Error).message}`);
    }
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
