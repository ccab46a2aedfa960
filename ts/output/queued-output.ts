// SPDX-License-Identifier: Apache-2.0
// What the metadata outputs (Redis: ts/redis/publisher.ts, MQTT: ts/mqtt/publisher.ts) do alike: take each processed
// frame without ever blocking or throwing (every Nth of each sensor, as Minimal Schema), keep it in the one bounded
// queue (bounded-queue.ts) until the peer took it, track the connection's state and the problem in words, warn
// operators once per episode, and flush within a budget at close. How entries reach the peer, and what counts as
// delivered, is the subclass's (its `pump`).
import { EventEmitter } from 'node:events';
import type { Debugger } from 'debug';
import type { FrameMetadata } from '../redis/minimal-schema';
import { BoundedQueue } from './bounded-queue';

/**
 * `connecting`: first connection (or one after `update` to another peer) not made yet; `ready`: entries are being
 * delivered; `down`: the peer is unreachable or refusing entries, which wait in memory; `closed`: after `close()`.
 */
export type PublisherState = 'connecting' | 'ready' | 'down' | 'closed';

/** Counters and state of an output; `published == sent + dropped + queued` at all times. */
export interface PublisherStatus {
  state: PublisherState;
  /** Entries accepted but not yet delivered (waiting, on the wire, or being checked); at most queueSize. */
  queued: number;
  /** Entries accepted by `publish()`. */
  published: number;
  /** Entries the peer acknowledged. */
  sent: number;
  /** Entries given up: the oldest ones past `queueSize`, and any left at `close()`. */
  dropped: number;
  /** Frames not published because of `outputInterval`. */
  skipped: number;
  /** Frames that could not be written (e.g. a label containing `|`, a topic too long). */
  rejected: number;
  /**
   * Connection errors (refused, timed out, TLS or credentials refused), connections closed by the peer or the
   * network, and round trips that failed.
   */
  errors: number;
  /** The current problem, in words that name the peer and what to check; null while the peer takes entries. */
  lastError: string | null;
}

/** The settings every output has, read at each use (update() replaces them). */
export interface QueuedOutputSettings {
  /** Most entries kept in memory (waiting and on the wire). */
  queueSize: number;
  /** Publish every Nth frame of each sensor. */
  outputInterval: number;
  /** Receives warnings for operators. */
  warn: (message: string) => void;
}

/** How an output names itself in warnings and its debug lines. */
export interface OutputNames {
  /** e.g. 'Redis': "Redis metadata output is down: …". */
  output: string;
  /** Who takes the entries: "… and are sent when Redis is back". */
  peer: string;
  debug: Debugger;
}

/** Events of {@link QueuedOutput}. */
export interface QueuedOutput<T, O extends QueuedOutputSettings> {
  /** Emitted on `process.nextTick` after each state change. */
  on(event: 'state', listener: (state: PublisherState, previous: PublisherState) => void): this;
  once(event: 'state', listener: (state: PublisherState, previous: PublisherState) => void): this;
  off(event: 'state', listener: (state: PublisherState, previous: PublisherState) => void): this;
}

/** The shared part of a metadata output; see the file comment. */
export abstract class QueuedOutput<T, O extends QueuedOutputSettings> extends EventEmitter {
  /** Entries accepted and not yet delivered; the output's only buffer. */
  protected readonly queue: BoundedQueue<T>;
  /** Set once close() stopped delivering: late replies and events are ignored. */
  protected stopped = false;
  #state: PublisherState = 'connecting';
  #lastError: string | null = null;
  readonly #counts = { skipped: 0, rejected: 0, errors: 0 };
  /** Frames offered so far, per sensor: with several cameras, each keeps its own `outputInterval` rhythm. */
  readonly #frames = new Map<string, number>();
  #pumpSoon?: NodeJS.Immediate;
  #downSince = 0;
  #overflowWarned = false;
  #rejectWarned = false;
  #closing?: Promise<void>;
  readonly #progressWaiters = new Set<() => void>();

