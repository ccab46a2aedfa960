// SPDX-License-Identifier: Apache-2.0
// Appends each processed frame's Minimal Schema payload to a Redis stream. publish() never blocks or
// throws: entries wait in one bounded in-memory queue and go out in order, pipelined, and leave the queue
// only once Redis has acknowledged them. ioredis itself buffers nothing (no offline queue, no resend).
//
// Delivery: exactly once while the connection holds. When it breaks with a batch on the wire, the replies
// of that batch are lost although Redis may have stored some entries; before sending anything else the
// publisher reads the stream's newest entries back and resends only the ones it does not find. An entry
// can still be duplicated when, between the break and that check, other writers appended more than
// `batchSize` entries to the stream, or the publisher was moved to another Redis (update). Order is kept,
// except that an entry Redis answers with an error (e.g. OOM) is retried after the later entries of its
// batch that Redis accepted.
import { EventEmitter } from 'node:events';
import createDebug from 'debug';
import Redis, { ReplyError } from 'ioredis';
import {
  CONNECT_TIMEOUT_MS, PAYLOAD_FIELD, accessOptions, describeRedisError, entryPayload, reconnectDelayMs,
} from './connection';
import { buildMinimalSchema, createObjectIdCounter, type FrameMetadata } from './minimal-schema';
import { parsePublisherOptions, type RedisPublisherOptions } from './publisher-options';

const debug = createDebug('owl-stream:redis');

// A stalled Redis fails the batch after this, so it is retried instead of holding the queue forever.
const COMMAND_TIMEOUT_MS = 5000;
// How long close() waits for QUIT, and for a batch still on the wire, once the flush time is over.
const RELEASE_TIMEOUT_MS = 500;

/**
 * `connecting`: first connection (or one after `update` to another Redis) not made yet; `ready`: entries are being delivered;
 * `down`: Redis unreachable or refusing entries, which wait in memory; `closed`: after `close()`.
 */
export type PublisherState = 'connecting' | 'ready' | 'down' | 'closed';

/** What {@link RedisPublisher.update} changes while running: the service config's `redis` section. */
export type PublisherSettings = Pick<RedisPublisherOptions,
  'host' | 'port' | 'stream' | 'maxlen' | 'queueSize' | 'outputInterval' | 'idFormat' | 'password' | 'tls'
  | 'tlsCaFile'>;

/** Counters and state of a {@link RedisPublisher}; `published == sent + dropped + queued` at all times. */
export interface PublisherStatus {
  state: PublisherState;
  /** Entries accepted but not yet acknowledged by Redis (waiting, on the wire, or being checked); at most queueSize. */
  queued: number;
  /** Entries accepted by `publish()`. */
  published: number;
  /** Entries Redis acknowledged. */
  sent: number;
  /** Entries given up: the oldest ones past `queueSize`, and any left at `close()`. */
  dropped: number;
  /** Frames not published because of `outputInterval`. */
  skipped: number;
  /** Frames that could not be written as Minimal Schema (e.g. a label containing `|`). */
  rejected: number;
  /**
   * Connection errors (refused, timed out, TLS or password refused), connections closed by Redis or the network,
   * and round trips that failed (write errors, command timeouts, error replies).
   */
  errors: number;
  /** The current problem, in words that name host:port and what to check; null while Redis takes entries. */
  lastError: string | null;
}

/** Events of {@link RedisPublisher}. */
export interface RedisPublisher {
  /** Emitted on `process.nextTick` after each state change. */
  on(event: 'state', listener: (state: PublisherState, previous: PublisherState) => void): this;
  once(event: 'state', listener: (state: PublisherState, previous: PublisherState) => void): this;
  off(event: 'state', listener: (state: PublisherState, previous: PublisherState) => void): this;
}

/**
 * Metadata output to a Redis stream: `XADD <stream> [MAXLEN ~ <maxlen>] * metadata <json>` per published frame.
 * @example
 * const out = new RedisPublisher({ host: 'localhost', port: 6379, stream: 'owl' });
 * out.publish({ frameId: 42, timestamp: new Date(), sensorId: 'cam1', objects: [{ label: 'a person', box: [10, 20, 110, 220] }] });
 * await out.close({ flushMs: 1000 });
 */
