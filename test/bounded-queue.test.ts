// SPDX-License-Identifier: Apache-2.0
// The metadata outputs' one buffer (ts/output/bounded-queue.ts) on its own: the bound over waiting and held entries,
// which ones are dropped, the order entries come back in, and the counts that always add up.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedQueue } from '../ts/output/bounded-queue';

function queue(capacity: number): { q: BoundedQueue<number>; overflows: number[] } {
  const overflows: number[] = [];
  return { q: new BoundedQueue<number>(capacity, (n) => overflows.push(n)), overflows };
}

const balanced = (q: BoundedQueue<number>) => {
  const { accepted, delivered, dropped } = q.counts();
  return accepted === delivered + dropped + q.size;
};

describe('BoundedQueue', () => {
  it('drops the oldest waiting entries past the bound, never held ones, and says how many', () => {
    const { q, overflows } = queue(3);
    for (const n of [1, 2, 3]) q.push(n);
    assert.deepEqual(q.take(2), [1, 2]);
    q.push(4);
    q.push(5);
    // 1 and 2 are held (maybe delivered already): the waiting 3 goes, then 4.
    assert.deepEqual([q.size, q.waiting, overflows], [3, 1, [1, 1]]);
    assert.deepEqual(q.take(5), [5]);
    assert.deepEqual(q.counts(), { accepted: 5, delivered: 0, dropped: 2 });
    assert.ok(balanced(q));
  });

  it('gives held entries back to the front in the order given, then applies the bound', () => {
    const { q } = queue(4);
    for (const n of [1, 2, 3, 4]) q.push(n);
    const batch = q.take(3);
    q.delivered(1);
    q.giveBack(batch.slice(1));
    assert.deepEqual(q.take(10), [2, 3, 4]);
    q.giveBack([2, 3, 4]);
    q.push(5);
    q.push(6);
    // Three given back plus two is one too many: the oldest waiting (2) is dropped.
    assert.deepEqual(q.take(10), [3, 4, 5, 6]);
    assert.deepEqual(q.counts(), { accepted: 6, delivered: 1, dropped: 1 });
    assert.ok(balanced(q));
  });

  it('drops at once when the bound shrinks, and everything at dropAll()', () => {
    const { q, overflows } = queue(10);
    for (let n = 0; n < 8; n++) q.push(n);
    q.take(2);
    q.capacity = 5;
    assert.deepEqual([q.size, q.waiting, overflows], [5, 3, [3]]);
    assert.deepEqual(q.take(10), [5, 6, 7]);
    assert.equal(q.dropAll(), 5);
    assert.deepEqual([q.size, q.counts()], [0, { accepted: 8, delivered: 0, dropped: 8 }]);
    q.giveBack([]);
    assert.ok(balanced(q));
  });
});
