// SPDX-License-Identifier: Apache-2.0
// The trackers the tracking benchmark compares, behind one interface: owl-stream's (native.Tracker, through
// the addon as the service will call it) and node-moving-things-tracker (opendatacam's tracker, the JS peer).
// Each turns a scene's model frames into tracked boxes with ids, timing only its own update call.
import { native, type NativeTrackerOptions } from '../../ts/native';
import type { IdBox } from './metrics';
import type { SceneFrame } from './scene';

/** One tracker run over one scene. */
export interface TrackerRun {
  /** The tracked boxes of one model frame (what it would publish), in frame order. */
  step(frame: SceneFrame): IdBox[];
  /** Total time spent in the tracker's update calls, in ms. */
  readonly updateMs: number;
}

function boxOf(boxes: Float32Array, i: number): [number, number, number, number] {
  return [boxes[i * 4], boxes[i * 4 + 1], boxes[i * 4 + 2], boxes[i * 4 + 3]];
}

/**
 * owl-stream's tracker. Its output is what goes to Redis: each detection matched to a confirmed track, with the
 * detection's own box and the track's id (tentative and unmatched detections are not published).
 */
export class OwlTrackerRun implements TrackerRun {
  readonly tracker;
  updateMs = 0;

  constructor(options: NativeTrackerOptions = native.trackerDefaults) {
    this.tracker = new native.Tracker(options);
  }

  step(frame: SceneFrame): IdBox[] {
    const t0 = process.hrtime.bigint();
    const { trackIds } = this.tracker.update(frame.timeMs, frame.labels, frame.scores, frame.boxes);
    this.updateMs += Number(process.hrtime.bigint() - t0) / 1e6;
    const out: IdBox[] = [];
    trackIds.forEach((id, i) => { if (id !== 0) out.push({ id, box: boxOf(frame.boxes, i) }); });
    return out;
  }
}

/**
 * The reference ceiling: publishes every true detection (any score) with its object's id and no false positive.
 * No tracker publishing detection boxes can do better on these detections.
 */
export class OracleRun implements TrackerRun {
  readonly updateMs = 0;

  step(frame: SceneFrame): IdBox[] {
    const out: IdBox[] = [];
    frame.sources.forEach((id, i) => { if (id !== 0) out.push({ id, box: boxOf(frame.boxes, i) }); });
    return out;
  }
}

/** node-moving-things-tracker's module API (it keeps one tracker in module state). */
interface PeerItem {
  id: number;
  /** Centre and size. */
  x: number;
  y: number;
  w: number;
  h: number;
  /** Not matched at this frame (carried at its predicted place). */
  isZombie: boolean;
}
interface PeerTrackerModule {
  reset(): void;
  setParams(params: Record<string, unknown>): void;
  updateTrackedItemsWithNewFrame(detections: object[], frameNb: number): void;
  getJSONOfTrackedItems(roundInt?: boolean): PeerItem[];
}

/** The peer's own defaults (tracker.js), restated at every run because its state outlives a run. */
export const PEER_PARAMS = { unMatchedFramesTolerance: 5, iouLimit: 0.05, fastDelete: true, matchingAlgorithm: 'kdTree' };

/**
 * node-moving-things-tracker 0.9.1 with its defaults, fed as opendatacam feeds it: the detections at or above
 * the detector's threshold (highScore), frame by frame (it counts frames, it has no clock). Its output: the
 * items matched at this frame (not its "zombies"), which carry the matched detection's box.
 */
export class PeerTrackerRun implements TrackerRun {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  static readonly #module: PeerTrackerModule = require('node-moving-things-tracker/tracker');
  updateMs = 0;
  #frame = 0;

  constructor(readonly highScore: number) {
    PeerTrackerRun.#module.reset();
    PeerTrackerRun.#module.setParams(PEER_PARAMS);
  }

  step(frame: SceneFrame): IdBox[] {
    const detections: object[] = [];
    frame.labels.forEach((label, i) => {
      if (frame.scores[i] < this.highScore) return;
      const [x0, y0, x1, y1] = boxOf(frame.boxes, i);
      detections.push({ x: (x0 + x1) / 2, y: (y0 + y1) / 2, w: x1 - x0, h: y1 - y0, confidence: frame.scores[i],
        name: String(label) });
    });
    const peer = PeerTrackerRun.#module;
    const t0 = process.hrtime.bigint();
    peer.updateTrackedItemsWithNewFrame(detections, this.#frame++);
    const items = peer.getJSONOfTrackedItems(false);
    this.updateMs += Number(process.hrtime.bigint() - t0) / 1e6;
    return items.filter((item) => !item.isZombie).map((item) => ({
      id: item.id, box: [item.x - item.w / 2, item.y - item.h / 2, item.x + item.w / 2, item.y + item.h / 2] as const,
    }));
  }
}
