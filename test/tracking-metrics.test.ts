// SPDX-License-Identifier: Apache-2.0
// The tracking benchmark's own parts (bench/tracking): its matching, its CLEAR-MOT and identity scores on tiny
// cases worked out by hand, and its scene generator's determinism. The scores are only as good as these.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { minCostMatching, type Pair } from '../bench/tracking/assignment';
import { clearMot, idScores, iou, type Box, type IdBox, type ScoredFrame } from '../bench/tracking/metrics';
import { Random } from '../bench/tracking/random';
import { generateScene } from '../bench/tracking/scene';

/** A 10×10 box at (x, y). */
const at = (x: number, y = 0): Box => [x, y, x + 10, y + 10];
const ids = (entries: [number, Box][]): IdBox[] => entries.map(([id, box]) => ({ id, box }));

describe('minCostMatching', () => {
  test('finds the optimum where taking the cheapest pair first does not', () => {
    const pairs: Pair[] = [{ row: 0, col: 0, cost: -3 }, { row: 0, col: 1, cost: -2 }, { row: 1, col: 0, cost: -2 }];
    assert.deepEqual(minCostMatching(2, 2, pairs), [[0, 1], [1, 0]]);
  });

  test('never takes a pair of cost >= 0, nor a row or column twice', () => {
    assert.deepEqual(minCostMatching(2, 2, [{ row: 0, col: 0, cost: 0 }, { row: 1, col: 1, cost: 1 }]), []);
    assert.deepEqual(minCostMatching(0, 0, []), []);
    assert.deepEqual(minCostMatching(3, 1, [{ row: 0, col: 0, cost: -1 }, { row: 2, col: 0, cost: -5 }]), [[2, 0]]);
  });

  test('agrees with exhaustive search on random problems', () => {
    const rnd = new Random(7);
    for (let round = 0; round < 200; round++) {
      const rows = 1 + Math.floor(rnd.next() * 5), cols = 1 + Math.floor(rnd.next() * 5);
      const cost = new Map<string, number>();
      const pairs: Pair[] = [];
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          if (rnd.chance(0.5)) continue;
          const value = rnd.uniform(-1, 0.2);
          cost.set(`${r}:${c}`, value);
          pairs.push({ row: r, col: c, cost: value });
        }
      }
      const best = (r: number, used: Set<number>): number => {
        if (r === rows) return 0;
        let value = best(r + 1, used);
        for (let c = 0; c < cols; c++) {
          const v = cost.get(`${r}:${c}`);
          if (v === undefined || used.has(c)) continue;
          used.add(c);
          value = Math.min(value, v + best(r + 1, used));
          used.delete(c);
        }
        return value;
      };
      const matches = minCostMatching(rows, cols, pairs);
      const total = matches.reduce((sum, [r, c]) => sum + cost.get(`${r}:${c}`)!, 0);
      assert.ok(Math.abs(total - best(0, new Set())) < 1e-9, `round ${round}`);
      assert.equal(new Set(matches.map(([r]) => r)).size, matches.length);
      assert.equal(new Set(matches.map(([, c]) => c)).size, matches.length);
    }
  });
});

describe('iou', () => {
  test('known overlaps', () => {
    assert.equal(iou(at(0), at(0)), 1);
    assert.equal(iou(at(0), at(5)), 50 / 150);
    assert.equal(iou(at(0), at(10)), 0);
    assert.equal(iou(at(0), [0, 0, 0, 10]), 0);
  });
});

