// SPDX-License-Identifier: Apache-2.0
// The portable engine's video pipeline for one camera: reads the input (reconnecting forever), hands the
// newest frame to the model while it is idle, draws the newest detections into the video (tracked ones where the
// stream's tracker predicts them at each frame's time) and serves it over RTSP. The native side does pixels and tensors; this class does options, errors and events. The
// DeepStream engine's pipeline (DeepStreamPipeline, exported here too) has the same states, errors and stop.
import {
  native, type NativeFrame, type NativePipeline, type NativePipelineStats,
} from './native';
import { resolvePipelineOptions, resolveStyle, type OverlayStyle, type PipelineOptions } from './pipeline/options';
import {
  PipelineBase, ZERO_PIPELINE_STATS, type PipelineEvents as BasePipelineEvents,
} from './pipeline/pipeline-base';
import { PipelineError } from './pipeline/pipeline-error';
import { RtspServer } from './pipeline/rtsp-server';
import type { Tracker } from './pipeline/tracker';

export {
  DeepStreamPipeline, type DeepStreamDetections, type DeepStreamPipelineEvents, type DeepStreamPipelineOptions,
  type DeepStreamPipelineStats, type DeepStreamStreamOptions, type DeepStreamStreamStateChange,
} from './pipeline/deepstream-pipeline';
export {
  DEFAULT_OUTPUT_URL, X264_PRESETS, type OverlayStyle, type PipelineOptions, type RtspMount, type X264Preset,
} from './pipeline/options';
export { OVERLAY_PALETTE, type Rgb } from './pipeline/palette';
export { ZERO_PIPELINE_STATS, type PipelineState, type PipelineStateChange } from './pipeline/pipeline-base';
export { OWL_ERROR_DOMAIN, PipelineError, type PipelineErrorCode } from './pipeline/pipeline-error';
export { RtspServer } from './pipeline/rtsp-server';
export { Tracker, type TrackedDetection, type TrackerOptions } from './pipeline/tracker';

/** The newest frame for the model. Call `frameDone()` when the model is done with it. */
export type PipelineFrame = NativeFrame;

/** A detection to draw, as the model returns it (ts/model/detector.ts `Detection`). */
export interface OverlayDetection {
  /** The prompt text, drawn as the label. */
  label: string;
  /** The prompt's index: picks the box colour. */
  labelIndex: number;
  score: number;
  /** x0, y0, x1, y1 in source-frame pixels. */
  box: readonly [number, number, number, number];
  /**
   * The tracker's id of the object: shown in the label (`#12 a person`) and, with a tracker set (setTracker), the box
   * is drawn where the tracker predicts the track on each frame. Absent or 0: untracked.
   */
  trackId?: number;
}

/** The label drawn for a detection: `#12 a person 0.63` (the id when tracked, the score when asked for). */
export function overlayLabel(detection: OverlayDetection, showScore: boolean): string {
  const { trackId, label, score } = detection;
  return [...(trackId ? [`#${trackId}`] : []), label, ...(showScore ? [score.toFixed(2)] : [])].join(' ');
}

/** Counters since start. */
export type PipelineStats = NativePipelineStats;

/** Events of a Pipeline: 'state' and 'error' (as every pipeline), and 'frame'. */
export interface PipelineEvents extends BasePipelineEvents {
  /** Only with `inference` options, one frame at a time: the next comes after `frameDone()`. */
  frame: [frame: PipelineFrame];
}

/**
 * One camera's pipeline.
 * @example
 * const pipeline = new Pipeline();
 * pipeline.on('state', ({ state, reason }) => console.log(state, reason));
 * pipeline.on('frame', async (f) => { pipeline.setDetections(f.frameId, await detect(f)); pipeline.frameDone(); });
 * pipeline.start({ input: 'rtsp://camera/stream', inference: { inputSize: 768, mean, std } });
 */
export class Pipeline extends PipelineBase<PipelineEvents> {
  #native: NativePipeline | null = null;
  #ownServer: RtspServer | null = null;
  #outputUrl: string | null = null;
  #showScores = false;
  #style = { lineWidth: 0, fontSize: 0 };
  // What is drawn now, so that a style change can draw it again.
  #drawn: { frameId: number; detections: readonly OverlayDetection[] } | null = null;

  /** The RTSP URL of the annotated video (with the bound port), or null when headless or not started. */
  get outputUrl(): string | null {
    return this.#outputUrl;
  }

