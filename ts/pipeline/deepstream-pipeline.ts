// SPDX-License-Identifier: Apache-2.0
// The DeepStream engine's pipeline: one shared pipeline for many streams (ts/deepstream/pipeline-description.ts:
// nvstreammux batching the streams, nvinfer whose tensors the addon decodes with each stream's prompts, nvtracker,
// nvmsgconv + nvmsgbroker, and per stream an nvdsosd/encoder branch on its own RTSP mount). Streams are added and
// removed while it plays; each one reconnects on its own. What the Pipeline class (ts/pipeline.ts) is to the
// portable engine: the same states (the shared pipeline's as 'state', each stream's as 'streamState'), the same
// PipelineError (an error event names its element in `source`, and its stream in `stream` when it is one's), the
// same stop off the JS thread; its data event is 'detections'.
import {
  native, type DeepStreamBinding, type NativeDeepStreamEvent, type NativeDeepStreamFrame,
  type NativeDeepStreamOptions, type NativeDeepStreamPipeline, type NativeDeepStreamStreamStats,
  type NativePipelineStats, type NativePromptSet,
} from '../native';
import type { PipelineOptions, RtspMount } from './options';
import { PipelineBase, ZERO_PIPELINE_STATS, type PipelineEvents, type PipelineStateChange } from './pipeline-base';
import { PipelineError } from './pipeline-error';

/** What `DeepStreamPipeline.start()` takes. */
export interface DeepStreamPipelineOptions {
  /**
   * The shared part as a gst-launch description (deepStreamCoreDescription): nvstreammux named "mux", nvinfer
   * "infer", optionally nvtracker "tracker" and nvstreamdemux "demux" (for streams with outputs).
   */
  description: string;
  /** The most streams at once: nvstreammux's batch. */
  maxStreams: number;
  /** Per stream and for the shared part: rebuild on error or stall, with exponential backoff. */
  reconnect: Required<NonNullable<PipelineOptions['reconnect']>>;
  /** The decode's options (thresholds come with each stream's prompts). */
  decode: { nmsIou: number; maxDetections: number };
  /** How nvdsosd draws each stream's objects. */
  overlay: NativeDeepStreamOptions['overlay'];
  /** The metadata branches: which comp-id gets each stream's objects how often (prepareDeepStream). */
  messages: NativeDeepStreamOptions['messages'];
}

/** One stream to add (deepStreamStream in ts/deepstream/engine.ts, with the TS RtspServer). */
export interface DeepStreamStreamOptions {
  /** Its source bin (deepStreamSourceDescription). */
  description: string;
  /** "host:port" of its RTSP camera, probed while it waits to retry ('' for none). */
  probeAddress?: string;
  /** `sensorId` of its Redis entries. */
  sensorId: string;
  /** Its video: a mount on a shared RtspServer, the output bin and what the mount serves; null for none. */
  output: (RtspMount & { launch: string; description: string }) | null;
}

/** One inferred frame's detections of one stream, in its source-frame pixels, with the tracker's ids. */
export type DeepStreamDetections = NativeDeepStreamFrame;

/** A stream's state change. */
export interface DeepStreamStreamStateChange extends PipelineStateChange {
  stream: string;
}

/** Events of a DeepStreamPipeline: 'state' and 'error' (as every pipeline), each stream's, and 'detections'. */
export interface DeepStreamPipelineEvents extends PipelineEvents {
  /** A stream's state: connecting, playing, lost, reconnected as its camera comes and goes; stopped last. */
  streamState: [change: DeepStreamStreamStateChange];
  /** Every inferred frame of every stream (frames are dropped, and counted, while JS is busy). */
  detections: [frame: DeepStreamDetections];
}

/** Counters of the shared pipeline and of each stream. */
export type DeepStreamPipelineStats = NativePipelineStats & { streams: Record<string, NativeDeepStreamStreamStats> };

/**
 * The DeepStream pipeline of a service.
 * @example
 * const pipeline = new DeepStreamPipeline();
 * pipeline.on('streamState', ({ stream, state }) => console.log(stream, state));
 * pipeline.on('detections', (frame) => console.log(frame.stream, frame.frameId, frame.labels));
 * pipeline.start(run.options);
 * pipeline.addSource('dock-1', stream);
 * pipeline.setPrompts('dock-1', prompts, ['a person']);
 */