export class RedisPublisher extends EventEmitter {
  private options: Required<RedisPublisherOptions>;
  private client: Redis;
  private state: PublisherState = 'connecting';
  private lastError: string | null = null;
  private readonly counts = { published: 0, sent: 0, dropped: 0, skipped: 0, rejected: 0, errors: 0 };
  private readonly nextObjectId = createObjectIdCounter();
  /** Frames offered so far, per sensor: with several cameras, each keeps its own `outputInterval` rhythm. */
  private readonly frames = new Map<string, number>();
  /** Payloads not yet sent, oldest first; the only buffer, bounded by `queueSize`. */
  private waiting: string[] = [];
  /** Payloads whose batch lost its connection before the replies came: Redis may or may not hold them. */
  private unconfirmed: string[] = [];
  private inFlight = 0;
  /** A batch or a read-back check is on the wire; the next waits for it, which keeps the order. */
  private busy = false;
  private work: Promise<void> = Promise.resolve();
  private failures = 0;
  private retryTimer?: NodeJS.Timeout;
  private pumpSoon?: NodeJS.Immediate;
  private downSince = 0;
  private overflowWarned = false;
  private rejectWarned = false;
  private closing?: Promise<void>;
  private stopped = false;
  private readonly progressWaiters = new Set<() => void>();

  /**
   * Starts connecting at once; a Redis that is not there yet is a warning and a `down` state, not an error.
   * @throws {TypeError} for invalid options.
   */
  constructor(options: RedisPublisherOptions = {}) {
    super();
    this.options = parsePublisherOptions(options);
    this.client = this.connect();
  }

  /**
   * Queues one processed frame (or skips it, per `outputInterval`; a re-decode is never skipped and does not count
   * as a frame for the interval). Synchronous, never throws, never waits.
   * @returns true when the frame was queued for Redis; false when skipped, rejected or after close().
   */
  publish(frame: FrameMetadata): boolean {
    if (this.closing) return false;
    // Read defensively: a malformed frame is refused (and counted) below, never thrown here.
    if ((frame as Partial<FrameMetadata> | null)?.redecode !== true && this.skipped(frame)) return false;
    let payload: string;
    try {
      payload = buildMinimalSchema(frame, { idFormat: this.options.idFormat, nextObjectId: this.nextObjectId });
    } catch (err) {
      this.counts.rejected++;
      if (!this.rejectWarned) {
        this.rejectWarned = true;
        this.warn(`Redis metadata output skipped a frame: ${(err as Error).message}`);
      }
      return false;
    }
    this.rejectWarned = false;
    this.counts.published++;
    this.waiting.push(payload);
    this.trimOverflow();
    if (!this.pumpSoon) {
      // Publishes of the same tick share one round trip.
      this.pumpSoon = setImmediate(() => {
        this.pumpSoon = undefined;
        this.pump();
      });
    }
    return true;
  }

  // Counts a frame of its sensor; true (and counted as skipped) when outputInterval leaves it out.
  private skipped(frame: FrameMetadata): boolean {
    const sensor = String((frame as Partial<FrameMetadata> | null)?.sensorId);
    const seen = this.frames.get(sensor) ?? 0;
    this.frames.set(sensor, seen + 1);
    if (seen % this.options.outputInterval === 0) return false;
    this.counts.skipped++;
    return true;
  }

  /** Current state and counters. */
  status(): PublisherStatus {
    return { state: this.state, queued: this.queued(), ...this.counts, lastError: this.lastError };
  }

  /**
   * Applies new settings while running (live config reload); fields left out keep their value. Another Redis,
   * and/or stream, password or TLS: queued entries go to the new target, in order (changing only the stream keeps
   * the connection; another password or TLS setting reconnects). `maxlen`, `outputInterval` and `idFormat` apply
   * from the next entry on; a smaller `queueSize` drops the oldest entries beyond it at once (counted in
   * `status().dropped`).
   * @throws {TypeError} for an invalid option; nothing changes then.
   */
  update(settings: PublisherSettings): void {
    const given = Object.entries(settings).filter(([, value]) => value !== undefined);
    const next = parsePublisherOptions({ ...this.options, ...Object.fromEntries(given) });
    if (this.closing) return;
    const { host: oldHost, port: oldPort } = this.options;
    const sameAccess = next.password === this.options.password && next.tls === this.options.tls
      && next.tlsCaFile === this.options.tlsCaFile;
    this.options = next;
    debug('update %s:%d -> %s:%d stream %s', oldHost, oldPort, next.host, next.port, next.stream);
    this.trimOverflow();
    if (next.host === oldHost && next.port === oldPort && sameAccess) return;
    const old = this.client;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.client = this.connect();
    this.setState('connecting');
    void this.release(old);
  }

