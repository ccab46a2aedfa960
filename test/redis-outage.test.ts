// SPDX-License-Identifier: Apache-2.0
// RedisPublisher when Redis goes away: a connection that breaks with replies in flight, and a
// redis-server stopped for 5 s while frames keep coming at 30 per second.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { parseMinimalSchema, type FrameMetadata } from '../ts/redis/minimal-schema';
import { RedisPublisher, type PublisherStatus } from '../ts/redis/publisher';
import { RedisServer } from './helpers/redis-server';
import { waitFor } from './helpers/wait';

function frame(frameId: number): FrameMetadata {
  return { frameId, timestamp: new Date(), sensorId: 'cam1', objects: [{ label: 'a person', box: [1, 2, 3, 4] }] };
}

async function frameIds(server: RedisServer, stream: string): Promise<number[]> {
  const client = new Redis({ host: server.host, port: server.port });
  try {
    const rows = await client.xrange(stream, '-', '+');
    return rows.map(([, fields]) => Number(parseMinimalSchema(fields[1]).id));
  } finally {
    client.disconnect();
  }
}

/**
 * A TCP proxy to Redis that, when armed, closes both sides on the next reply instead of forwarding it:
 * Redis has executed the commands, the client never learns it.
 */
class ReplyCutter {
  cutNextReply = false;
  cuts = 0;
  readonly server: net.Server;

  constructor(targetPort: number) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(targetPort, '127.0.0.1');
      client.pipe(upstream);
      upstream.on('data', (chunk) => {
        if (!this.cutNextReply) {
          client.write(chunk);
          return;
        }
        this.cutNextReply = false;
        this.cuts++;
        client.destroy();
        upstream.destroy();
      });
      for (const [a, b] of [[client, upstream], [upstream, client]]) {
        a.on('error', () => b.destroy());
        a.on('close', () => b.destroy());
      }
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }
}