export class DeepStreamPipeline extends PipelineBase<DeepStreamPipelineEvents> {
  #native: NativeDeepStreamPipeline | null = null;

  /** @param binding the addon's DeepStream part (a stand-in in tests). @default the loaded addon */
  constructor(readonly binding: DeepStreamBinding = native) {
    super();
  }

  /**
   * Parses the shared description and starts building the pipeline; returns before the model is loaded
   * (connecting, TensorRT start-up and every rebuild are reported by 'state' events). Streams may be added at once.
   * @throws {PipelineError} ENOPLUGIN (this build has no DeepStream engine, or an element is missing), EINVAL
   *   (the description does not parse, or has no "mux" or "infer"), ESTATE (started before).
   */
  start(options: DeepStreamPipelineOptions): void {
    this.assertIdle('DeepStreamPipeline');
    const Native = this.binding.DeepStreamPipeline;
    if (Native === undefined) {
      throw new PipelineError(`this build of the addon has no DeepStream engine (the SDK was not found at `
        + `${this.binding.deepstreamDir} when it was built)`, 'ENOPLUGIN', 'owl');
    }
    try {
      const pipeline = new Native(options, (event) => this.#onEvent(event), (frame) => this.#onDetections(frame));
      pipeline.start();
      this.#native = pipeline;
    } catch (err) {
      throw PipelineError.fromNative(err);
    }
    this.markStarted();
  }

  /**
   * Adds a stream: its mount is served at once, its camera joins the pipeline (now, or once it plays).
   * @throws {PipelineError} ESTATE (not started, or stopped), EEXIST (an id in use), ENOSPC (maxStreams streams),
   *   EINVAL / ENOPLUGIN (a bin that does not parse), EMOUNTINUSE.
   */
  addSource(id: string, stream: DeepStreamStreamOptions): void {
    const { output } = stream;
    this.#call((pipeline) => pipeline.addSource(id, { ...stream, output: output === null ? null
      : { server: output.server.nativeServer, mount: output.mount, launch: output.launch, description: output.description } }));
  }

  /**
   * Removes a stream (its last 'streamState' is `stopped`); its slot is free again once its frames have drained.
   * @throws {PipelineError} EINVAL for an unknown id, ESTATE when not running.
   */
  removeSource(id: string): void {
    this.#call((pipeline) => pipeline.removeSource(id));
  }

  /**
   * A stream's prompts from its next inferred frame on (labels.length must equal prompts.numQueries; 0 prompts:
   * no detection).
   * @throws {PipelineError} EINVAL for an unknown stream or mismatched embeddings, thresholds or labels.
   */
  setPrompts(id: string, prompts: NativePromptSet, labels: string[]): void {
    this.#call((pipeline) => pipeline.setPrompts(id, prompts, labels));
  }

  /** Line width, label size and scores for what is drawn from the next frame on. @throws {PipelineError} EINVAL */
  setOverlayStyle(style: { lineWidth: number; fontSize: number; showScores: boolean }): void {
    this.#call((pipeline) => pipeline.setOverlayStyle(style));
  }

  /** Counters since start (zeros before); framesToModel counts the frames whose detections reached JS. */
  stats(): DeepStreamPipelineStats {
    return this.#native?.stats() ?? { ...ZERO_PIPELINE_STATS, streams: {} };
  }

  protected async stopNative(): Promise<void> {
    await this.#native?.stop();
  }

  #call(action: (pipeline: NativeDeepStreamPipeline) => void): void {
    if (this.#native === null || this.state === 'stopped') {
      throw new PipelineError('DeepStreamPipeline is not running: start() it first', 'ESTATE', 'owl');
    }
    try {
      action(this.#native);
    } catch (err) {
      throw PipelineError.fromNative(err);
    }
  }

  #onEvent(event: NativeDeepStreamEvent): void {
    if (event.type === 'state' && event.stream !== undefined) {
      this.emit('streamState', { stream: event.stream, state: event.state, reason: event.reason });
      return;
    }
    this.onNativeEvent(event);  // the shared pipeline's states, and every error (a stream's with `stream`)
  }

  #onDetections(frame: NativeDeepStreamFrame): void {
    if (this.state !== 'stopped') this.emit('detections', frame);
  }
}
