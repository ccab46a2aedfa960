// SPDX-License-Identifier: Apache-2.0
// MqttPublisher when the broker restarts: mosquitto stopped for a second while frames keep coming at 100 per second
// (QoS 1: nothing lost, the queue bound being far away), and stopped while more frames come than the queue holds
// (the oldest dropped and counted, the rest delivered); and connections that break with messages unacknowledged
// (a proxy swallows them or their PUBACKs): QoS 1 sends them again, QoS 0 does not. The subscriber keeps a persistent
// session on a broker with persistence, as production subscribers do, so that what it receives is what the broker
// took.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseMinimalSchema, type FrameMetadata } from '../ts/redis/minimal-schema';
import { MqttPublisher } from '../ts/mqtt/publisher';
import type { PublisherStatus } from '../ts/output/queued-output';
import { Mosquitto } from './helpers/mosquitto';
import { MqttSubscriber } from './helpers/mqtt-subscriber';
import { waitFor } from './helpers/wait';

function frame(frameId: number): FrameMetadata {
  return { frameId, timestamp: new Date(), sensorId: 'cam1', objects: [{ label: 'a person', box: [1, 2, 3, 4] }] };
}

const ids = (subscriber: MqttSubscriber, topic: string) =>
  subscriber.payloads(topic).map((payload) => Number(parseMinimalSchema(payload).id));

const balanced = ({ published, sent, dropped, queued }: PublisherStatus) => published === sent + dropped + queued;

/**
 * A TCP proxy to the broker. `pass` forwards both ways; `no-acks` forwards what the client sends but swallows what
 * the broker answers (the broker takes the messages, the client never learns it); `void` forwards nothing (the
 * messages never reach the broker). cut() closes every connection through it.
 */
class LossyProxy {
  mode: 'pass' | 'no-acks' | 'void' = 'pass';
  readonly #sockets = new Set<net.Socket>();
  readonly server: net.Server;