  /**
   * Stops accepting frames, sends what it can within `flushMs` (returning at once while Redis is down),
   * then quits. Entries still undelivered are counted as dropped. Resolves; never rejects.
   * @param flushMs most milliseconds spent delivering queued entries. @default 1000
   */
  close({ flushMs = 1000 }: { flushMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(flushMs);
    return this.closing;
  }

  private async shutdown(flushMs: number): Promise<void> {
    const deadline = Date.now() + flushMs;
    while (this.queued() > 0 && this.state !== 'down' && Date.now() < deadline) {
      await this.nextProgress(deadline - Date.now());
    }
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearImmediate(this.pumpSoon);
    await this.release(this.client);
    await withTimeout(this.work, RELEASE_TIMEOUT_MS);
    const left = this.queued();
    if (left > 0) {
      this.counts.dropped += left;
      this.warn(`Redis metadata output closed with ${left} entries not delivered to ${this.target()}; counted as dropped.`);
    }
    this.waiting = [];
    this.unconfirmed = [];
    this.inFlight = 0;
    this.setState('closed');
  }

  private connect(): Redis {
    const { host, port } = this.options;
    debug('connecting to %s:%d', host, port);
    const client = new Redis({
      host,
      port,
      ...accessOptions(this.options),
      retryStrategy: reconnectDelayMs,
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      // Our queue is the only buffer: ioredis neither holds commands while offline nor resends them itself.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
    });
    // Listeners stay on replaced clients too: an 'error' without a listener would crash the process.
    const current = () => client === this.client && !this.stopped;
    // One count per incident: a refusal ('error' then 'close') counts once, a close alone (Redis shut down,
    // the network dropped us) counts too.
    let failedSinceClose = false;
    client.on('ready', () => current() && this.onReady());
    client.on('error', (err: Error) => {
      if (!current()) return;
      failedSinceClose = true;
      this.counts.errors++;
      this.onDown(describeRedisError(err, host, port));
    });
    client.on('close', () => {
      const counted = failedSinceClose;
      failedSinceClose = false;
      if (!current() || counted) return;
      this.counts.errors++;
      if (this.state !== 'down') this.onDown(`Redis at ${host}:${port} closed the connection`);
    });
    client.on('reconnecting', (ms: number) => debug('reconnecting to %s:%d in %d ms', host, port, ms));
    return client;
  }

  private onReady(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.markUp();
    this.pump();
  }

  private markUp(): void {
    // Redis takes entries again: the problem is over, and /status and /ready stop showing it.
    this.lastError = null;
    if (this.state === 'ready') return;
    if (this.state === 'down') {
      const seconds = ((Date.now() - this.downSince) / 1000).toFixed(1);
      this.warn(`Redis metadata output is back at ${this.target()} after ${seconds} s; ` +
        `${this.queued()} entries queued, ${this.counts.dropped} dropped so far.`);
    }
    this.setState('ready');
  }

  private onDown(reason: string): void {
    this.lastError = reason;
    if (this.state === 'down') {
      debug('still down: %s', reason);
      return;
    }
    this.downSince = Date.now();
    this.warn(`Redis metadata output is down: ${reason}. Entries wait in memory ` +
      `(up to ${this.options.queueSize}) and are sent when Redis is back.`);
    this.setState('down');
  }

  private setState(next: PublisherState): void {
    if (next === this.state) return;
    const previous = this.state;
    this.state = next;
    debug('%s:%d stream %s: %s -> %s', this.options.host, this.options.port, this.options.stream, previous, next);
    process.nextTick(() => this.emit('state', next, previous));
    this.notifyProgress();
  }

  /** Starts the next round trip unless one is on the wire, Redis is not ready, or a retry is pending. */
  private pump(): void {
    if (this.stopped || this.busy || this.retryTimer || this.client.status !== 'ready') return;
    const { client } = this;
    const { stream, batchSize } = this.options;
    let job: Promise<void>;
    if (this.unconfirmed.length > 0) job = this.confirm(client, stream);
    else if (this.waiting.length > 0) job = this.send(client, stream, this.waiting.splice(0, batchSize));
    else return;
    this.busy = true;
    this.work = job.then(() => {
      this.busy = false;
      this.notifyProgress();
      this.pump();
    });
  }

  private async send(client: Redis, stream: string, batch: string[]): Promise<void> {
    const { maxlen } = this.options;
    const trim = maxlen > 0 ? ['MAXLEN', '~', maxlen] : [];
    const pipeline = client.pipeline();
    for (const payload of batch) pipeline.xadd(stream, ...trim, '*', PAYLOAD_FIELD, payload);
    this.inFlight = batch.length;
    let results: [Error | null, unknown][] | null = null;
    let failure: Error | undefined;
    try {
      results = await pipeline.exec();
    } catch (err) {
      failure = err as Error;
    }
    this.inFlight = 0;
    if (this.state === 'closed') return; // close() already counted this batch as dropped
    const rejected: string[] = [];
    const unanswered: string[] = [];
    batch.forEach((payload, i) => {
      const [err] = results?.[i] ?? [failure ?? new Error('no reply from Redis')];
      if (!err) {
        this.counts.sent++;
        return;
      }
      failure ??= err;
      // An error reply means Redis did not store the entry; any other failure leaves it unknown.
      (err instanceof ReplyError ? rejected : unanswered).push(payload);
    });
    debug('batch of %d: %d acknowledged', batch.length, batch.length - rejected.length - unanswered.length);
    this.unconfirmed.push(...unanswered);
    this.waiting = rejected.concat(this.waiting);
    this.trimOverflow();
    if (rejected.length + unanswered.length === 0) this.succeeded(client);
    else this.failed(client, stream, failure as Error);
  }

  /** Reads the newest stream entries back and counts unconfirmed payloads found there as sent. */
  private async confirm(client: Redis, stream: string): Promise<void> {
    const doubtful = this.unconfirmed;
    let rows: [string, string[]][];
    try {
      rows = await client.xrevrange(stream, '+', '-', 'COUNT', doubtful.length + this.options.batchSize);
    } catch (err) {
      this.failed(client, stream, err as Error);
      return;
    }
    if (this.state === 'closed') return;
    const stored = new Set(rows.map(([, fields]) => entryPayload(fields)));
    const missing = doubtful.filter((payload) => !stored.has(payload));
    debug('%d of %d unconfirmed entries were stored before the connection broke', doubtful.length - missing.length, doubtful.length);
    this.counts.sent += doubtful.length - missing.length;
    this.unconfirmed = [];
    this.waiting = missing.concat(this.waiting);
    this.trimOverflow();
    this.succeeded(client);
  }

  private succeeded(client: Redis): void {
    if (client !== this.client || this.stopped) return;
    this.failures = 0;
    // An overflow episode ends when the queue is empty again; the next one gets its own warning.
    if (this.waiting.length === 0) this.overflowWarned = false;
    this.markUp();
  }

  /** A round trip failed: say why (once per outage) and retry after a backoff, or on the next 'ready'. */
  private failed(client: Redis, stream: string, err: Error): void {
    if (client !== this.client || this.stopped) return;
    this.counts.errors++;
    const { host, port } = this.options;
    if (err instanceof ReplyError) {
      this.onDown(`Redis at ${host}:${port} refused XADD to stream '${stream}': ${err.message}`);
    } else if (this.state !== 'down') {
      this.onDown(describeRedisError(err, host, port));
    }
    if (this.retryTimer) return;
    const delay = reconnectDelayMs(++this.failures);
    debug('retrying in %d ms after: %s', delay, err.message);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, delay);
  }

