// SPDX-License-Identifier: Apache-2.0
// STAND-IN for the model in a real service process (loaded with NODE_OPTIONS=--require): no model weights that
// find an object can be shipped, and the tiny random model's boxes do not follow anything. OwlDetector.detectBatch
// is replaced by a detector that returns the true box of the test camera's `ball` pattern (a white ball on black):
// the bright pixels of the very tensor the pipeline handed over, mapped back through the model input's centred
// square padding (decode/preprocess.h) to source-frame pixels, as the first prompt at score 0.9. Each result takes
// BALL_STANDIN_DELAY_MS (default 300 ms), as a CPU model would, so most output frames come between two results.
// OwlDetector.redecode (a prompt change applied to the newest frame) gives that frame's ball again, as the first
// prompt of the set now in force.
// Everything else is the service's own: the pipeline, the scheduler, the tracker, Redis, the API, the RTSP output.
import { isMainThread } from 'node:worker_threads';

import {
  DEFAULT_PROMPT_SET, OwlDetector, type BatchFrame, type DetectResult, type Detection, type EncodedFrame,
} from '../../ts/model/detector';

const DELAY_MS = Number(process.env.BALL_STANDIN_DELAY_MS ?? 300);
/** A normalised value above this is the ball (white: about +1.9; black: about -1.8; padding: 0). */
const BRIGHT = 1;

/** The ball's box in source-frame pixels, or null when no pixel is bright. */
function ballBox(frame: BatchFrame, side: number): [number, number, number, number] | null {
  let [x0, y0, x1, y1] = [side, side, -1, -1];
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      if (frame.tensor[y * side + x] <= BRIGHT) continue;  // the red plane: [1,3,S,S]
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x + 1);
      y1 = Math.max(y1, y + 1);
    }
  }
  if (x1 < 0) return null;
  // The frame was scaled so its long side fills the square, then centred (rounded down).
  const scale = side / Math.max(frame.width, frame.height);
  const width = frame.width >= frame.height ? side : Math.max(1, Math.round(frame.width * scale));
  const height = frame.height >= frame.width ? side : Math.max(1, Math.round(frame.height * scale));
  const left = Math.floor((side - width) / 2);
  const top = Math.floor((side - height) / 2);
  const sx = width / frame.width;
  const sy = height / frame.height;
  return [(x0 - left) / sx, (y0 - top) / sy, (x1 - left) / sx, (y1 - top) / sy];
}

// Each result's "encoder outputs": no tensors, only the ball's box, for redecode.
const balls = new WeakMap<EncodedFrame, [number, number, number, number] | null>();

/** The ball as the first prompt of a set in force. */
function ballResult(detector: OwlDetector, set: string, encoded: EncodedFrame): Omit<DetectResult, 'timings' | 'batchSize'> {
  const prompts = detector.promptsOf(set);
  if (prompts === null) throw new Error(`stand-in: no prompt set ${set}`);
  const box = balls.get(encoded) ?? null;
  const detections: Detection[] = box === null ? [] : [{ label: prompts.objects[0], labelIndex: 0, score: 0.9, box }];
  return { detections, lowDetections: [], promptSet: set, promptVersion: prompts.version,
    prompts: { objects: prompts.objects, thresholds: prompts.thresholds }, encoded };
}

if (isMainThread) {
  OwlDetector.prototype.detectBatch = function detectBallStandIn(this: OwlDetector, frames: readonly BatchFrame[]):
    Promise<DetectResult>[] {
    return frames.map(async (frame) => {
      const t0 = performance.now();
      await new Promise((resolve) => setTimeout(resolve, DELAY_MS));
      const none = new Float32Array(0);
      const encoded = { classEmbeds: none, logitShift: none, logitScale: none, boxes: none, width: frame.width,
        height: frame.height };
      balls.set(encoded, ballBox(frame, this.inputSize));
      return {
        ...(frame.frameId === undefined ? {} : { frameId: frame.frameId }),
        ...ballResult(this, frame.promptSet ?? DEFAULT_PROMPT_SET, encoded), batchSize: frames.length,
        timings: { inferenceMs: DELAY_MS, decodeMs: 0, totalMs: performance.now() - t0 },
      };
    });
  };
  OwlDetector.prototype.redecode = function redecodeBallStandIn(this: OwlDetector, encoded: EncodedFrame,
    set = DEFAULT_PROMPT_SET): DetectResult {
    return { ...ballResult(this, set, encoded), batchSize: 0, timings: { inferenceMs: 0, decodeMs: 0, totalMs: 0 } };
  };
  process.stderr.write(`[ball detector stand-in] detectBatch replaced (${DELAY_MS} ms per result)\n`);
}