  protected constructor(protected readonly names: OutputNames, protected options: O) {
    super();
    this.queue = new BoundedQueue<T>(options.queueSize, () => this.#overflowed());
  }

  /**
   * Queues one processed frame (or skips it, per `outputInterval`; a re-decode is never skipped and does not count
   * as a frame for the interval). Synchronous, never throws, never waits.
   * @returns true when the frame was queued; false when skipped, rejected or after close().
   */
  publish(frame: FrameMetadata): boolean {
    if (this.#closing) return false;
    // Read defensively: a malformed frame is refused (and counted) below, never thrown here.
    if ((frame as Partial<FrameMetadata> | null)?.redecode !== true && this.#skipped(frame)) return false;
    let entry: T;
    try {
      entry = this.entry(frame);
    } catch (err) {
      this.#counts.rejected++;
      if (!this.#rejectWarned) {
        this.#rejectWarned = true;
        this.warn(`${this.names.output} metadata output skipped a frame: ${(err as Error).message}`);
      }
      return false;
    }
    this.#rejectWarned = false;
    this.queue.push(entry);
    this.schedulePump();
    return true;
  }

  /** Current state and counters. */
  status(): PublisherStatus {
    const { accepted, delivered, dropped } = this.queue.counts();
    return { state: this.#state, queued: this.queue.size, published: accepted, sent: delivered, dropped,
      ...this.#counts, lastError: this.#lastError };
  }

  /**
   * Stops accepting frames, sends what it can within `flushMs` (returning at once while the peer is down), then
   * disconnects. Entries still undelivered are counted as dropped. Resolves; never rejects.
   * @param flushMs most milliseconds spent delivering queued entries. @default 1000
   */
  close({ flushMs = 1000 }: { flushMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#shutdown(flushMs);
    return this.#closing;
  }

  /** Whether close() was called. */
  protected get closing(): boolean {
    return this.#closing !== undefined;
  }

  protected get state(): PublisherState {
    return this.#state;
  }

  /** The entry a frame becomes. @throws {Error} naming what cannot be written (counted as rejected). */
  protected abstract entry(frame: FrameMetadata): T;

  /** Hands waiting entries to the connection as far as it takes them now; called after each publish tick. */
  protected abstract pump(): void;

  /** Ends the connection after close() stopped delivering (bounded in time); held entries are dropped after it. */
  protected abstract release(): Promise<void>;

  /** The peer, for messages: host:port or URL. */
  protected abstract target(): string;

  /** Runs pump() once the current tick is over: publishes of one tick share one round trip. */
  protected schedulePump(): void {
    if (this.#pumpSoon || this.stopped) return;
    this.#pumpSoon = setImmediate(() => {
      this.#pumpSoon = undefined;
      if (!this.stopped) this.pump();
    });
  }

  /** Applies the settings shared by every output (the queue bound at once). */
  protected applyOptions(options: O): void {
    this.options = options;
    this.queue.capacity = options.queueSize;
  }

  /** One connection error, closed connection or failed round trip. */
  protected countError(): void {
    this.#counts.errors++;
  }

  /** The peer took entries: the problem is over, and an overflow episode ends once the queue is empty again. */
  protected progressed(): void {
    if (this.queue.waiting === 0) this.#overflowWarned = false;
    this.markUp();
  }

  /** The connection is up and takes entries: /status and /ready stop showing the problem. */
  protected markUp(): void {
    this.#lastError = null;
    if (this.#state === 'ready') return;
    if (this.#state === 'down') {
      const seconds = ((Date.now() - this.#downSince) / 1000).toFixed(1);
      this.warn(`${this.names.output} metadata output is back at ${this.target()} after ${seconds} s; `
        + `${this.queue.size} entries queued, ${this.queue.counts().dropped} dropped so far.`);
    }
    this.setState('ready');
  }

  /** The peer cannot take entries, for `reason` (said once per outage; kept as the last error). */
  protected onDown(reason: string): void {
    this.#lastError = reason;
    if (this.#state === 'down') {
      this.names.debug('still down: %s', reason);
      return;
    }
    this.#downSince = Date.now();
    this.warn(`${this.names.output} metadata output is down: ${reason}. Entries wait in memory `
      + `(up to ${this.options.queueSize}) and are sent when ${this.names.peer} is back.`);
    this.setState('down');
  }

  protected setState(next: PublisherState): void {
    if (next === this.#state) return;
    const previous = this.#state;
    this.#state = next;
    this.names.debug('%s: %s -> %s', this.target(), previous, next);
    process.nextTick(() => this.emit('state', next, previous));
    this.notifyProgress();
  }

  /** Wakes close()'s flush loop: a round trip settled or the state changed. */
  protected notifyProgress(): void {
    for (const done of [...this.#progressWaiters]) done();
  }

  /** Hands a message to the injected logger; a throwing logger must not break publish() or the pump. */
  protected warn(message: string): void {
    try {
      this.options.warn(message);
    } catch (err) {
      this.names.debug('warn logger threw: %O', err);
    }
  }

  async #shutdown(flushMs: number): Promise<void> {
    const deadline = Date.now() + flushMs;
    while (this.queue.size > 0 && this.#state !== 'down' && Date.now() < deadline) {
      await this.#nextProgress(deadline - Date.now());
    }
    this.stopped = true;
    clearImmediate(this.#pumpSoon);
    await this.release();
    const left = this.queue.dropAll();
    if (left > 0) {
      this.warn(`${this.names.output} metadata output closed with ${left} entries not delivered to ${this.target()}; `
        + 'counted as dropped.');
    }
    this.setState('closed');
  }

  // Counts a frame of its sensor; true (and counted as skipped) when outputInterval leaves it out.
  #skipped(frame: FrameMetadata): boolean {
    const sensor = String((frame as Partial<FrameMetadata> | null)?.sensorId);
    const seen = this.#frames.get(sensor) ?? 0;
    this.#frames.set(sensor, seen + 1);
    if (seen % this.options.outputInterval === 0) return false;
    this.#counts.skipped++;
    return true;
  }

  #overflowed(): void {
    if (this.#overflowWarned) return;
    this.#overflowWarned = true;
    this.warn(`${this.names.output} metadata queue is full (${this.options.queueSize} entries): dropping the oldest `
      + `until ${this.target()} takes entries again; status().dropped counts them.`);
  }

  /** Resolves on the next settled round trip or state change, or after `ms`. */
  #nextProgress(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#progressWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#progressWaiters.add(done);
    });
  }
}

/** Waits for `promise` (ignoring its outcome) at most `ms`. */
export async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => undefined),
    new Promise((resolve) => { timer = setTimeout(resolve, ms); }),
  ]);
  clearTimeout(timer);
}