describe('RedisPublisher when Redis goes away', () => {
  let server: RedisServer;

  before(async () => {
    server = await RedisServer.start();
  });

  after(async () => {
    await server.dispose();
  });

  it('does not resend entries Redis stored before the connection broke with their replies', async () => {
    const cutter = new ReplyCutter(server.port);
    const port = await cutter.listen();
    const warnings: string[] = [];
    const out = new RedisPublisher({ host: '127.0.0.1', port, stream: 'cut', warn: (m) => warnings.push(m) });
    try {
      for (let i = 0; i < 3; i++) out.publish(frame(i));
      await waitFor(() => out.status().sent === 3, 'first 3 sent');
      cutter.cutNextReply = true;
      for (let i = 3; i < 13; i++) out.publish(frame(i)); // one pipelined batch
      await waitFor(() => cutter.cuts === 1, 'the cut');
      await waitFor(() => out.status().sent === 13 && out.status().state === 'ready', 'all 13 confirmed');
      assert.deepEqual(await frameIds(server, 'cut'), Array.from({ length: 13 }, (_, i) => i));
      assert.equal(out.status().dropped, 0);
      assert.equal(warnings.length, 2, warnings.join('\n'));
      assert.match(warnings[0], new RegExp(`^Redis metadata output is down: Redis at 127.0.0.1:${port} closed the connection\\.`));
      assert.match(warnings[1], new RegExp(`^Redis metadata output is back at 127.0.0.1:${port} after [0-9.]+ s; 10 entries queued, 0 dropped so far\\.$`));
    } finally {
      await out.close();
      cutter.server.close();
    }
  });

  describe('redis-server stopped for 5 s while publishing 30 frames/s', () => {
    const MAX_QUEUE_SMALL = 20;
    const BATCH_SMALL = 5;
    let large: RedisPublisher;
    let small: RedisPublisher;
    let published = 0;
    let duringOutage: { large: PublisherStatus; small: PublisherStatus };
    const warnings: string[] = [];

    before(async () => {
      const options = { host: server.host, port: server.port, warn: (m: string) => warnings.push(m) };
      large = new RedisPublisher({ ...options, stream: 'large' });
      small = new RedisPublisher({ ...options, stream: 'small', queueSize: MAX_QUEUE_SMALL, batchSize: BATCH_SMALL });
      const ready = () => large.status().state === 'ready' && small.status().state === 'ready';
      await waitFor(ready, 'both publishers ready');
      const timer = setInterval(() => {
        large.publish(frame(published));
        small.publish(frame(published));
        published++;
      }, 33);
      try {
        await sleep(1000);
        await server.stop({ save: true }); // the restart reloads what Redis held
        await sleep(5000);
        duringOutage = { large: large.status(), small: small.status() };
        await server.restart();
        await waitFor(() => ready() && large.status().queued < 5, 'both publishers back and drained', 15_000);
        await sleep(1000);
      } finally {
        clearInterval(timer);
      }
      await Promise.all([large.close({ flushMs: 5000 }), small.close({ flushMs: 5000 })]);
    });

    it('reports the outage while it lasts', () => {
      for (const status of [duringOutage.large, duringOutage.small]) {
        assert.equal(status.state, 'down');
        assert.match(status.lastError ?? '', new RegExp(`^Redis at 127.0.0.1:${server.port} refused the connection`));
      }
      assert.ok(duringOutage.large.queued > 100, `large queue held ${duringOutage.large.queued} entries`);
      // Exactly the queue bound: a batch whose replies were lost with the connection counts within it.
      assert.equal(duringOutage.small.queued, MAX_QUEUE_SMALL);
      // Refused reconnections are errors (owl_redis_errors_total), not silence.
      for (const status of [duringOutage.large, duringOutage.small]) assert.ok(status.errors >= 2, `errors ${status.errors}`);
    });

    it('loses nothing within the queue bound and keeps the order', async () => {
      assert.deepEqual(await frameIds(server, 'large'), Array.from({ length: published }, (_, i) => i));
      assert.deepEqual(large.status(), {
        state: 'closed', queued: 0, published, sent: published, dropped: 0, skipped: 0, rejected: 0,
        errors: large.status().errors, lastError: null,
      });
    });

    it('drops the oldest entries past a small bound, and counts them', async () => {
      const { sent, dropped } = small.status();
      assert.equal(sent + dropped, published);
      assert.ok(dropped > 100, `only ${dropped} dropped`);
      const ids = await frameIds(server, 'small');
      assert.equal(ids.length, sent);
      assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]), 'in order, never twice');
      // What is missing is the oldest queued when the bound was hit: one run from the outage, and, while the queue
      // drains at its bound, the oldest waiting entry now and then (a batch on the wire counts within the bound, so
      // an entry arriving then pushes out the oldest one not yet sent).
      const firstMissing = ids.findIndex((id, i) => id !== i);
      assert.ok(firstMissing > 0, 'frames before the outage were sent');
      const present = new Set(ids);
      const missing = Array.from({ length: published }, (_, i) => i).filter((id) => !present.has(id));
      assert.equal(missing.length, dropped);
      const drainSlack = 4 * BATCH_SMALL;
      assert.ok(missing.every((id) => id >= firstMissing && id < firstMissing + dropped + drainSlack),
        `dropped ${JSON.stringify(missing)} beyond the outage run from ${firstMissing}`);
    });

    it('warns once when Redis goes, once per publisher about overflow, and once when it is back', () => {
      const down = warnings.filter((m) => m.startsWith('Redis metadata output is down:'));
      const back = warnings.filter((m) => m.startsWith('Redis metadata output is back'));
      const full = warnings.filter((m) => m.startsWith('Redis metadata queue is full'));
      assert.equal(down.length, 2, warnings.join('\n'));
      assert.equal(back.length, 2, warnings.join('\n'));
      assert.deepEqual(full, [`Redis metadata queue is full (${MAX_QUEUE_SMALL} entries): dropping the oldest until ` +
        `127.0.0.1:${server.port} takes entries again; status().dropped counts them.`], warnings.join('\n'));
      assert.equal(warnings.length, 5, warnings.join('\n'));
    });
  });
});
