// SPDX-License-Identifier: Apache-2.0
// A small least-recently-used map: text embeddings per prompt string, so prompt lists that come back
// (a UI toggling between two sets) are not re-encoded.
import { expectedValue } from '../errors/expected';

/** A Map bounded to `capacity` entries; reading an entry makes it the most recent. Capacity 0 stores nothing. */
export class LruCache<K, V> {
  readonly #entries = new Map<K, V>();

  /** @param capacity most entries kept; the least recently used goes first. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(expectedValue('an integer >= 0', 'capacity', capacity));
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value for key (now the most recent), or undefined. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);  // Map keeps insertion order: re-inserting moves the key to the end
      this.#entries.set(key, value);
    }
    return value;
  }

  /** Stores value as the most recent entry, evicting the least recent beyond capacity. */
  set(key: K, value: V): void {
    this.#entries.delete(key);
    if (this.capacity === 0) return;
    this.#entries.set(key, value);
    while (this.#entries.size > this.capacity) {
      this.#entries.delete(this.#entries.keys().next().value as K);
    }
  }
}
