// SPDX-License-Identifier: Apache-2.0
// The running streams' bookkeeping: unique ids, internal keys, and their mounts on the one RTSP server. The first
// stream gets output.url's mount (/out, where the seed served its only stream); the others /out/<id>. A stream
// being stopped is no longer listed, but its mount stays taken until its pipeline has let go of it.
import type { ServiceStream } from './service-stream';
import type { StreamSpec } from './stream-spec';

// Mount paths keep to characters that need no escaping in an RTSP URL.
const UNSAFE_IN_MOUNT = /[^A-Za-z0-9._~-]+/g;

/** The running streams, in start order. */
export class StreamSet {
  readonly #runners: ServiceStream[] = [];
  // Mounts of streams removed but still stopping (one entry per stream).
  readonly #releasing: string[] = [];
  #nextKey = 1;

  /** How many streams run. */
  get size(): number {
    return this.#runners.length;
  }

  /** The running streams, in start order (a copy). */
  list(): ServiceStream[] {
    return [...this.#runners];
  }

  /** The stream with this id, if running. */
  find(id: string): ServiceStream | undefined {
    return this.#runners.find((runner) => runner.id === id);
  }

  /** Whether the stream is still running (not removed meanwhile). */
  has(runner: ServiceStream): boolean {
    return this.#runners.includes(runner);
  }

  /** A key no stream of this service has had. */
  newKey(): string {
    return `s${this.#nextKey++}`;
  }

  /** `wanted`, or `wanted-2`, `wanted-3`... when a running stream has it; '' stays '' (named later by VST). */
  uniqueId(wanted: string): string {
    if (wanted === '') return '';
    let id = wanted;
    for (let n = 2; this.find(id) !== undefined; n++) id = `${wanted}-${n}`;
    return id;
  }

  /**
   * Where a new stream's video is served on a server whose base mount is `baseMount` (output.url's): its
   * configured mount as is (a clash then fails that stream with a message naming the mount), else the base mount
   * while free, else <base>/<id>.
   */
  mountFor(spec: StreamSpec, id: string, baseMount: string): string {
    if (spec.mount !== '') return spec.mount;
    const taken = new Set([...this.#runners.map((runner) => runner.mount), ...this.#releasing]);
    if (!taken.has(baseMount)) return baseMount;
    const wanted = `${baseMount}/${id.replace(UNSAFE_IN_MOUNT, '-') || 'stream'}`;
    let mount = wanted;
    for (let n = 2; taken.has(mount); n++) mount = `${wanted}-${n}`;
    return mount;
  }

  /** Adds a started stream at the end. */
  add(runner: ServiceStream): void {
    this.#runners.push(runner);
  }

  /**
   * Forgets a stream being stopped (its id becomes free at once) and keeps its mount taken until `stopped`
   * settles.
   */
  remove(runner: ServiceStream, stopped: Promise<void>): void {
    const at = this.#runners.indexOf(runner);
    if (at < 0) return;
    this.#runners.splice(at, 1);
    const { mount } = runner;
    if (mount === null) return;
    this.#releasing.push(mount);
    const release = () => { this.#releasing.splice(this.#releasing.indexOf(mount), 1); };
    stopped.then(release, release);
  }
}