  /**
   * Starts reading the input and serving the output. Returns once started: connecting happens in the
   * background and is reported by 'state' events (a dead camera is retried forever, never thrown).
   * @throws {PipelineError} EINVAL (malformed option or unknown input scheme), ENOENT (missing input file),
   *   EADDRINUSE / EACCES / EADDRNOTAVAIL (output port), EMOUNTINUSE, ENOPLUGIN, ESTATE (started before).
   */
  start(options: PipelineOptions): void {
    this.assertIdle('Pipeline');
    const resolved = resolvePipelineOptions(options);
    let server: RtspServer | null = null;
    if (resolved.output instanceof RtspServer) {
      server = resolved.output;
    } else if (resolved.output !== null) {
      server = RtspServer.start({ host: resolved.output.host, port: resolved.output.port });
      this.#ownServer = server;
    }
    try {
      const pipeline = new native.Pipeline({ ...resolved.native, output: { ...resolved.native.output,
        server: server?.nativeServer ?? null } }, this.onNativeEvent, (frame) => this.#onFrame(frame));
      pipeline.start();
      this.#native = pipeline;
    } catch (err) {
      this.#ownServer?.stop();
      this.#ownServer = null;
      throw PipelineError.fromNative(err);
    }
    this.#showScores = resolved.showScores;
    this.#style = { lineWidth: resolved.native.overlay.lineWidth, fontSize: resolved.native.overlay.fontSize };
    this.#outputUrl = server?.url(resolved.native.output.mount) ?? null;
    this.markStarted();
  }

  /**
   * Replaces what the video branch draws, from the next frame on (an empty list clears it). Cheap: labels
   * are rendered once here, not per frame. Ignored before start and after stop.
   * @param frameId the frame the detections belong to (PipelineFrame.frameId)
   */
  setDetections(frameId: number, detections: readonly OverlayDetection[]): void {
    if (this.#native === null || this.state === 'stopped') return;
    this.#drawn = { frameId, detections };
    this.#native.setDetections(frameId, detections.map((d) => ({
      x0: d.box[0], y0: d.box[1], x1: d.box[2], y1: d.box[3], color: d.labelIndex, trackId: d.trackId ?? 0,
      text: overlayLabel(d, this.#showScores),
    })));
  }

  /**
   * The stream's tracker, which the caller keeps updating with each model result (null: none). With drawPredicted,
   * each detection set with a trackId is drawn on every frame where the tracker predicts its track at that frame's
   * capture time, so boxes move smoothly between model results (and vanish with their track); without, at its own
   * box. Ignored before start and after stop.
   */
  setTracker(tracker: Tracker | null, drawPredicted: boolean): void {
    if (this.#native === null || this.state === 'stopped') return;
    this.#native.setTracker(tracker?.nativeTracker ?? null, drawPredicted);
  }

  /**
   * Changes how boxes and labels are drawn while running (e.g. on a configuration reload), the boxes on screen
   * included; fields left out keep their value. Ignored before start (give `overlay` to start()) and after stop.
   * @throws {PipelineError} EINVAL naming the field (lineWidth 1-64, fontSize 0-256, showScores boolean).
   */
  setOverlay(style: OverlayStyle): void {
    const next = resolveStyle(style, this.#style);
    if (this.#native === null || this.state === 'stopped') return;
    try {
      this.#native.setOverlayStyle(next);
    } catch (err) {
      throw PipelineError.fromNative(err);
    }
    this.#style = next;
    this.#showScores = style.showScores ?? this.#showScores;
    if (this.#drawn !== null) this.setDetections(this.#drawn.frameId, this.#drawn.detections);
  }

  /**
   * The newest annotated frame (boxes drawn) as JPEG, long side at most 1280 px, or null before the first (and
   * before start, after stop). Cheap: a copy of the JPEG the pipeline already encoded. Encoding runs only while
   * this is called: at most 10 frames a second, stopping 3 s after the last call. The first call after such a
   * pause therefore returns null (the old frame would be stale) and restarts it: ask again ~100 ms later.
   */
  snapshot(): Buffer | null {
    return this.#native?.snapshot() ?? null;
  }

  /** The model is done with the last frame: the next new frame will be emitted. */
  frameDone(): void {
    this.#native?.frameDone();
  }

  /** Frame counters since start (zeros before start). */
  stats(): PipelineStats {
    return this.#native?.stats() ?? { ...ZERO_PIPELINE_STATS };
  }

  /** Stops the native pipeline off the JS thread, then a server of its own (see stop()). */
  protected async stopNative(): Promise<void> {
    await this.#native?.stop();
    this.#ownServer?.stop();
    this.#ownServer = null;
  }

  #onFrame(frame: NativeFrame): void {
    // Nobody to run the model (or stopped): re-arm so a listener added later gets fresh frames.
    if (this.state === 'stopped' || this.listenerCount('frame') === 0) {
      this.#native?.frameDone();
      return;
    }
    this.emit('frame', frame);
  }
}
