// SPDX-License-Identifier: Apache-2.0
// The running streams: unique ids, internal keys, and their mounts on the one RTSP server. The first stream
// gets output.url's mount (/out, where the seed served its only stream); the others /out/<id>.
import type { ServiceStream } from './service-stream';
import type { StreamSpec } from './stream-spec';

// Mount paths keep to characters that need no escaping in an RTSP URL.
const UNSAFE_IN_MOUNT = /[^A-Za-z0-9._~-]+/g;

/** The running streams, in start order. */
export class StreamSet {
  readonly #runners: ServiceStream[] = [];
  #nextKey = 1;

  /** @param baseMount output.url's mount (e.g. "/out"), or null when the video output is off. */
  constructor(readonly baseMount: string | null) {}

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
   * Where a new stream's video is served: its configured mount as is (a clash then fails that stream with a
   * message naming the mount), else the base mount while free, else <base>/<id>.
   * @returns null when the video output is off.
   */
  mountFor(spec: StreamSpec, id: string): string | null {
    if (this.baseMount === null) return null;
    if (spec.mount !== '') return spec.mount;
    const taken = new Set(this.#runners.map((runner) => runner.mount));
    if (!taken.has(this.baseMount)) return this.baseMount;
    const wanted = `${this.baseMount}/${id.replace(UNSAFE_IN_MOUNT, '-') || 'stream'}`;
    let mount = wanted;
    for (let n = 2; taken.has(mount); n++) mount = `${wanted}-${n}`;
    return mount;
  }

  /** Adds a started stream at the end. */
  add(runner: ServiceStream): void {
    this.#runners.push(runner);
  }

  /** Forgets a stopped stream (its id and mount become free). */
  remove(runner: ServiceStream): void {
    const at = this.#runners.indexOf(runner);
    if (at >= 0) this.#runners.splice(at, 1);
  }
}
