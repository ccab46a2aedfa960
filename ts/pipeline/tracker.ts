// SPDX-License-Identifier: Apache-2.0
// One stream's multi-object tracker (ByteTrack made time-aware: native/src/tracker/tracker.h). Each model result is
// handed to update() at its frame's capture time and comes back with a track id per detection; given to a Pipeline
// (Pipeline.setTracker), the same tracker tells the video branch where each track is at every output frame.
import { TRACKER_DEFAULTS } from '../generated/shared-constants';
import { native, type NativeTracker, type NativeTrackerOptions } from '../native';
import { PipelineError } from './pipeline-error';

/** A tracker's settings; each field left out is TRACKER_DEFAULTS' (ts/generated/shared-constants.ts). */
export type TrackerOptions = Partial<NativeTrackerOptions>;

/** What update() needs of a detection (ts/model/detector.ts `Detection` fits). */
export interface TrackedDetection {
  /** The prompt's index: a track keeps its label, a detection of another label is another object. */
  labelIndex: number;
  score: number;
  /** x0, y0, x1, y1 in source-frame pixels. */
  box: readonly [number, number, number, number];
}

/** A started tracker; see the file comment. */
export class Tracker {
  readonly #native: NativeTracker;

  /** @throws {PipelineError} EINVAL naming an option of the wrong type or out of range. */
  constructor(options: TrackerOptions = {}) {
    try {
      this.#native = new native.Tracker({ ...TRACKER_DEFAULTS, ...options });
    } catch (err) {
      throw PipelineError.fromNative(err);
    }
  }

  /**
   * One model frame's detections, every one of them (those below a label's low threshold are ignored).
   * @param timestampMs the frame's capture time in integer ms (PipelineFrame.timestampMs): earlier than the last
   *   frame's starts over (a restarted source).
   * @returns per detection, its confirmed track's id, or 0 (a new object not yet confirmed, or not followed).
   * @throws {PipelineError} EINVAL for a time that is not an integer, a non-finite box or score, a negative label.
   */
  update(timestampMs: number, detections: readonly TrackedDetection[]): number[] {
    const n = detections.length;
    const labels = new Int32Array(n);
    const scores = new Float32Array(n);
    const boxes = new Float32Array(n * 4);
    detections.forEach((d, i) => {
      labels[i] = d.labelIndex;
      scores[i] = d.score;
      boxes.set(d.box, i * 4);
    });
    try {
      return Array.from(this.#native.update(timestampMs, labels, scores, boxes).trackIds);
    } catch (err) {
      throw PipelineError.fromNative(err);
    }
  }

  /**
   * Per label (prompt index), the score that starts and follows tracks (`high`, normally the prompt's threshold) and
   * the lower one that only extends confirmed tracks (`low`); labels beyond use the options' highScore and lowScore.
   * @throws {PipelineError} EINVAL for lists of different lengths or values out of 0 <= low <= high <= 1.
   */
  setThresholds(high: readonly number[], low: readonly number[]): void {
    try {
      this.#native.setThresholds(Float32Array.from(high), Float32Array.from(low));
    } catch (err) {
      throw PipelineError.fromNative(err);
    }
  }

  /**
   * The prompts changed: `oldToNew[label]` is each old label's new index, -1 where its prompt is gone. Tracks of the
   * labels gone are dropped; every other track keeps its id under its new index.
   */
  remapLabels(oldToNew: readonly number[]): void {
    this.#native.remapLabels(Int32Array.from(oldToNew));
  }

  /**
   * New settings from the next update on (fields left out: TRACKER_DEFAULTS); the tracks and their ids are kept.
   * @throws {PipelineError} EINVAL naming an option out of range (nothing changes then).
   */
  setOptions(options: TrackerOptions): void {
    try {
      this.#native.setOptions({ ...TRACKER_DEFAULTS, ...options });
    } catch (err) {
      throw PipelineError.fromNative(err);
    }
  }

  /** For Pipeline only: the native tracker its video branch predicts with. */
  get nativeTracker(): NativeTracker {
    return this.#native;
  }
}