describe('clearMot', () => {
  test('perfect tracking: MOTA 1, no switch', () => {
    const frames: ScoredFrame[] = [0, 1, 2].map((t) => ({
      truth: ids([[1, at(t)], [2, at(50 + t)]]), hyps: ids([[7, at(t)], [8, at(50 + t)]]),
    }));
    const m = clearMot(frames);
    assert.deepEqual({ ...m, motp: 0 }, { mota: 1, motp: 0, truthBoxes: 6, matches: 6, misses: 0, falsePositives: 0, idSwitches: 0 });
    assert.equal(m.motp, 1);
  });

  test('two tracks trading their objects: a switch for each object', () => {
    const frames: ScoredFrame[] = [
      { truth: ids([[1, at(0)], [2, at(50)]]), hyps: ids([[7, at(0)], [8, at(50)]]) },
      { truth: ids([[1, at(0)], [2, at(50)]]), hyps: ids([[8, at(0)], [7, at(50)]]) },
      { truth: ids([[1, at(0)], [2, at(50)]]), hyps: ids([[8, at(0)], [7, at(50)]]) },
    ];
    const m = clearMot(frames);
    assert.equal(m.idSwitches, 2);
    assert.equal(m.mota, 1 - 2 / 6);
  });

  test('a miss, a false positive, and a box too far off (IoU < 0.5) is both', () => {
    const frames: ScoredFrame[] = [
      { truth: ids([[1, at(0)], [2, at(50)]]), hyps: ids([[7, at(0)], [9, at(200)]]) },
      { truth: ids([[1, at(0)]]), hyps: ids([[7, at(4)]]) },  // IoU 60/140 < 0.5
    ];
    const m = clearMot(frames);
    assert.deepEqual([m.matches, m.misses, m.falsePositives, m.idSwitches], [1, 2, 2, 0]);
    assert.equal(m.mota, 1 - 4 / 3);
  });

  test('a correspondence is kept while it holds, even when another hypothesis overlaps better', () => {
    const frames: ScoredFrame[] = [
      { truth: ids([[1, at(0)]]), hyps: ids([[7, at(0)]]) },
      { truth: ids([[1, at(0)]]), hyps: ids([[7, at(2)], [8, at(0)]]) },  // 7 still at IoU 80/120
    ];
    const m = clearMot(frames);
    assert.deepEqual([m.idSwitches, m.falsePositives], [0, 1]);
  });

  test('coming back to another track after a gap is a switch', () => {
    const frames: ScoredFrame[] = [
      { truth: ids([[1, at(0)]]), hyps: ids([[7, at(0)]]) },
      { truth: ids([[1, at(0)]]), hyps: [] },
      { truth: ids([[1, at(0)]]), hyps: ids([[8, at(0)]]) },
    ];
    assert.equal(clearMot(frames).idSwitches, 1);
  });
});

describe('idScores', () => {
  test('one object split between two tracks: IDTP is the longer part', () => {
    const frames: ScoredFrame[] = [0, 1, 2, 3, 4].map((t) => ({ truth: ids([[1, at(0)]]), hyps: ids([[t < 3 ? 7 : 8, at(0)]]) }));
    const s = idScores(frames);
    assert.equal(s.idTruePositives, 3);
    assert.equal(s.idf1, (2 * 3) / 10);
    assert.deepEqual([s.idPrecision, s.idRecall, s.truthTrajectories, s.hypTrajectories], [0.6, 0.6, 1, 2]);
  });

  test('the global assignment, not each object\'s best track', () => {
    // Track 7 covers object 1 for 3 frames then object 2 for 2; track 8 covers object 1 for the last 2.
    // Object 1 -> 7 alone gives 3; object 1 -> 8 and object 2 -> 7 give 2 + 2 = 4.
    const frames: ScoredFrame[] = [
      ...[0, 1, 2].map(() => ({ truth: ids([[1, at(0)]]), hyps: ids([[7, at(0)]]) })),
      ...[3, 4].map(() => ({ truth: ids([[1, at(0)], [2, at(50)]]), hyps: ids([[8, at(0)], [7, at(50)]]) })),
    ];
    const s = idScores(frames);
    assert.equal(s.idTruePositives, 4);
    assert.equal(s.idf1, (2 * 4) / (7 + 7));
  });

  test('nothing published: IDF1 0; nothing at all: 1', () => {
    assert.equal(idScores([{ truth: ids([[1, at(0)]]), hyps: [] }]).idf1, 0);
    assert.equal(idScores([{ truth: [], hyps: [] }]).idf1, 1);
  });
});

describe('generateScene', () => {
  const spec = { name: 't', modelFps: 5, jitter: 0.3, objects: 10, durationS: 10 };

  test('the same seed gives the same scene; another seed another', () => {
    const a = generateScene(spec, 42), b = generateScene(spec, 42), c = generateScene(spec, 43);
    assert.deepEqual(a.frames, b.frames);
    assert.notDeepEqual(a.frames.map((f) => f.boxes), c.frames.map((f) => f.boxes));
  });

  test('model frames at the asked rate with jittered intervals; boxes inside the frame; sources name the truth', () => {
    const scene = generateScene(spec, 42);
    assert.ok(Math.abs(scene.frames.length - 50) <= 8, `${scene.frames.length} frames`);
    const gaps = scene.frames.slice(1).map((f, i) => f.timeMs - scene.frames[i].timeMs);
    assert.ok(Math.min(...gaps) >= 133 && Math.max(...gaps) <= 267 && new Set(gaps).size > 1, gaps.join(','));
    for (const f of scene.frames) {
      assert.equal(f.boxes.length, 4 * f.labels.length);
      assert.equal(f.sources.length, f.labels.length);
      for (const t of f.truth) assert.ok(t.box[0] >= 0 && t.box[1] >= 0 && t.box[2] <= 1280 && t.box[3] <= 720);
      const truthIds = new Set(f.truth.map((t) => t.id));
      for (const source of f.sources) assert.ok(source === 0 || truthIds.has(source));
    }
    assert.ok(scene.falsePositives > 0 && scene.detections > scene.falsePositives);
  });
});