  constructor(targetPort: number) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      client.on('data', (chunk) => this.mode !== 'void' && upstream.write(chunk));
      upstream.on('data', (chunk) => this.mode === 'pass' && client.write(chunk));
      for (const [a, b] of [[client, upstream], [upstream, client]]) {
        this.#sockets.add(a);
        a.on('error', () => b.destroy());
        a.on('close', () => {
          this.#sockets.delete(a);
          b.destroy();
        });
      }
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `mqtt://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  cut(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('MqttPublisher when the broker restarts', () => {
  let broker: Mosquitto;
  let subscriber: MqttSubscriber;

  before(async () => {
    broker = await Mosquitto.start({ persistence: true });
    subscriber = await MqttSubscriber.connect(broker.url, 'outage/#', { clean: false, clientId: 'owl-outage-test' });
  });

  after(async () => {
    await subscriber.close();
    await broker.dispose();
  });

  it('loses nothing at QoS 1 when the broker restarts mid-run: what waited for its PUBACK is sent again', async () => {
    const warnings: string[] = [];
    const out = new MqttPublisher({ url: broker.url, topic: 'outage/steady', qos: 1, warn: (m) => warnings.push(m) });
    let next = 0;
    const feeder = setInterval(() => out.publish(frame(next++)), 10);
    try {
      await waitFor(() => out.status().sent >= 30, '30 messages before the restart');
      await broker.stop();
      await waitFor(() => out.status().state === 'down', 'the output down');
      await sleep(1000);
      const duringOutage = out.status();
      assert.ok(duringOutage.queued >= 50, `frames kept coming and wait (${duringOutage.queued} queued)`);
      await broker.restart();
      await waitFor(() => out.status().state === 'ready', 'the output back');
      await sleep(500);
    } finally {
      clearInterval(feeder);
    }
    const published = next;
    await waitFor(() => out.status().sent === published, `all ${published} messages acknowledged`);
    await waitFor(() => new Set(ids(subscriber, 'outage/steady')).size === published, `all ${published} received`);
    const received = ids(subscriber, 'outage/steady');
    // At least once: a message whose PUBACK the restart cut off comes again (a duplicate), none is missing.
    assert.deepEqual([...new Set(received)].sort((a, b) => a - b), Array.from({ length: published }, (_, i) => i));
    const firstArrivals = received.filter((id, i) => received.indexOf(id) === i);
    assert.deepEqual(firstArrivals, [...firstArrivals].sort((a, b) => a - b), 'in order');
    const status = out.status();
    assert.equal(status.dropped, 0);
    assert.ok(status.errors >= 1, 'the outage counted');
    assert.equal(status.lastError, null, 'the problem cleared on recovery');
    assert.ok(balanced(status));
    assert.match(warnings[0], /^MQTT metadata output is down: MQTT broker at mqtt:\/\/127\.0\.0\.1:\d+ closed the connection\. /);
    assert.match(warnings.at(-1)!, /^MQTT metadata output is back at mqtt:\/\/127\.0\.0\.1:\d+ after [0-9.]+ s; \d+ entries queued, 0 dropped so far\.$/);
    await out.close();
  });

  it('QoS 1: a message leaves the queue on its PUBACK; those unacknowledged when the connection breaks are sent again', async () => {
    const proxy = new LossyProxy(broker.port);
    const url = await proxy.listen();
    const topic = 'outage/puback';
    const out = new MqttPublisher({ url, topic, qos: 1, warn: () => undefined });
    try {
      const publish = (from: number) => { for (let i = from; i < from + 10; i++) out.publish(frame(i)); };
      publish(0);
      await waitFor(() => out.status().sent === 10, 'the first 10 acknowledged');

      // Lost on the way to the broker: held until the connection breaks, then sent again.
      proxy.mode = 'void';
      publish(10);
      await sleep(300);
      assert.deepEqual([out.status().sent, out.status().queued], [10, 10], 'sent, not acknowledged: still queued');
      proxy.mode = 'pass';
      proxy.cut();
      await waitFor(() => out.status().sent === 20, 'the 10 sent again and acknowledged');

      // Taken by the broker, PUBACKs lost: sent again too, so they arrive twice (at least once).
      proxy.mode = 'no-acks';
      publish(20);
      await waitFor(() => ids(subscriber, topic).length === 30, 'the broker took them');
      await sleep(200);
      assert.deepEqual([out.status().sent, out.status().queued], [20, 10]);
      proxy.mode = 'pass';
      proxy.cut();
      await waitFor(() => out.status().sent === 30, 'the last 10 acknowledged');
      await waitFor(() => ids(subscriber, topic).length === 40, 'the duplicates');
      const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
      assert.deepEqual(ids(subscriber, topic), [...range(0, 30), ...range(20, 30)]);
      assert.ok(balanced(out.status()) && out.status().dropped === 0);
    } finally {
      await out.close({ flushMs: 0 });
      await proxy.close();
    }
  });

  it('QoS 0: a message leaves the queue once written, so what the connection loses is lost (at most once)', async () => {
    const proxy = new LossyProxy(broker.port);
    const url = await proxy.listen();
    const topic = 'outage/qos0';
    const out = new MqttPublisher({ url, topic, qos: 0, warn: () => undefined });
    try {
      for (let i = 0; i < 5; i++) out.publish(frame(i));
      await waitFor(() => ids(subscriber, topic).length === 5, 'the first 5');
      proxy.mode = 'void';
      for (let i = 5; i < 10; i++) out.publish(frame(i));
      await waitFor(() => out.status().sent === 10, 'written');
      proxy.mode = 'pass';
      proxy.cut();
      await waitFor(() => out.status().state === 'ready' && out.status().lastError === null, 'reconnected');
      for (let i = 10; i < 15; i++) out.publish(frame(i));
      await waitFor(() => ids(subscriber, topic).length === 10, 'the last 5');
      assert.deepEqual(ids(subscriber, topic), [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]);
    } finally {
      await out.close({ flushMs: 0 });
      await proxy.close();
    }
  });

  for (const qos of [0, 1] as const) {
    it(`keeps the newest queueSize messages while the broker is down and counts the oldest as dropped (QoS ${qos})`, async () => {
      const topic = `outage/bound${qos}`;
      const warnings: string[] = [];
      const out = new MqttPublisher({ url: broker.url, topic, qos, queueSize: 20, warn: (m) => warnings.push(m) });
      for (let i = 0; i < 10; i++) out.publish(frame(i));
      await waitFor(() => out.status().sent === 10, '10 messages before the outage');
      await broker.stop();
      await waitFor(() => out.status().state === 'down', 'the output down');
      for (let i = 10; i < 45; i++) out.publish(frame(i));
      assert.deepEqual([out.status().queued, out.status().dropped], [20, 15]);
      assert.ok(warnings.some((w) => w.startsWith('MQTT metadata queue is full (20 entries): dropping the oldest until ')));
      await broker.restart();
      await waitFor(() => out.status().sent === 30, 'the 20 queued messages delivered');
      const expected = [...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 20 }, (_, i) => 25 + i)];
      await waitFor(() => ids(subscriber, topic).length >= expected.length, 'the subscriber has them');
      assert.deepEqual(ids(subscriber, topic), expected);
      assert.deepEqual({ ...out.status(), errors: 0 }, { state: 'ready', queued: 0, published: 45, sent: 30, dropped: 15,
        skipped: 0, rejected: 0, errors: 0, lastError: null });
      await out.close();
    });
  }
});
