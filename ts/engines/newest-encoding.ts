// SPDX-License-Identifier: Apache-2.0
// Prompts take effect at once: a portable stream keeps its newest frame's image-encoder outputs (class embeddings,
// logit shift and scale, boxes: one frame's worth, ~1.2 MB with the base model), and a prompt change decodes them
// again with the new text embeddings (under a millisecond) instead of waiting for the next image-encoder run
// (about a second on a CPU). The result describes the same frame, so it goes out as a re-decode of it: the same
// frame id and timestamp, marked (see the README, "Metadata on Redis").
import type { DetectResult, OwlDetector } from '../model/detector';

/** The frame a kept encoding came from, as the overlay, the API, Redis and the tracker name it. */
export interface EncodedFrameRef {
  frameId: number;
  width: number;
  height: number;
  /** Capture time on the pipeline's clock (PipelineFrame.timestampMs). */
  timestampMs: number;
}

/** The newest frame decoded again with the prompts now in force. */
export interface Redecoded {
  frame: EncodedFrameRef;
  /** When the frame was first decoded (the timestamp its first entry carried). */
  timestamp: Date;
  result: DetectResult;
}

interface Kept {
  /** The detector whose image encoder gave the outputs (a reloaded model's would not fit them). */
  detector: OwlDetector;
  frame: EncodedFrameRef;
  timestamp: Date;
  /** The outputs, and the prompt set and version they were last decoded with. */
  result: DetectResult;
}

/** One stream's newest image-encoder outputs; see the file comment. */
export class NewestEncoding {
  #kept: Kept | null = null;

  /** The frame kept, or null before the first (or after clear()). */
  get frame(): EncodedFrameRef | null {
    return this.#kept?.frame ?? null;
  }

  /** Keeps a decoded frame's outputs in place of the previous frame's. */
  keep(detector: OwlDetector, frame: EncodedFrameRef, timestamp: Date, result: DetectResult): void {
    const { frameId, width, height, timestampMs } = frame;
    this.#kept = { detector, frame: { frameId, width, height, timestampMs }, timestamp, result };
  }

  /** Forgets the kept outputs (they would be stale: detection paused, or a new pipeline). */
  clear(): void {
    this.#kept = null;
  }

  /**
   * Decodes the kept outputs with `set` as now in force (and lowScoreRatio: see BatchFrame).
   * @returns null when nothing is kept (or only another detector's outputs), or when they were already decoded with
   *   this version of this set.
   * @throws {ModelError} `runtime` when the set is not in force.
   */
  redecode(detector: OwlDetector, set: string, lowScoreRatio = 1): Redecoded | null {
    const kept = this.#kept;
    if (kept === null || kept.detector !== detector) return null;
    const version = detector.promptSets.get(set)?.state.version;
    if (set === kept.result.promptSet && version === kept.result.promptVersion) return null;
    const result = detector.redecode(kept.result.encoded, set, lowScoreRatio);
    kept.result = result;
    return { frame: kept.frame, timestamp: kept.timestamp, result };
  }
}
