// SPDX-License-Identifier: Apache-2.0
// Seeded pseudo-random numbers for the tracking scenes and the fuzz tests: the same seed gives the same draws on
// every machine, so a run can be replayed.

/** Uniform and normal draws from one seeded stream (mulberry32; normals by Box-Muller). */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Normal with the given mean and standard deviation. */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.next();  // (0, 1]: log is finite
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Poisson-distributed count with mean lambda (Knuth's method: lambda is small here). */
  poisson(lambda: number): number {
    const limit = Math.exp(-lambda);
    let k = 0;
    for (let p = this.next(); p > limit; p *= this.next()) k++;
    return k;
  }
}
