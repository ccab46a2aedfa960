// SPDX-License-Identifier: Apache-2.0
// Publishes each processed frame's Minimal Schema payload to an MQTT broker, one topic per sensor. publish() never
// blocks or throws: messages wait in the one bounded queue (ts/output/) and go out in order, at most maxInFlight at a
// time, handed to the `mqtt` client only while it is connected, so the client buffers nothing of its own.
//
// Delivery: a message leaves the queue once it is complete for its QoS: 0, written to the connection; 1, acknowledged
// by the broker (PUBACK); 2, PUBCOMP. With QoS 1 or 2 a broker restart or a broken connection loses nothing within
// the queue bound: messages awaiting their acknowledgement stay in the client's store and are sent again (DUP) when
// it reconnects, ahead of newer ones; one the broker took but whose acknowledgement was lost arrives twice (QoS 1 is
// at least once). QoS 0 messages whose write had not completed when the connection broke are sent again too. A new
// connection for other settings (update: broker, client id, credentials, TLS) takes over the messages awaiting their
// acknowledgement, first; those may reach both brokers.
import { randomBytes } from 'node:crypto';
import createDebug from 'debug';
import { connect, type MqttClient } from 'mqtt';
import { reconnectDelayMs } from '../output/backoff';
import { QueuedOutput, withTimeout } from '../output/queued-output';
import { buildMinimalSchema, createObjectIdCounter, type FrameMetadata } from '../redis/minimal-schema';
import { accessOf, clientOptions, describeMqttError } from './connection';
import { parseMqttPublisherOptions, type MqttPublisherOptions, type MqttQos } from './publisher-options';
import { MAX_TOPIC_BYTES, topicFor } from './target';

const debug = createDebug('owl-stream:mqtt');

// How long close() and update() wait for the DISCONNECT to go out.
const RELEASE_TIMEOUT_MS = 500;

/** One message as queued: its topic is fixed when the frame is published. */
interface MqttEntry {
  topic: string;
  payload: string;
}

/** A message handed to the client, until its completion callback. */
interface Flight {
  entry: MqttEntry;
  /** Send order, to give failed messages back in it. */
  seq: number;
  qos: MqttQos;
}

/** What {@link MqttPublisher.update} changes while running: the service config's `mqtt` section. */
export type MqttPublisherSettings = Pick<MqttPublisherOptions, 'url' | 'topic' | 'qos' | 'retain' | 'clientId'
  | 'username' | 'password' | 'caFile' | 'certFile' | 'keyFile' | 'queueSize' | 'outputInterval'>;

/**
 * Metadata output to an MQTT broker: one message per published frame on `topic` with `{sensorId}` substituted.
 * @example
 * const out = new MqttPublisher({ url: 'mqtt://localhost:1883', topic: 'owl/{sensorId}', qos: 1 });
 * out.publish({ frameId: 42, timestamp: new Date(), sensorId: 'cam1', objects: [{ label: 'a person', box: [10, 20, 110, 220] }] });
 * await out.close({ flushMs: 1000 });
 */
export class MqttPublisher extends QueuedOutput<MqttEntry, Required<MqttPublisherOptions>> {
  #client: MqttClient;
  /** The configured client id, or one made up when none is configured. */
  #clientId: string;
  readonly #nextObjectId = createObjectIdCounter();
  /** Messages handed to the current client and not completed, in send order (a Set keeps insertion order). */
  readonly #inFlight = new Set<Flight>();
  #seq = 0;
  /** Messages whose completion failed, given back to the queue together, in send order, before the next send. */
  #failed: Flight[] = [];
  #failures = 0;
  #retryTimer?: NodeJS.Timeout;

  /**
   * Starts connecting at once; a broker that is not there yet is a warning and a `down` state, not an error.
   * @throws {TypeError} for invalid options; {Error} naming the TLS file key that cannot be read.
   */
  constructor(options: MqttPublisherOptions = {}) {
    const parsed = parseMqttPublisherOptions(options);
    super({ output: 'MQTT', peer: 'the broker', debug }, parsed);
    this.#clientId = madeUpUnlessGiven(parsed.clientId);
    this.#client = this.#connect();
  }

  /**
   * Applies new settings while running (live config reload); fields left out keep their value. Another broker,
   * client id, credentials or TLS file: a new connection, which takes over the messages not yet complete, then the
   * queued ones. `topic` applies to frames published from now on; `qos`, `retain` to messages sent from now on;
   * a smaller `queueSize` drops the oldest waiting messages beyond it at once (counted in `status().dropped`).
   * @throws {TypeError} for an invalid option, {Error} for an unreadable TLS file; nothing changes then.
   */
  update(settings: MqttPublisherSettings): void {
    const given = Object.entries(settings).filter(([, value]) => value !== undefined);
    const next = parseMqttPublisherOptions({ ...this.options, ...Object.fromEntries(given) });
    if (this.closing) return;
    const sameAccess = JSON.stringify(accessOf(next)) === JSON.stringify(accessOf(this.options));
    const clientId = next.clientId === this.options.clientId ? this.#clientId : madeUpUnlessGiven(next.clientId);
    const connection = sameAccess ? null : clientOptions(accessOf(next), clientId);
    this.applyOptions(next);
    debug('update: %s topic %s qos %d', next.url, next.topic, next.qos);
    if (connection === null) {
      this.schedulePump();
      return;
    }
    const old = this.#client;
    this.#takeBack([...this.#inFlight]);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#clientId = clientId;
    this.#client = this.#connect(connection);
    this.setState('connecting');
    void this.#end(old, true);
  }

