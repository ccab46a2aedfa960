// SPDX-License-Identifier: Apache-2.0
// The DeepStream engine's pipeline: runs a generated gst-launch description (ts/deepstream/pipeline-description.ts:
// nvinfer with our bbox parser, nvdsosd, the encoder, nvmsgconv + nvmsgbroker) and rebuilds it on an error or a
// stall, serves its video on an RTSP mount, and reports each frame's detections. What the Pipeline class
// (ts/pipeline.ts) is to the portable engine: the same states, the same PipelineError (an error event names its
// element in `source`, e.g. 'broker'), the same stop off the JS thread; its data event is 'detections'.
import {
  native, type DeepStreamBinding, type NativeDeepStreamFrame, type NativeDeepStreamPipeline,
  type NativePipelineStats, type NativePromptSet,
} from '../native';
import type { PipelineOptions, RtspMount } from './options';
import { PipelineBase, ZERO_PIPELINE_STATS, type PipelineEvents } from './pipeline-base';
import { PipelineError } from './pipeline-error';

/** What `DeepStreamPipeline.start()` takes. */
export interface DeepStreamPipelineOptions {
  /**
   * The whole pipeline as a gst-launch description: nvinfer named "infer", nvstreammux "mux", the encoder (if
   * any) "enc"; errors of "infer", "enc", "msgconv" and "broker" become 'error' events as well as rebuilds.
   */
  description: string;
  /**
   * Where the video is served: a mount on a shared RtspServer and the launch line that reads the description's
   * udpsink (rtspMountLaunch); null for none (the description then has no video branch).
   */
  output: (RtspMount & { launch: string }) | null;
  /** Rebuild on error or stall, with exponential backoff (as PipelineOptions.reconnect, every field given). */
  reconnect: Required<NonNullable<PipelineOptions['reconnect']>>;
  /** The bbox parser's decode options (thresholds come with the prompts). */
  decode: { nmsIou: number; maxDetections: number };
}

/** One frame's detections after nvinfer, in source-frame pixels: `labels[i]` is a prompt index. */
export type DeepStreamDetections = NativeDeepStreamFrame;

/** Events of a DeepStreamPipeline: 'state' and 'error' (as every pipeline), and 'detections'. */
export interface DeepStreamPipelineEvents extends PipelineEvents {
  /** Every frame nvinfer decoded (frames are dropped, and counted, while JS is busy). */
  detections: [frame: DeepStreamDetections];
}

/**
 * One DeepStream pipeline.
 * @example
 * const pipeline = new DeepStreamPipeline();
 * pipeline.on('error', (err) => console.error(err.source, err.message));
 * pipeline.on('detections', (frame) => console.log(frame.frameId, frame.labels));
 * pipeline.setPrompts(prompts, ['a person']);
 * pipeline.start({ description, output: null, reconnect, decode: { nmsIou: 0, maxDetections: 100 } });
 */
export class DeepStreamPipeline extends PipelineBase<DeepStreamPipelineEvents> {
  #native: NativeDeepStreamPipeline | null = null;
  // Prompts given before start(): the first frame is decoded with them.
  #prompts: { prompts: NativePromptSet; labels: string[] } | null = null;

  /** @param binding the addon's DeepStream part (a stand-in in tests). @default the loaded addon */
  constructor(readonly binding: DeepStreamBinding = native) {
    super();
  }

  /**
   * Parses the description and starts building the pipeline; returns before the model is loaded (connecting,
   * TensorRT start-up and every rebuild are reported by 'state' events).
   * @throws {PipelineError} ENOPLUGIN (this build has no DeepStream engine, or an element is missing), EINVAL
   *   (the description does not parse, or has no "infer"), EMOUNTINUSE, ESTATE (started before).
   */
  start(options: DeepStreamPipelineOptions): void {
    this.assertIdle('DeepStreamPipeline');
    const Native = this.binding.DeepStreamPipeline;
    if (Native === undefined) {
      throw new PipelineError(`this build of the addon has no DeepStream engine (the SDK was not found at `
        + `${this.binding.deepstreamDir} when it was built)`, 'ENOPLUGIN', 'owl');
    }
    const { output } = options;
    try {
      const pipeline = new Native({ ...options, output: output === null ? null
        : { server: output.server.nativeServer, mount: output.mount, launch: output.launch } },
      this.onNativeEvent, (frame) => this.#onDetections(frame));
      if (this.#prompts !== null) pipeline.setPrompts(this.#prompts.prompts, this.#prompts.labels);
      pipeline.start();
      this.#native = pipeline;
    } catch (err) {
      throw PipelineError.fromNative(err);
    }
    this.markStarted();
  }

  /**
   * New prompts for the bbox parser (from the next frame on; before start: from the first) and the labels the
   * pipeline writes on its objects; labels.length must equal prompts.numQueries, 0 prompts: no detection.
   * @throws {PipelineError} EINVAL for mismatched embeddings, thresholds or labels.
   */
  setPrompts(prompts: NativePromptSet, labels: string[]): void {
    if (this.state === 'stopped') return;
    try {
      this.#native?.setPrompts(prompts, labels);
    } catch (err) {
      throw PipelineError.fromNative(err);
    }
    this.#prompts = { prompts, labels };
  }

  /** Frame counters since start (zeros before); framesToModel counts the frames whose detections reached JS. */
  stats(): NativePipelineStats {
    return this.#native?.stats() ?? ZERO_PIPELINE_STATS;
  }

  protected async stopNative(): Promise<void> {
    await this.#native?.stop();
  }

  #onDetections(frame: NativeDeepStreamFrame): void {
    if (this.state !== 'stopped') this.emit('detections', frame);
  }
}
