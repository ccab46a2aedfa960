// SPDX-License-Identifier: Apache-2.0
// Detections as the metadata reports them: boxes within the frame. The model's boxes may reach past the frame
// (NanoOWL's come from a square padded around it); what lies outside is not part of the picture, and a box wholly
// outside it is not an object.

/** A box as x0, y0, x1, y1 in source-frame pixels. */
type Box = readonly [number, number, number, number];

/**
 * Each detection's box clipped to the frame [0, width] x [0, height], in order; those with no area left are dropped.
 * @returns new objects (the inputs are not changed).
 */
export function clipToFrame<T extends { box: Box }>(detections: readonly T[], width: number, height: number):
  (T & { box: [number, number, number, number] })[] {
  const clipped: (T & { box: [number, number, number, number] })[] = [];
  for (const detection of detections) {
    const [x0, y0, x1, y1] = detection.box;
    const box: [number, number, number, number] = [clamp(Math.min(x0, x1), width), clamp(Math.min(y0, y1), height),
      clamp(Math.max(x0, x1), width), clamp(Math.max(y0, y1), height)];
    if (box[2] > box[0] && box[3] > box[1]) clipped.push({ ...detection, box });
  }
  return clipped;
}

function clamp(value: number, limit: number): number {
  return Math.min(Math.max(value, 0), limit);
}
