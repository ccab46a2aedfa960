// SPDX-License-Identifier: Apache-2.0
// The standard multi-object tracking scores, written out here (as py-motmetrics and the MOTChallenge devkit
// compute them), over frames of ground truth and tracker output with ids:
// - CLEAR-MOT (Bernardin & Stiefelhagen 2008): per frame, a truth keeps the hypothesis it was matched to last
//   while their IoU stays >= the threshold; the others are matched optimally (most matches, then least
//   1 - IoU). An identity switch is a truth matched to another hypothesis than the one it was last matched to.
//   MOTA = 1 - (misses + false positives + switches) / truth boxes.
// - Identity scores (Ristani et al. 2016): one global one-to-one assignment of truth trajectories to
//   hypothesis trajectories maximising the frames where both exist and overlap (IoU >= threshold).
//   IDF1 = 2 IDTP / (truth boxes + hypothesis boxes).
import { minCostMatching, type Pair } from './assignment';

/** x0, y0, x1, y1 in pixels. */
export type Box = readonly [number, number, number, number];

/** A box with its id: a truth object's or a track's. */
export interface IdBox {
  id: number;
  box: Box;
}

/** One frame to score: every id at most once on each side. */
export interface ScoredFrame {
  truth: readonly IdBox[];
  hyps: readonly IdBox[];
}

/** Intersection over union of two boxes (0 when either has no area). */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

/** CLEAR-MOT counts and scores. */
export interface ClearMot {
  /** 1 - (misses + falsePositives + idSwitches) / truthBoxes; may be negative. */
  mota: number;
  /** Mean IoU of the matched pairs (1 = perfect boxes). */
  motp: number;
  truthBoxes: number;
  matches: number;
  misses: number;
  falsePositives: number;
  idSwitches: number;
}

/** CLEAR-MOT over the frames, matching at IoU >= threshold. */
export function clearMot(frames: readonly ScoredFrame[], threshold = 0.5): ClearMot {
  const lastHyp = new Map<number, number>();  // truth id -> the hypothesis it was matched to last
  let truthBoxes = 0, matches = 0, misses = 0, falsePositives = 0, idSwitches = 0, iouSum = 0;
  for (const { truth, hyps } of frames) {
    const hypIndex = new Map(hyps.map((h, i) => [h.id, i]));
    const truthTaken = new Uint8Array(truth.length);
    const hypTaken = new Uint8Array(hyps.length);
    const matched: [number, number][] = [];
    truth.forEach((t, i) => {  // correspondences kept from before
      const last = lastHyp.get(t.id);
      const j = last === undefined ? undefined : hypIndex.get(last);
      if (j !== undefined && !hypTaken[j] && iou(t.box, hyps[j].box) >= threshold) {
        truthTaken[i] = hypTaken[j] = 1;
        matched.push([i, j]);
      }
    });
    const pairs: Pair[] = [];
    const most = truth.length + hyps.length + 1;  // one more match outweighs any difference of 1 - IoU
    truth.forEach((t, i) => {
      if (truthTaken[i]) return;
      hyps.forEach((h, j) => {
        const overlap = hypTaken[j] ? 0 : iou(t.box, h.box);
        if (overlap >= threshold) pairs.push({ row: i, col: j, cost: 1 - overlap - most });
      });
    });
    for (const [i, j] of minCostMatching(truth.length, hyps.length, pairs)) {
      const previous = lastHyp.get(truth[i].id);
      if (previous !== undefined && previous !== hyps[j].id) idSwitches++;
      matched.push([i, j]);
    }
    for (const [i, j] of matched) {
      lastHyp.set(truth[i].id, hyps[j].id);
      iouSum += iou(truth[i].box, hyps[j].box);
    }
    truthBoxes += truth.length;
    matches += matched.length;
    misses += truth.length - matched.length;
    falsePositives += hyps.length - matched.length;
  }
  return {
    mota: truthBoxes === 0 ? 1 : 1 - (misses + falsePositives + idSwitches) / truthBoxes,
    motp: matches === 0 ? 0 : iouSum / matches,
    truthBoxes, matches, misses, falsePositives, idSwitches,
  };
}

/** Identity scores. */
export interface IdScores {
  idf1: number;
  /** IDTP / hypothesis boxes. */
  idPrecision: number;
  /** IDTP / truth boxes. */
  idRecall: number;
  /** Frames where a truth trajectory and the hypothesis trajectory assigned to it overlap. */
  idTruePositives: number;
  truthBoxes: number;
  hypBoxes: number;
  truthTrajectories: number;
  hypTrajectories: number;
}

/** IDF1, ID precision and ID recall over the frames, overlap meaning IoU >= threshold. */
export function idScores(frames: readonly ScoredFrame[], threshold = 0.5): IdScores {
  const truthRow = new Map<number, number>();
  const hypCol = new Map<number, number>();
  const overlaps = new Map<string, Pair>();  // "row:col" -> cost = -(frames where they overlap)
  let truthBoxes = 0, hypBoxes = 0;
  for (const { truth, hyps } of frames) {
    truthBoxes += truth.length;
    hypBoxes += hyps.length;
    for (const h of hyps) if (!hypCol.has(h.id)) hypCol.set(h.id, hypCol.size);
    for (const t of truth) {
      if (!truthRow.has(t.id)) truthRow.set(t.id, truthRow.size);
      const row = truthRow.get(t.id)!;
      for (const h of hyps) {
        if (iou(t.box, h.box) < threshold) continue;
        const col = hypCol.get(h.id)!;
        const entry = overlaps.get(`${row}:${col}`);
        if (entry === undefined) overlaps.set(`${row}:${col}`, { row, col, cost: -1 });
        else entry.cost--;
      }
    }
  }
  let idTruePositives = 0;
  for (const [row, col] of minCostMatching(truthRow.size, hypCol.size, [...overlaps.values()])) {
    idTruePositives -= overlaps.get(`${row}:${col}`)!.cost;
  }
  const total = truthBoxes + hypBoxes;
  return {
    idf1: total === 0 ? 1 : (2 * idTruePositives) / total,
    idPrecision: hypBoxes === 0 ? 1 : idTruePositives / hypBoxes,
    idRecall: truthBoxes === 0 ? 1 : idTruePositives / truthBoxes,
    idTruePositives, truthBoxes, hypBoxes, truthTrajectories: truthRow.size, hypTrajectories: hypCol.size,
  };
}
