// SPDX-License-Identifier: Apache-2.0
// One camera on the portable engine: run its GStreamer pipeline, offer each newest frame to the shared model,
// and hand the detections, followed by the stream's tracker (stream-tracking.ts), to the overlay, the metadata
// outputs and the API. The pipeline offers a frame only
// while the previous one is done, so at most one frame per stream is in flight. The newest frame's image-encoder
// outputs are kept, so that new prompts apply to it at once (redecode). Input resolution, states and the API's
// view are StreamBase's.
import { FLOWING_STATES } from '../api/readiness';
import type { StreamCounters } from '../api/service';
import type { OwlConfig } from '../config/schema';
import type { DetectResult, OwlDetector } from '../model/detector';
import {
  Pipeline, ZERO_PIPELINE_STATS, type PipelineFrame, type PipelineOptions, type RtspMount,
} from '../pipeline';
import type { InferenceMetrics } from '../service/inference-metrics';
import { StreamBase, type StreamBaseOptions } from '../service/stream-base';
import type { InferenceScheduler } from './inference-scheduler';
import type { MetadataSink } from './metadata-outputs';
import { NewestEncoding, type EncodedFrameRef, type Redecoded } from './newest-encoding';
import { StreamTracking, type ReportedDetection } from './stream-tracking';

/** What a portable stream needs from the service around it. */
export interface StreamRunnerOptions extends StreamBaseOptions {
  /** The detector in force, or null while none is loaded (frames then pass without inference). */
  detector: () => OwlDetector | null;
  scheduler: InferenceScheduler;
  /** Where each processed frame's metadata goes (every output that is on). */
  metadata: MetadataSink;
  metrics: InferenceMetrics;
}

/** Runs one stream on the portable engine until stop(). */
export class StreamRunner extends StreamBase {
  #pipeline: Pipeline | null = null;
  // What the running pipeline was built for: its input URL and the model input it scales frames to.
  #url = '';
  #inference: PipelineOptions['inference'] = null;
  // Pipelines replaced for another model, and the latest rebuild (modelChanged).
  readonly #retired = new WeakSet<Pipeline>();
  #rebuilt: Promise<void> = Promise.resolve();
  #failedFrames = 0;
  #overlayCleared = false;
  readonly #newest = new NewestEncoding();
  // The style in force: the config's at first, then each setOverlay() (also for a pipeline started later).
  #overlay: OwlConfig['overlay'];
  readonly #tracking: StreamTracking;
  readonly #options: StreamRunnerOptions;

  constructor(options: StreamRunnerOptions) {
    super(options);
    this.#options = options;
    this.#overlay = options.config.overlay;
    this.#tracking = new StreamTracking(options.config.tracker);
    // Served from now on, whatever the input does (VST still asked, unreachable, answering garbage): black
    // until the pipeline takes the mount over.
    if (options.output !== null) {
      try {
        options.output.server.hold(options.output.mount, options.config.output.encoder);
      } catch (err) {
        options.log.warn(`output ${options.output.mount} not served before the input is known: ${(err as Error).message}`);
      }
    }
  }