  protected entry(frame: FrameMetadata): MqttEntry {
    const payload = buildMinimalSchema(frame, { nextObjectId: this.#nextObjectId });
    const topic = topicFor(this.options.topic, frame.sensorId);
    if (Buffer.byteLength(topic) > MAX_TOPIC_BYTES) {
      throw new Error(`the topic for sensor id ${JSON.stringify(frame.sensorId.slice(0, 40))}… is longer than `
        + `MQTT allows (${MAX_TOPIC_BYTES} bytes)`);
    }
    return { topic, payload };
  }

  protected target(): string {
    return this.options.url;
  }

  /** Hands waiting messages to the client while it is connected, up to maxInFlight not yet complete. */
  protected pump(): void {
    this.#takeBack(this.#failed.splice(0));
    const client = this.#client;
    const { qos, retain, maxInFlight } = this.options;
    // QoS 0 completes within publish() when the socket takes the bytes at once: go on while there is room.
    while (!this.stopped && !this.#retryTimer && client.connected && this.queue.waiting > 0
      && this.#inFlight.size < maxInFlight) {
      for (const entry of this.queue.take(maxInFlight - this.#inFlight.size)) {
        const flight: Flight = { entry, seq: this.#seq++, qos };
        this.#inFlight.add(flight);
        client.publish(entry.topic, entry.payload, { qos, retain }, (err) => this.#completed(flight, err));
      }
    }
  }

  /** Ends the connection (a DISCONNECT when nothing is pending, bounded); what was not complete is dropped after. */
  protected async release(): Promise<void> {
    clearTimeout(this.#retryTimer);
    await this.#end(this.#client, this.#inFlight.size > 0);
    this.#inFlight.clear();
    this.#failed = [];
  }

  #connect(options = clientOptions(accessOf(this.options), this.#clientId)): MqttClient {
    const target = this.options.url;
    debug('connecting to %s as %s', target, this.#clientId);
    const client = connect(options);
    // Listeners stay on replaced clients too: an 'error' without a listener would crash the process.
    const current = () => client === this.#client && !this.stopped;
    let attempts = 0;
    // Before the client's own 'close' listener schedules the next attempt: each failed one waits longer.
    client.prependListener('close', () => {
      client.options.reconnectPeriod = reconnectDelayMs(++attempts);
    });
    // One count per incident: a refusal ('error' then 'close') counts once, a close alone (the broker shut down,
    // the network dropped us) counts too.
    let failedSinceClose = false;
    client.on('connect', () => {
      attempts = 0;
      if (current()) this.#onConnect();
    });
    client.on('error', (err: Error) => {
      if (!current()) return;
      failedSinceClose = true;
      this.countError();
      this.onDown(describeMqttError(err, target));
    });
    client.on('close', () => {
      const counted = failedSinceClose;
      failedSinceClose = false;
      if (!current()) return;
      this.#connectionLost();
      if (counted) return;
      this.countError();
      if (this.state !== 'down') this.onDown(`MQTT broker at ${target} closed the connection`);
    });
    client.on('reconnect', () => debug('reconnecting to %s', target));
    return client;
  }

  #onConnect(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.markUp();
    this.pump();
  }

  /** QoS 0 messages whose write did not complete are lost with the socket: they go back to be sent again. */
  #connectionLost(): void {
    this.#takeBack([...this.#inFlight].filter((flight) => flight.qos === 0));
  }

  #completed(flight: Flight, err: Error | undefined): void {
    // Not in flight any more: taken back (connection lost or replaced) or closed; the queue counted it already.
    if (!this.#inFlight.delete(flight)) return;
    if (err) {
      this.#failed.push(flight);
      this.#failedSend(err);
    } else {
      this.queue.delivered(1);
      this.#failures = 0;
      this.progressed();
    }
    this.notifyProgress();
    this.schedulePump();
  }

  /** A message failed while connected: say why (once per outage) and send again after a backoff. */
  #failedSend(err: Error): void {
    if (this.stopped) return;
    this.countError();
    this.onDown(describeMqttError(err, this.options.url));
    if (this.#retryTimer) return;
    const delay = reconnectDelayMs(++this.#failures);
    debug('sending again in %d ms after: %s', delay, err.message);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.pump();
    }, delay);
  }

  /** Flights back to the front of the queue, in send order. */
  #takeBack(flights: Flight[]): void {
    if (flights.length === 0) return;
    for (const flight of flights) this.#inFlight.delete(flight);
    flights.sort((a, b) => a.seq - b.seq);
    this.queue.giveBack(flights.map((flight) => flight.entry));
  }

  /**
   * No more reconnecting, and the connection closed: with a DISCONNECT when connected and `force` is false (bounded
   * in time), else at once, dropping what the client still holds.
   */
  async #end(client: MqttClient, force: boolean): Promise<void> {
    if (force || !client.connected) {
      client.end(true);
      return;
    }
    await withTimeout(client.endAsync(false), RELEASE_TIMEOUT_MS);
    // A graceful end that did not finish in time: the client would wait for its socket forever.
    if (!client.disconnected) client.stream.destroy();
  }
}

/** The configured client id, or a new one: `owl-` and 16 hex digits (20 characters, within MQTT 3.1.1's 23). */
function madeUpUnlessGiven(clientId: string): string {
  return clientId !== '' ? clientId : `owl-${randomBytes(8).toString('hex')}`;
}
