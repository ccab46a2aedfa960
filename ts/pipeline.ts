// SPDX-License-Identifier: Apache-2.0
// The portable engine's video pipeline for one camera: reads the input (reconnecting forever), hands the
// newest frame to the model while it is idle, draws the newest detections into the video and serves it
// over RTSP. The native side does pixels and tensors; this class does options, errors and events.
import { EventEmitter } from 'node:events';

import createDebug from 'debug';

import {
  native, type NativeFrame, type NativePipeline, type NativePipelineEvent, type NativePipelineState,
  type NativePipelineStats,
} from './native';
import { resolvePipelineOptions, resolveStyle, type OverlayStyle, type PipelineOptions } from './pipeline/options';
import { PipelineError } from './pipeline/pipeline-error';
import { RtspServer } from './pipeline/rtsp-server';

export {
  DEFAULT_OUTPUT_URL, X264_PRESETS, type OverlayStyle, type PipelineOptions, type RtspMount, type X264Preset,
} from './pipeline/options';
export { OVERLAY_PALETTE, type Rgb } from './pipeline/palette';
export { OWL_ERROR_DOMAIN, PipelineError, type PipelineErrorCode } from './pipeline/pipeline-error';
export { RtspServer } from './pipeline/rtsp-server';

const debug = createDebug('owl:pipeline');

/** The counters of a pipeline that has not run. */
export const ZERO_PIPELINE_STATS: Readonly<PipelineStats> = {
  framesIn: 0, framesOut: 0, framesToModel: 0, framesDropped: 0, reconnects: 0, eventsDropped: 0,
};

/**
 * `idle` before start; then `connecting` → `playing` → (`lost` → `connecting` …) → `reconnected`; `stopped`.
 * `playing` and `reconnected` both mean frames are flowing.
 */
export type PipelineState = 'idle' | NativePipelineState;

/** A state transition and why it happened (e.g. the input's error message for `lost`). */
export interface PipelineStateChange {
  state: Exclude<PipelineState, 'idle'>;
  reason: string;
}

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
}

/** Counters since start. */
export type PipelineStats = NativePipelineStats;

/** Events of a Pipeline. */
export interface PipelineEvents {
  state: [change: PipelineStateChange];
  /** Only with `inference` options, one frame at a time: the next comes after `frameDone()`. */
  frame: [frame: PipelineFrame];
  /** Failures reconnecting cannot fix (e.g. the shared RTSP server stopped). Without a listener, logged. */
  error: [error: PipelineError];
}

/**
 * One camera's pipeline.
 * @example
 * const pipeline = new Pipeline();
 * pipeline.on('state', ({ state, reason }) => console.log(state, reason));
 * pipeline.on('frame', async (f) => { pipeline.setDetections(f.frameId, await detect(f)); pipeline.frameDone(); });
 * pipeline.start({ input: 'rtsp://camera/stream', inference: { inputSize: 768, mean, std } });
 */
export class Pipeline extends EventEmitter<PipelineEvents> {
  #native: NativePipeline | null = null;
  #ownServer: RtspServer | null = null;
  #outputUrl: string | null = null;
  #showScores = false;
  #style = { lineWidth: 0, fontSize: 0 };
  // What is drawn now, so that a style change can draw it again.
  #drawn: { frameId: number; detections: readonly OverlayDetection[] } | null = null;
  #state: PipelineState = 'idle';

  /** The current state. */
  get state(): PipelineState {
    return this.#state;
  }

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
    if (this.#state !== 'idle') {
      throw new PipelineError(`Pipeline was already started (state ${this.#state}): create a new one`, 'ESTATE', 'owl');
    }
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
        server: server?.nativeServer ?? null } }, (event) => this.#onEvent(event), (frame) => this.#onFrame(frame));
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
    this.#state = 'connecting';
  }

  /**
   * Replaces what the video branch draws, from the next frame on (an empty list clears it). Cheap: labels
   * are rendered once here, not per frame. Ignored before start and after stop.
   * @param frameId the frame the detections belong to (PipelineFrame.frameId)
   */
  setDetections(frameId: number, detections: readonly OverlayDetection[]): void {
    if (this.#native === null || this.#state === 'stopped') return;
    this.#drawn = { frameId, detections };
    this.#native.setDetections(frameId, detections.map((d) => ({
      x0: d.box[0], y0: d.box[1], x1: d.box[2], y1: d.box[3], color: d.labelIndex,
      text: this.#showScores ? `${d.label} ${d.score.toFixed(2)}` : d.label,
    })));
  }

  /**
   * Changes how boxes and labels are drawn while running (e.g. on a configuration reload), the boxes on screen
   * included; fields left out keep their value. Ignored before start (give `overlay` to start()) and after stop.
   * @throws {PipelineError} EINVAL naming the field (lineWidth 1-64, fontSize 0-256, showScores boolean).
   */
  setOverlay(style: OverlayStyle): void {
    const next = resolveStyle(style, this.#style);
    if (this.#native === null || this.#state === 'stopped') return;
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

  /**
   * Stops reading and serving and joins the native threads; `state` is `stopped` at once and, if it had
   * started, a final 'state' event `stopped` follows. Idempotent. A started pipeline keeps the process alive
   * until stopped.
   */
  stop(): void {
    this.#native?.stop();
    this.#ownServer?.stop();
    this.#ownServer = null;
    // At once, so frames still queued are not emitted; the 'state' event itself follows from the native side.
    this.#state = 'stopped';
  }

  #onEvent(event: NativePipelineEvent): void {
    if (event.type === 'error') {
      const error = new PipelineError(event.message, event.code, event.domain);
      if (this.listenerCount('error') > 0) {
        this.emit('error', error);
      } else {
        debug('unhandled error event: %s (%s)', error.message, error.code);
        console.warn(`[owl-stream] pipeline error (no 'error' listener): ${error.message}`);
      }
      return;
    }
    debug('%s: %s', event.state, event.reason);
    this.#state = event.state;
    this.emit('state', { state: event.state, reason: event.reason });
  }

  #onFrame(frame: NativeFrame): void {
    // Nobody to run the model (or stopped): re-arm so a listener added later gets fresh frames.
    if (this.#state === 'stopped' || this.listenerCount('frame') === 0) {
      this.#native?.frameDone();
      return;
    }
    this.emit('frame', frame);
  }
}
