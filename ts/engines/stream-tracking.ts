// SPDX-License-Identifier: Apache-2.0
// What a portable stream reports of each model result, and the tracker behind it (config `tracker`). With the
// tracker on, every detection down to the low floor (lowScoreRatio x its prompt's threshold) goes to the stream's
// tracker at its frame's capture time, and what is reported (Redis, the overlay, GET /detections) is the detections
// of confirmed tracks, each with its track id: those above the threshold and, ByteTrack's second stage, those below
// it that continue an object already followed (partly hidden, say). A new object is reported from its minHits-th
// model result on. With the tracker off, the detections above the threshold are reported, without ids (the stream
// numbers them). Boxes are clipped to the frame either way, and one wholly outside it is no object.
// The tracker's labels are prompt indices: when a result comes with other prompts, the tracks of prompts that are
// gone are dropped and the others keep their ids under their new index. The same tracker is the pipeline's
// (Pipeline.setTracker), whose video branch draws each reported track where it is predicted at every output frame.
import type { OwlConfig } from '../config/schema';
import type { DetectResult, Detection } from '../model/detector';
import { clipToFrame } from '../model/frame-boxes';
import { Tracker, type Pipeline } from '../pipeline';

/** A reported detection: its box clipped to the frame, and its track id with the tracker on. */
export type ReportedDetection = Detection & { id?: number };

/** The frame a result belongs to. */
export interface TrackedFrame {
  /** Capture time on the pipeline's clock (PipelineFrame.timestampMs). */
  timestampMs: number;
  width: number;
  height: number;
}

/** One stream's tracking; see the file comment. */
export class StreamTracking {
  #config: OwlConfig['tracker'];
  // Created when first enabled and kept for the stream's life, so ids are never used twice in a stream.
  #tracker: Tracker | null = null;
  // The prompts and floor the tracker's labels and thresholds were set for (null: not yet).
  #labels: readonly string[] | null = null;
  #thresholdsFor = '';
  #pipeline: Pipeline | null = null;

  /** @throws {PipelineError} EINVAL for settings the tracker refuses (the config schema keeps them in range). */
  constructor(config: OwlConfig['tracker']) {
    this.#config = config;
    if (config.enabled) this.#tracker = new Tracker(trackerOptions(config));
  }

  /** What the model should decode down to, as a fraction of each prompt's threshold (BatchFrame.lowScoreRatio). */
  get lowScoreRatio(): number {
    return this.#config.enabled ? this.#config.lowScoreRatio : 1;
  }

  /** Gives the tracker to the stream's pipeline (and again to each new one), so it draws tracks where predicted. */
  attach(pipeline: Pipeline): void {
    this.#pipeline = pipeline;
    pipeline.setTracker(this.#config.enabled ? this.#tracker : null, this.#config.drawPredicted);
  }

  /**
   * New settings (SIGHUP): from the next result on; tracks and ids are kept, also across turning it off and on.
   * @throws {PipelineError} EINVAL for settings the tracker refuses (nothing changes then).
   */
  configure(config: OwlConfig['tracker']): void {
    if (config.enabled) {
      if (this.#tracker === null) this.#tracker = new Tracker(trackerOptions(config));
      else this.#tracker.setOptions(trackerOptions(config));
    }
    this.#config = config;
    this.#thresholdsFor = '';
    if (this.#pipeline !== null) this.attach(this.#pipeline);
  }

  /**
   * The detections to report for one model result of a frame (see the file comment), sorted by score.
   * @throws {PipelineError} EINVAL when the tracker refuses the frame (a non-finite box, a time that is not an integer).
   */
  report(frame: TrackedFrame, result: DetectResult): ReportedDetection[] {
    const tracker = this.#config.enabled ? this.#tracker : null;
    if (tracker === null) return clipToFrame(result.detections, frame.width, frame.height);
    this.#follow(tracker, result.prompts);
    const candidates = clipToFrame([...result.detections, ...result.lowDetections], frame.width, frame.height);
    const ids = tracker.update(frame.timestampMs, candidates);
    return candidates.flatMap((detection, i) => (ids[i] === 0 ? [] : [{ ...detection, id: ids[i] }]))
      .sort((a, b) => b.score - a.score);
  }

  /**
   * The detections to report for the newest result's frame decoded again with other prompts (a prompt change,
   * StreamRunner.redecode): as report(), except that a new object is confirmed at once rather than after minHits
   * model results, since the next result is a whole image-encoder run away and the new prompts are to show now.
   * Objects of the prompts that stay keep their tracks and ids (the same frame: the same boxes).
   * @throws {PipelineError} as report().
   */
  redecoded(frame: TrackedFrame, result: DetectResult): ReportedDetection[] {
    const tracker = this.#config.enabled ? this.#tracker : null;
    if (tracker === null) return this.report(frame, result);
    tracker.setOptions({ ...trackerOptions(this.#config), minHits: 1 });
    try {
      return this.report(frame, result);
    } finally {
      tracker.setOptions(trackerOptions(this.#config));
    }
  }

  // The tracker's labels and thresholds for the prompts a result was decoded with.
  #follow(tracker: Tracker, prompts: DetectResult['prompts']): void {
    const { objects, thresholds } = prompts;
    if (this.#labels !== null && !sameList(this.#labels, objects)) {
      tracker.remapLabels(this.#labels.map((label) => objects.indexOf(label)));
    }
    this.#labels = objects;
    const key = JSON.stringify([thresholds, this.#config.lowScoreRatio]);
    if (key === this.#thresholdsFor) return;
    tracker.setThresholds(thresholds, thresholds.map((t) => t * this.#config.lowScoreRatio));
    this.#thresholdsFor = key;
  }
}

/** The tracker options a `tracker` section sets (the others keep the core's defaults). */
function trackerOptions(config: OwlConfig['tracker']) {
  const { minHits, bufferMs, matchIou, lowMatchIou } = config;
  return { minHits, bufferMs, matchIou, lowMatchIou };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}