  /** Frame counters for /metrics (label stream = its id). */
  counters(): StreamCounters {
    return { streamId: this.id, ...(this.#pipeline?.stats() ?? ZERO_PIPELINE_STATS) };
  }

  /** The newest annotated frame as JPEG, or null before the first (see Pipeline.snapshot). */
  snapshot(): Buffer | null {
    return this.#pipeline?.snapshot() ?? null;
  }

  /** Box line width, label size and scores shown, from the next frame on (the boxes on screen included). */
  setOverlay(style: OwlConfig['overlay']): void {
    this.#pipeline?.setOverlay(style);
    this.#overlay = style;
    this.#options.log.info(`overlay now line width ${style.lineWidth}, font size ${style.fontSize}, `
      + `scores ${style.showScores ? 'shown' : 'hidden'}`);
  }

  /** New tracker settings from the next model result on (tracks and ids kept). */
  setTracker(tracker: OwlConfig['tracker']): void {
    this.#tracking.configure(tracker);
  }

  /**
   * Applies the prompts now in force to the newest frame at once: its kept image-encoder outputs are decoded again
   * and pushed (through the tracker) to the overlay, the API and the metadata outputs as a re-decode of that frame
   * (no prompts: the boxes are cleared).
   * @returns whether anything was pushed: false before the first frame, while no model is loaded, or when the
   *   newest frame was already decoded with these prompts.
   */
  redecode(): boolean {
    const pipeline = this.#pipeline;
    const detector = this.#options.detector();
    const frame = this.#newest.frame;
    if (pipeline === null || detector === null || frame === null || this.stopped) return false;
    const set = this.promptSetName;
    if (set === null) {
      this.#clearOverlay(pipeline, frame);
      return true;
    }
    let again: Redecoded | null;
    let detections: ReportedDetection[];
    try {
      again = this.#newest.redecode(detector, set, this.#tracking.lowScoreRatio);
      if (again === null) return false;
      detections = this.#tracking.redecoded(again.frame, again.result);
    } catch (err) {
      this.#options.log.error(`frame ${frame.frameId} not re-decoded with the new prompts: ${(err as Error).message}`);
      return false;
    }
    this.#push(pipeline, again.frame, again.timestamp, detections, true);
    return true;
  }

  protected async stopPipeline(): Promise<void> {
    // The hold, when no pipeline took it over (stopped while discovering, or the pipeline never started).
    if (this.#options.output !== null) this.#options.output.server.release(this.#options.output.mount);
    this.#options.scheduler.remove(this.key);
    await this.#pipeline?.stop();
  }

  /**
   * A pipeline built for another model input (or none: the model loaded after the stream started) is rebuilt for
   * the model now in use, once the old one let go of its mount; its viewers reconnect. One rebuild at a time.
   */
  override modelChanged(): Promise<void> {
    this.#rebuilt = this.#rebuilt.then(() => this.#rebuildForModel());
    return this.#rebuilt;
  }

  async #rebuildForModel(): Promise<void> {
    const old = this.#pipeline;
    if (old === null || this.stopped) return;
    if (JSON.stringify(this.#inferenceOptions()) === JSON.stringify(this.#inference)) return;
    this.#options.log.info('the model changed: rebuilding the pipeline for its input size');
    this.#retired.add(old);
    await old.stop();
    if (this.stopped) return;
    try {
      this.startPipeline(this.#url);
    } catch (err) {
      this.onPipelineFailure(err as Error);
    }
  }

  protected startPipeline(url: string): void {
    const { config, output, scheduler } = this.#options;
    const inference = this.#inferenceOptions();
    const pipeline = new Pipeline();
    // Events of a pipeline replaced since (modelChanged) are its last words, not this stream's state.
    const current = () => !this.#retired.has(pipeline);
    pipeline.on('state', ({ state, reason }) => {
      if (!current()) return;
      this.onPipelineState(state, reason);
      scheduler.setFlowing(this.key, FLOWING_STATES.has(state));
    });
    pipeline.on('error', (err) => current() && this.onPipelineFailure(err));
    pipeline.on('frame', (frame) => this.#onFrame(pipeline, frame));
    pipeline.start(pipelineOptions({ ...config, overlay: this.#overlay }, url, output, inference));
    this.#tracking.attach(pipeline);
    this.#pipeline = pipeline;
    this.#url = url;
    this.#inference = inference;
  }

  #inferenceOptions(): PipelineOptions['inference'] {
    const model = this.#options.detector();
    return model === null ? null : { inputSize: model.inputSize, ...model.normalisation };
  }

  #onFrame(pipeline: Pipeline, frame: PipelineFrame): void {
    const set = this.promptSetName;
    if (this.#options.detector() === null || set === null || this.stopped) {
      if (set === null) this.#clearOverlay(pipeline, frame);
      pipeline.frameDone();
      return;
    }
    this.#overlayCleared = false;
    this.#options.scheduler.submit(this.key, { tensor: frame.tensor, width: frame.width, height: frame.height,
      frameId: frame.frameId, promptSet: set, lowScoreRatio: this.#tracking.lowScoreRatio })
      // A result the tracker refuses (a non-finite box) counts as a failed inference, as the model's own errors.
      .then((result) => this.#onDetections(pipeline, frame, result))
      .catch((err: Error) => this.#onDetectFailed(err))
      .finally(() => pipeline.frameDone());
  }

  // Prompts cleared (an empty list): no boxes left on the video, and an empty newest frame for the API. The kept
  // outputs go too: by the time prompts come back they would be stale.
  #clearOverlay(pipeline: Pipeline, frame: EncodedFrameRef): void {
    if (this.#overlayCleared) return;
    this.#overlayCleared = true;
    this.#newest.clear();
    pipeline.setDetections(frame.frameId, []);
    this.setLatest(frame, new Date(), []);
  }

  #onDetections(pipeline: Pipeline, frame: PipelineFrame, result: DetectResult): void {
    if (this.stopped) return;
    const { metrics, detector } = this.#options;
    this.#failedFrames = 0;
    metrics.observe(result.timings.totalMs);
    const detections = this.#tracking.report(frame, result);
    const timestamp = new Date();
    const model = detector();
    if (model !== null) this.#newest.keep(model, frame, timestamp, result);
    this.#push(pipeline, frame, timestamp, detections, false);
  }

  // A frame's detections to the overlay, the API and the metadata outputs; a re-decode is the same frame again,
  // marked so.
  #push(pipeline: Pipeline, frame: EncodedFrameRef, timestamp: Date, detections: ReportedDetection[],
    redecode: boolean): void {
    pipeline.setDetections(frame.frameId, detections.map((d) => ({ ...d, trackId: d.id })));
    const { objects } = this.setLatest(frame, timestamp, detections, redecode);
    this.#options.metadata.publish({
      frameId: frame.frameId, timestamp, sensorId: this.sensorId, ...(redecode ? { redecode } : {}),
      objects: objects.map((o) => ({ id: o.id, label: o.label, box: [o.left, o.top, o.right, o.bottom],
        confidence: o.score })),
    });
  }

  // One line per run of failures, not one per frame: a broken model would otherwise flood the log at fps.
  #onDetectFailed(err: Error): void {
    if (this.stopped) return;
    this.#options.metrics.inferenceErrors++;
    if (this.#failedFrames++ === 0) this.#options.log.error(`inference failed: ${err.message}`);
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
