// SPDX-License-Identifier: Apache-2.0
// Box colours, one per prompt index (prompt i gets colour i modulo the length). Saturated, mutually
// distinct colours (Sasha Trubetskoy's list), so neighbouring prompts never look alike; the native
// overlay draws with whatever palette it is given.

/** An sRGB colour, 0-255 per channel. */
export type Rgb = readonly [number, number, number];

/** The default overlay palette; index 0 (the first prompt) is red (230, 25, 75). */
export const OVERLAY_PALETTE: readonly Rgb[] = [
  [230, 25, 75], // red
  [60, 180, 75], // green
  [0, 130, 200], // blue
  [245, 130, 48], // orange
  [145, 30, 180], // purple
  [70, 240, 240], // cyan
  [240, 50, 230], // magenta
  [255, 225, 25], // yellow
  [210, 245, 60], // lime
  [0, 128, 128], // teal
  [170, 110, 40], // brown
  [250, 190, 212], // pink
];
