// SPDX-License-Identifier: Apache-2.0
// The portable engine's metadata outputs: Redis and MQTT, each on or off by its config section (`redis.enabled`,
// `mqtt.enabled`: either, both or none), one publish() that hands each processed frame to every output that is on,
// and each output as the service sees it (OutputWriter: state, counters, live settings). A reload that turns an
// output on starts it connecting; one that turns it off flushes and closes it in the background (bounded), its
// counters kept, so /metrics counters never go back.
import type { OutputCounters, OutputStatus } from '../api/service';
import type { OwlConfig } from '../config/schema';
import { MqttPublisher } from '../mqtt/publisher';
import type { PublisherStatus } from '../output/queued-output';
import type { FrameMetadata } from '../redis/minimal-schema';
import { RedisPublisher } from '../redis/publisher';
import type { Logger } from '../service/logger';
import type { MqttWriter, OutputWriter, RedisWriter } from '../service/engine';

/** Where the stream runners hand each processed frame's metadata. */
export interface MetadataSink {
  /** Never throws, never waits (each output queues it). */
  publish(frame: FrameMetadata): void;
}

/** What an output slot needs of a publisher (RedisPublisher, MqttPublisher). */
interface Publisher<Section> {
  publish(frame: FrameMetadata): boolean;
  status(): PublisherStatus;
  update(section: Section): void;
  close(options: { flushMs: number }): Promise<void>;
}

/** The budget of an output turned off by a reload to deliver what it holds. */
const OFF_FLUSH_MS = 1000;

/** One output: its publisher while on, the counters of those it closed. */
class OutputSlot<Section extends { enabled: boolean }> implements OutputWriter<Section> {
  #publisher: Publisher<Section> | null = null;
  /** Counters of publishers closed before (turned off by a reload), added to the current one's. */
  readonly #closed: OutputCounters = { written: 0, queueDepth: 0, dropped: 0, errors: 0, rejected: 0 };
  /** Publishers turned off and still flushing, with their close(). */
  readonly #closing = new Map<Publisher<Section>, Promise<void>>();

  /** @throws what `create` throws for the section (invalid settings, an unreadable TLS file). */
  constructor(section: Section, private readonly create: (section: Section) => Publisher<Section>) {
    if (section.enabled) this.#publisher = create(section);
  }

  publish(frame: FrameMetadata): void {
    this.#publisher?.publish(frame);
  }

  status(): OutputStatus {
    if (this.#publisher === null) return { state: 'off', error: null, writer: 'service' };
    const { state, lastError } = this.#publisher.status();
    return { state: state === 'closed' ? 'down' : state, error: lastError, writer: 'service' };
  }

  counters(): OutputCounters {
    const open = [...this.#closing.keys(), ...(this.#publisher === null ? [] : [this.#publisher])];
    return open.reduce((total, publisher) => sum(total, countersOf(publisher.status())), this.#closed);
  }

  readonly update = (section: Section): void => {
    if (!section.enabled) {
      if (this.#publisher !== null) this.#retire(this.#publisher);
      this.#publisher = null;
    } else if (this.#publisher === null) {
      this.#publisher = this.create(section);
    } else {
      this.#publisher.update(section);
    }
  };

  /** Flushes (bounded) and closes the current publisher and any still closing. */
  async close(flushMs: number): Promise<void> {
    if (this.#publisher !== null) this.#retire(this.#publisher, flushMs);
    this.#publisher = null;
    await Promise.all(this.#closing.values());
  }

  #retire(publisher: Publisher<Section>, flushMs = OFF_FLUSH_MS): void {
    this.#closing.set(publisher, publisher.close({ flushMs }).then(() => {
      Object.assign(this.#closed, sum(this.#closed, countersOf(publisher.status())));
      this.#closing.delete(publisher);
    }));
  }
}

function countersOf(status: PublisherStatus): OutputCounters {
  const { sent, queued, dropped, errors, rejected } = status;
  return { written: sent, queueDepth: queued, dropped, errors, rejected };
}

function sum(a: OutputCounters, b: OutputCounters): OutputCounters {
  return { written: a.written + b.written, queueDepth: a.queueDepth + b.queueDepth, dropped: a.dropped + b.dropped,
    errors: a.errors + b.errors, rejected: a.rejected + b.rejected };
}

/** The portable engine's outputs; see the file comment. */
export class MetadataOutputs implements MetadataSink {
  readonly redis: RedisWriter;
  readonly mqtt: MqttWriter;
  readonly #slots: [OutputSlot<OwlConfig['redis']>, OutputSlot<OwlConfig['mqtt']>];

  /**
   * Starts connecting the outputs that are on (an unreachable server is a warning, and retried).
   * @throws {Error} for settings a publisher refuses (e.g. an unreadable TLS file, named by its key).
   */
  constructor(config: Pick<OwlConfig, 'redis' | 'mqtt'>, log: Logger) {
    const warn = (message: string) => log.warn(message);
    const redis = new OutputSlot(config.redis, (section) => new RedisPublisher({ ...section, warn }));
    let mqtt: OutputSlot<OwlConfig['mqtt']>;
    try {
      mqtt = new OutputSlot(config.mqtt, (section) => new MqttPublisher({ ...section, warn }));
    } catch (err) {
      void redis.close(0);  // no connection left retrying behind a failed start
      throw err;
    }
    this.#slots = [redis, mqtt];
    this.redis = redis;
    this.mqtt = mqtt;
  }

  publish(frame: FrameMetadata): void {
    for (const slot of this.#slots) slot.publish(frame);
  }

  /** Flushes every output (at most `flushMs`, all at once) and closes it. */
  async close(flushMs: number): Promise<void> {
    await Promise.all(this.#slots.map((slot) => slot.close(flushMs)));
  }
}