  /** Keeps everything held (waiting, on the wire, being checked) within queueSize, dropping the oldest waiting. */
  private trimOverflow(): void {
    const excess = Math.min(this.queued() - this.options.queueSize, this.waiting.length);
    if (excess <= 0) return;
    this.waiting.splice(0, excess);
    this.counts.dropped += excess;
    if (!this.overflowWarned) {
      this.overflowWarned = true;
      this.warn(`Redis metadata queue is full (${this.options.queueSize} entries): dropping the oldest ` +
        `until ${this.target()} takes entries again; status().dropped counts them.`);
    }
  }

  /** QUIT after whatever is on the wire (bounded), then drop the connection and stop reconnecting. */
  private async release(client: Redis): Promise<void> {
    if (client.status === 'ready') await withTimeout(client.quit(), RELEASE_TIMEOUT_MS);
    client.disconnect();
  }

  /** Hands a message to the injected logger; a throwing logger must not break publish() or the pump. */
  private warn(message: string): void {
    try {
      this.options.warn(message);
    } catch (err) {
      debug('warn logger threw: %O', err);
    }
  }

  private queued(): number {
    return this.waiting.length + this.unconfirmed.length + this.inFlight;
  }

  private target(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  /** Resolves on the next settled round trip or state change, or after `ms`. */
  private nextProgress(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.progressWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.progressWaiters.add(done);
    });
  }

  private notifyProgress(): void {
    for (const done of [...this.progressWaiters]) done();
  }
}

/** Waits for `promise` (ignoring its outcome) at most `ms`. */
async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => undefined),
    new Promise((resolve) => { timer = setTimeout(resolve, ms); }),
  ]);
  clearTimeout(timer);
}
