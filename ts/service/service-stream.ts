// SPDX-License-Identifier: Apache-2.0
// What the service core needs of one running stream, whichever engine runs it: the portable StreamRunner or the
// DeepStream one (ts/engines/). The engine constructs it (Engine.createStream); everything after that goes
// through this interface.
import type { FrameDetections, StreamCounters, StreamInfo, StreamStatus } from '../api/service';
import type { OwlConfig } from '../config/schema';
import type { PromptSet } from '../model/prompts';
import type { StreamSpec } from './stream-spec';

/** One running stream. */
export interface ServiceStream {
  /** The stream id ('' for a VST input until discovery names it). */
  readonly id: string;
  /** Internal key, unique for the service's life (scheduler turns, prompt set name). */
  readonly key: string;
  /** The stream as requested (before its id was made unique). */
  readonly spec: StreamSpec;
  /** The RTSP mount its video is served at, or null (headless). */
  readonly mount: string | null;
  /** The name of this stream's own prompt set (used while {@link prompts} is non-empty). */
  readonly ownPromptSet: string;
  /**
   * Prompts of this stream's own, or null for the service-wide ones. Set by PromptControl once the model's prompt
   * sets hold them under {@link ownPromptSet}; empty lists mean no detection on this stream.
   */
  prompts: PromptSet | null;
  /**
   * Starts the stream (a VST input is discovered first, retrying while VST is unreachable).
   * @throws {Error} for what reconnecting cannot fix (missing file, output mount taken, a missing element).
   */
  start(): Promise<void>;
  /** Resolves at the first frame; rejects when the first connection fails or no frame comes within `timeoutMs`. */
  firstFrame(timeoutMs: number): Promise<void>;
  /**
   * Stops discovery and the pipeline; its state is `stopped` at once, and the Promise resolves once the pipeline's
   * threads are joined and its mount is free (off the JS thread). Idempotent.
   */
  stop(reason?: string): Promise<void>;
  /** State for /status and /ready. */
  status(): StreamStatus;
  /** Description for /streams and GET /api/v1/live-stream. */
  info(): StreamInfo;
  /** Frame counters for /metrics. */
  counters(): StreamCounters;
  /** The newest annotated frame as JPEG, or null (before the first, or where the engine has none). */
  snapshot(): Buffer | null;
  /** The newest processed frame, or null before the first. */
  latest(): FrameDetections | null;
  /** Applies a changed overlay style while running (SIGHUP), where the engine draws the boxes itself. */
  setOverlay(style: OwlConfig['overlay']): void;
  /**
   * Another model is now in use (loaded after start, or reloaded on SIGHUP): adapt the pipeline to it if needed.
   * Resolves once adapted; never rejects (a pipeline that cannot start again is the stream's failure, in its state).
   */
  modelChanged(): Promise<void>;
  /**
   * Applies a changed `tracker` section while running (SIGHUP; tracks and ids are kept), where the engine tracks in
   * this process (Engine.trackerLive).
   */
  setTracker(tracker: OwlConfig['tracker']): void;
  /**
   * Applies the prompts now in force (its own, or the service-wide ones) to the newest frame at once, without
   * waiting for the model's next frame: where the engine keeps that frame's image-encoder outputs, they are decoded
   * again and pushed to the overlay, the API and Redis, marked as a re-decode of that frame. PromptControl calls it
   * after every change that concerns the stream.
   * @returns whether anything was pushed (false before the first frame, when nothing changed for it, or where the
   *   engine keeps no outputs).
   */
  redecode(): boolean;
}
