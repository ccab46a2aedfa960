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
import createDebug from 'debug';
import Redis, { ReplyError } from 'ioredis';
import { reconnectDelayMs } from '../output/backoff';
import {
  QueuedOutput, withTimeout, type PublisherState, type PublisherStatus,
} from '../output/queued-output';
import {
  CONNECT_TIMEOUT_MS, PAYLOAD_FIELD, accessOptions, describeRedisError, entryPayload,
} from './connection';
import { buildMinimalSchema, createObjectIdCounter, type FrameMetadata } from './minimal-schema';
import { parsePublisherOptions, type RedisPublisherOptions } from './publisher-options';

export type { PublisherState, PublisherStatus };

const debug = createDebug('owl-stream:redis');

// A stalled Redis fails the batch after this, so it is retried instead of holding the queue forever.
const COMMAND_TIMEOUT_MS = 5000;
// How long close() waits for QUIT, and for a batch still on the wire, once the flush time is over.
const RELEASE_TIMEOUT_MS = 500;

/** What {@link RedisPublisher.update} changes while running: the service config's `redis` section. */
export type PublisherSettings = Pick<RedisPublisherOptions,
  'host' | 'port' | 'stream' | 'maxlen' | 'queueSize' | 'outputInterval' | 'idFormat' | 'password' | 'tls'
  | 'tlsCaFile'>;

/**
 * Metadata output to a Redis stream: `XADD <stream> [MAXLEN ~ <maxlen>] * metadata <json>` per published frame.
 * @example
 * const out = new RedisPublisher({ host: 'localhost', port: 6379, stream: 'owl' });
 * out.publish({ frameId: 42, timestamp: new Date(), sensorId: 'cam1', objects: [{ label: 'a person', box: [10, 20, 110, 220] }] });
 * await out.close({ flushMs: 1000 });
 */
export class RedisPublisher extends QueuedOutput<string, Required<RedisPublisherOptions>> {
  private client: Redis;
  private readonly nextObjectId = createObjectIdCounter();
  /** Payloads whose batch lost its connection before the replies came: Redis may or may not hold them (held). */
  private unconfirmed: string[] = [];
  /** A batch or a read-back check is on the wire; the next waits for it, which keeps the order. */
  private busy = false;
  private work: Promise<void> = Promise.resolve();
  private failures = 0;
  private retryTimer?: NodeJS.Timeout;

  /**
   * Starts connecting at once; a Redis that is not there yet is a warning and a `down` state, not an error.
   * @throws {TypeError} for invalid options.
   */
  constructor(options: RedisPublisherOptions = {}) {
    super({ output: 'Redis', peer: 'Redis', debug }, parsePublisherOptions(options));
    this.client = this.connect();
  }

  /**
   * Applies new settings while running (live config reload); fields left out keep their value. Another Redis,
   * and/or stream, password or TLS: queued entries go to the new target, in order (changing only the stream keeps
   * the connection; another password or TLS setting reconnects). `maxlen`, `outputInterval` and `idFormat` apply
   * from the next entry on; a smaller `queueSize` drops the oldest entries beyond it at once (counted in
   * `status().dropped`).
   * @throws {TypeError} for an invalid option, {Error} for an unreadable CA file; nothing changes then.
   */
  update(settings: PublisherSettings): void {
    const given = Object.entries(settings).filter(([, value]) => value !== undefined);
    const next = parsePublisherOptions({ ...this.options, ...Object.fromEntries(given) });
    if (this.closing) return;
    const { host: oldHost, port: oldPort } = this.options;
    const sameAccess = next.password === this.options.password && next.tls === this.options.tls
      && next.tlsCaFile === this.options.tlsCaFile;
    // An unreadable CA file throws here, before anything changed.
    if (!sameAccess) accessOptions(next);
    this.applyOptions(next);
    debug('update %s:%d -> %s:%d stream %s', oldHost, oldPort, next.host, next.port, next.stream);
    if (next.host === oldHost && next.port === oldPort && sameAccess) return;
    const old = this.client;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.client = this.connect();
    this.setState('connecting');
    void this.release(old);
  }

  protected entry(frame: FrameMetadata): string {
    return buildMinimalSchema(frame, { idFormat: this.options.idFormat, nextObjectId: this.nextObjectId });
  }

  protected target(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  /** QUIT (bounded), stop reconnecting, and let a batch still on the wire settle (bounded). */
  protected async release(client = this.client): Promise<void> {
    if (client === this.client) clearTimeout(this.retryTimer);
    if (client.status === 'ready') await withTimeout(client.quit(), RELEASE_TIMEOUT_MS);
    client.disconnect();
    if (client !== this.client) return;
    await withTimeout(this.work, RELEASE_TIMEOUT_MS);
    this.unconfirmed = [];
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
      this.countError();
      this.onDown(describeRedisError(err, host, port));
    });
    client.on('close', () => {
      const counted = failedSinceClose;
      failedSinceClose = false;
      if (!current() || counted) return;
      this.countError();
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

  /** Starts the next round trip unless one is on the wire, Redis is not ready, or a retry is pending. */
  protected pump(): void {
    if (this.stopped || this.busy || this.retryTimer || this.client.status !== 'ready') return;
    const { client } = this;
    const { stream, batchSize } = this.options;
    let job: Promise<void>;
    if (this.unconfirmed.length > 0) job = this.confirm(client, stream);
    else if (this.queue.waiting > 0) job = this.send(client, stream, this.queue.take(batchSize));
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
    let results: [Error | null, unknown][] | null = null;
    let failure: Error | undefined;
    try {
      results = await pipeline.exec();
    } catch (err) {
      failure = err as Error;
    }
    if (this.state === 'closed') return; // close() already counted this batch as dropped
    const rejected: string[] = [];
    const unanswered: string[] = [];
    let acknowledged = 0;
    batch.forEach((payload, i) => {
      const [err] = results?.[i] ?? [failure ?? new Error('no reply from Redis')];
      if (!err) {
        acknowledged++;
        return;
      }
      failure ??= err;
      // An error reply means Redis did not store the entry; any other failure leaves it unknown.
      (err instanceof ReplyError ? rejected : unanswered).push(payload);
    });
    debug('batch of %d: %d acknowledged', batch.length, acknowledged);
    this.queue.delivered(acknowledged);
    // Unanswered entries stay held until confirm() has looked for them.
    this.unconfirmed.push(...unanswered);
    this.queue.giveBack(rejected);
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
    this.queue.delivered(doubtful.length - missing.length);
    this.unconfirmed = [];
    this.queue.giveBack(missing);
    this.succeeded(client);
  }

  private succeeded(client: Redis): void {
    if (client !== this.client || this.stopped) return;
    this.failures = 0;
    this.progressed();
  }

  /** A round trip failed: say why (once per outage) and retry after a backoff, or on the next 'ready'. */
  private failed(client: Redis, stream: string, err: Error): void {
    if (client !== this.client || this.stopped) return;
    this.countError();
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
}
