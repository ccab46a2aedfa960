// SPDX-License-Identifier: Apache-2.0
// The one buffer of a metadata output (Redis, MQTT) and its drop counting. An entry is `waiting` (not handed to the
// connection yet) or `held` (taken by the output: on the wire, awaiting its acknowledgement, or being checked);
// both count against the bound. Past it the oldest waiting entries are dropped and counted; held ones never are,
// as they may be delivered already. At all times: accepted == delivered + dropped + size.

/** Counters of a {@link BoundedQueue}, monotonic. */
export interface QueueCounts {
  /** Entries pushed. */
  accepted: number;
  /** Entries the output reported delivered. */
  delivered: number;
  /** Entries given up: the oldest waiting ones past the bound, and all of them at dropAll(). */
  dropped: number;
}

/** A bounded FIFO of entries with the counting above; see the file comment. */
export class BoundedQueue<T> {
  #waiting: T[] = [];
  #held = 0;
  #capacity: number;
  readonly #counts: QueueCounts = { accepted: 0, delivered: 0, dropped: 0 };
  readonly #onOverflow: (dropped: number) => void;

  /**
   * @param capacity most entries waiting and held together (an integer >= 1).
   * @param onOverflow called after each trim with the number of entries it dropped.
   */
  constructor(capacity: number, onOverflow: (dropped: number) => void) {
    this.#capacity = capacity;
    this.#onOverflow = onOverflow;
  }

  /** The bound; a smaller one drops the oldest waiting entries beyond it at once. */
  get capacity(): number {
    return this.#capacity;
  }

  set capacity(capacity: number) {
    this.#capacity = capacity;
    this.#trim();
  }

  /** Entries accepted and neither delivered nor dropped: waiting plus held. */
  get size(): number {
    return this.#waiting.length + this.#held;
  }

  /** Entries not handed to the connection yet. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** A copy of the counters. */
  counts(): QueueCounts {
    return { ...this.#counts };
  }

  /** Appends an entry, dropping the oldest waiting ones when the bound is exceeded. */
  push(entry: T): void {
    this.#counts.accepted++;
    this.#waiting.push(entry);
    this.#trim();
  }

  /** Takes up to `max` of the oldest waiting entries; they are held until delivered() or giveBack(). */
  take(max: number): T[] {
    const taken = this.#waiting.splice(0, max);
    this.#held += taken.length;
    return taken;
  }

  /** `count` held entries were delivered: they leave the queue. */
  delivered(count: number): void {
    this.#held -= count;
    this.#counts.delivered += count;
  }

  /** Held entries go back to the front, in the order given, to be taken again (then the bound is applied). */
  giveBack(entries: readonly T[]): void {
    if (entries.length === 0) return;
    this.#held -= entries.length;
    this.#waiting = [...entries, ...this.#waiting];
    this.#trim();
  }

  /** Drops every entry, waiting and held (an output closing with entries undelivered). @returns how many. */
  dropAll(): number {
    const left = this.size;
    this.#counts.dropped += left;
    this.#waiting = [];
    this.#held = 0;
    return left;
  }

  #trim(): void {
    const excess = Math.min(this.size - this.#capacity, this.#waiting.length);
    if (excess <= 0) return;
    this.#waiting.splice(0, excess);
    this.#counts.dropped += excess;
    this.#onOverflow(excess);
  }
}
