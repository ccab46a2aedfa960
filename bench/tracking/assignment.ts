// SPDX-License-Identifier: Apache-2.0
// Minimum-cost matching for the tracking metrics, written here so that the scoring shares no code with the
// tracker it scores. Rows and columns are matched at most once, only through listed pairs; a pair is used
// only where its cost is below zero (leaving a row alone costs 0), and the sum is minimal. The sparse pairs
// are split into connected components, each solved exactly by the Hungarian method (shortest augmenting
// paths with potentials), the smaller side as rows plus one zero-cost "alone" column per row.

/** A pair that may be matched. */
export interface Pair {
  row: number;
  col: number;
  cost: number;
}

function find(parent: Int32Array, node: number): number {
  while (parent[node] !== node) {
    parent[node] = parent[parent[node]];
    node = parent[node];
  }
  return node;
}

/** Dense Hungarian on n rows × m columns (n <= m), cost(i, j) 0-based; returns the row of each column or -1. */
function hungarian(n: number, m: number, cost: (i: number, j: number) => number): Int32Array {
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const owner = new Int32Array(m + 1);  // 1-based row owning column j; 0 = none
  const way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    owner[0] = i;
    let j0 = 0;
    const minSlack = new Float64Array(m + 1).fill(Infinity);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = owner[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const slack = cost(i0 - 1, j - 1) - u[i0] - v[j];
        if (slack < minSlack[j]) {
          minSlack[j] = slack;
          way[j] = j0;
        }
        if (minSlack[j] < delta) {
          delta = minSlack[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[owner[j]] += delta;
          v[j] -= delta;
        } else {
          minSlack[j] -= delta;
        }
      }
      j0 = j1;
    } while (owner[j0] !== 0);
    do {
      const j1 = way[j0];
      owner[j0] = owner[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const rowOf = new Int32Array(m).fill(-1);
  for (let j = 1; j <= m; j++) rowOf[j - 1] = owner[j] - 1;
  return rowOf;
}

/**
 * The minimum-cost matching among `pairs` (pairs with cost >= 0 are never worth taking). Returns [row, col]
 * pairs sorted by row.
 */
export function minCostMatching(rows: number, cols: number, pairs: readonly Pair[]): [number, number][] {
  const useful = pairs.filter((p) => p.cost < 0);
  const parent = Int32Array.from({ length: rows + cols }, (_, i) => i);
  for (const p of useful) {
    const a = find(parent, p.row);
    const b = find(parent, rows + p.col);
    if (a !== b) parent[a] = b;
  }
  const components = new Map<number, Pair[]>();
  for (const p of useful) {
    const root = find(parent, p.row);
    const list = components.get(root);
    if (list === undefined) components.set(root, [p]);
    else list.push(p);
  }
  const matches: [number, number][] = [];
  for (const list of components.values()) {
    const rowIds = [...new Set(list.map((p) => p.row))];
    const colIds = [...new Set(list.map((p) => p.col))];
    const transpose = rowIds.length > colIds.length;
    const [small, large] = transpose ? [colIds, rowIds] : [rowIds, colIds];
    const smallIndex = new Map(small.map((id, i) => [id, i]));
    const largeIndex = new Map(large.map((id, i) => [id, i]));
    const dense = new Float64Array(small.length * large.length);  // 0: as good as staying alone
    for (const p of list) {
      const [s, l] = transpose ? [p.col, p.row] : [p.row, p.col];
      const k = smallIndex.get(s)! * large.length + largeIndex.get(l)!;
      dense[k] = Math.min(dense[k], p.cost);
    }
    const rowOf = hungarian(small.length, large.length + small.length,
      (i, j) => (j < large.length ? dense[i * large.length + j] : 0));
    for (let j = 0; j < large.length; j++) {
      const i = rowOf[j];
      if (i < 0 || dense[i * large.length + j] >= 0) continue;
      matches.push(transpose ? [large[j], small[i]] : [small[i], large[j]]);
    }
  }
  return matches.sort((a, b) => a[0] - b[0]);
}
