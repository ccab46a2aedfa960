// SPDX-License-Identifier: Apache-2.0
// RedisPublisher against a real redis-server: order, exact payloads, MAXLEN ~, interval, live updates,
// bad frames, and a Redis that is never reachable.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import Redis from 'ioredis';
import { buildMinimalSchema, createObjectIdCounter, parseMinimalSchema, type FrameMetadata } from '../ts/redis/minimal-schema';
import { RedisPublisher, type PublisherState } from '../ts/redis/publisher';
import { freePort } from './helpers/ports';
import { RedisServer } from './helpers/redis-server';
import { waitFor } from './helpers/wait';

const T0 = Date.UTC(2026, 10, 24, 10, 0, 0, 0);

function frame(frameId: number, objects = frameId % 3): FrameMetadata {
  return {
    frameId,
    timestamp: new Date(T0 + frameId * 33),
    sensorId: 'cam1',
    objects: Array.from({ length: objects }, (_, k) => ({
      label: k % 2 ? 'a hat' : 'a person',
      box: [10 * k + 0.25, 20.5, 10 * k + 100.125, 300 + frameId / 3] as const,
    })),
  };
}

async function payloads(client: Redis, stream: string): Promise<string[]> {
  const rows = await client.xrange(stream, '-', '+');
  return rows.map(([, fields]) => {
    assert.equal(fields.length, 2, 'one field per entry');
    assert.equal(fields[0], 'metadata');
    return fields[1];
  });
}

describe('RedisPublisher', () => {
  let server: RedisServer;
  let reader: Redis;
  const publishers: RedisPublisher[] = [];
  const warnings: string[] = [];

  function publisher(options: ConstructorParameters<typeof RedisPublisher>[0] = {}): RedisPublisher {
    const out = new RedisPublisher({ host: server.host, port: server.port, warn: (m) => warnings.push(m), ...options });
    publishers.push(out);
    return out;
  }

  before(async () => {
    // Small stream nodes so that MAXLEN ~ trims close to the bound.
    server = await RedisServer.start({ args: ['--stream-node-max-entries', '10'] });
    reader = new Redis({ host: server.host, port: server.port, lazyConnect: true });
    await reader.connect();
  });

  after(async () => {
    await Promise.all(publishers.map((p) => p.close({ flushMs: 0 })));
    reader.disconnect();
    await server.dispose();
  });

  it('appends every frame in order with the exact Minimal Schema payload', async () => {
    const out = publisher({ stream: 'order' });
    const states: PublisherState[] = [];
    out.on('state', (state) => states.push(state));
    const frames = Array.from({ length: 25 }, (_, i) => frame(i));
    for (const f of frames) assert.equal(out.publish(f), true);
    await waitFor(() => out.status().sent === 25, '25 entries sent');
    const nextObjectId = createObjectIdCounter();
    assert.deepEqual(await payloads(reader, 'order'), frames.map((f) => buildMinimalSchema(f, { nextObjectId })));
    const parsed = (await payloads(reader, 'order')).map(parseMinimalSchema);
    assert.deepEqual(parsed.map((m) => m.id), frames.map((f) => String(f.frameId)));
    assert.deepEqual(parsed[2].objects[1], { id: '2', left: 10.25, top: 20.5, right: 110.13, bottom: 300.67, label: 'a hat', attributes: [] });
    assert.deepEqual(out.status(), {
      state: 'ready', queued: 0, published: 25, sent: 25, dropped: 0, skipped: 0, rejected: 0, errors: 0, lastError: null,
    });
    assert.deepEqual(states, ['ready']);
    assert.deepEqual(warnings, []);
  });

  it('publishes every Nth frame and writes number ids on request', async () => {
    const out = publisher({ stream: 'interval', outputInterval: 3, idFormat: 'number' });
    const queued = Array.from({ length: 10 }, (_, i) => out.publish({ ...frame(i, 0), sensorId: '7' }));
    assert.deepEqual(queued, [true, false, false, true, false, false, true, false, false, true]);
    await waitFor(() => out.status().sent === 4, '4 entries sent');
    const written = await payloads(reader, 'interval');
    assert.deepEqual(written.map((p) => JSON.parse(p).id), [0, 3, 6, 9]);
    assert.equal(written[1], '{"version":"4.0","id":3,"@timestamp":"2026-11-24T10:00:00.099Z","sensorId":7,"objects":[]}');
    assert.equal(out.status().skipped, 6);
  });

  it('publishes a re-decode whatever the interval, without moving the interval on', async () => {
    const out = publisher({ stream: 'interval-redecode', outputInterval: 3 });
    const queued = [
      out.publish(frame(0, 0)), out.publish(frame(1, 0)), out.publish({ ...frame(1, 1), redecode: true }),
      out.publish(frame(2, 0)), out.publish(frame(3, 0)),
    ];
    assert.deepEqual(queued, [true, false, true, false, true]);
    await waitFor(() => out.status().sent === 3, '3 entries sent');
    const written = (await payloads(reader, 'interval-redecode')).map(parseMinimalSchema);
    assert.deepEqual(written.map((m) => [m.id, m.redecode]), [['0', false], ['1', true], ['3', false]]);
    assert.equal(out.status().skipped, 2);
  });

  it('bounds the stream with MAXLEN ~, or not at all with maxlen 0', async () => {
    const bounded = publisher({ stream: 'bounded', maxlen: 50 });
    const unbounded = publisher({ stream: 'unbounded', maxlen: 0 });
    for (let i = 0; i < 500; i++) {
      bounded.publish(frame(i, 1));
      unbounded.publish(frame(i, 1));
    }
    await waitFor(() => bounded.status().sent === 500 && unbounded.status().sent === 500, '500 entries sent to each');
    const length = await reader.xlen('bounded');
    assert.ok(length >= 50 && length <= 60, `stream length ${length} should be within one 10-entry node of 50`);
    const [[, newest]] = await reader.xrevrange('bounded', '+', '-', 'COUNT', 1);
    assert.equal(parseMinimalSchema(newest[1]).id, '499');
    assert.equal(await reader.xlen('unbounded'), 500);
  });

  it('skips frames it cannot write, warns once, and keeps going', async () => {
    const out = publisher({ stream: 'rejects' });
    const bad = { ...frame(1, 0), objects: [{ label: 'a|b', box: [0, 0, 1, 1] as const }] };
    assert.equal(out.publish(bad), false);
    assert.equal(out.publish(bad), false);
    assert.equal(out.publish(null as unknown as FrameMetadata), false);
    assert.equal(out.publish(frame(2, 0)), true);
    await waitFor(() => out.status().sent === 1, 'the good frame sent');
    assert.deepEqual((await payloads(reader, 'rejects')).map((p) => parseMinimalSchema(p).id), ['2']);
    assert.equal(out.status().rejected, 3);
    assert.deepEqual(warnings.splice(0), [
      `Redis metadata output skipped a frame: Expected a label without '|' for objects[0].label but received "a|b"`,
    ]);
  });

  it('keeps entries Redis refuses (WRONGTYPE) and delivers them in order once it accepts them', async () => {
    await reader.set('taken', 'not a stream');
    const out = publisher({ stream: 'taken' });
    for (let i = 0; i < 5; i++) out.publish(frame(i, 1));
    const [state] = await once(out, 'state');
    if (state === 'ready') assert.equal((await once(out, 'state'))[0], 'down');
    assert.match(out.status().lastError ?? '', new RegExp(`^Redis at 127.0.0.1:${server.port} refused XADD to stream 'taken': WRONGTYPE`));
    assert.equal(out.status().queued, 5);
    await reader.del('taken');
    await waitFor(() => out.status().sent === 5, 'the 5 entries sent after the key was freed');
    assert.deepEqual((await payloads(reader, 'taken')).map((p) => parseMinimalSchema(p).id), ['0', '1', '2', '3', '4']);
    assert.equal(out.status().state, 'ready');
    const [down, back, ...more] = warnings.splice(0);
    assert.match(down, /^Redis metadata output is down: Redis at 127\.0\.0\.1:\d+ refused XADD to stream 'taken': WRONGTYPE/);
    assert.match(back, /^Redis metadata output is back at 127\.0\.0\.1:\d+ after [0-9.]+ s; 0 entries queued, 0 dropped so far\.$/);
    assert.deepEqual(more, []);
  });

  it('returns from publish() synchronously and quickly', async () => {
    const out = publisher({ stream: 'fast' });
    const count = 1000;
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) assert.equal(typeof out.publish(frame(i, 2)), 'boolean');
    const meanMs = Number(process.hrtime.bigint() - start) / 1e6 / count;
    // A sanity bound on a synchronous call, far above what it takes; not a speed target.
    assert.ok(meanMs < 1, `publish() took ${meanMs} ms on average`);
    await waitFor(() => out.status().sent === count, `${count} entries sent`);
  });

  it('moves to another Redis and stream with update(), keeping the order', async () => {
    const other = await RedisServer.start();
    try {
      const out = publisher({ stream: 'r1' });
      for (let i = 0; i < 5; i++) out.publish(frame(i, 0));
      await waitFor(() => out.status().sent === 5, 'first 5 sent');
      const states: PublisherState[] = [];
      out.on('state', (state) => states.push(state));
      out.update({ host: other.host, port: other.port, stream: 'r2' });
      assert.equal(out.status().state, 'connecting');
      for (let i = 5; i < 10; i++) out.publish(frame(i, 0));
      await waitFor(() => out.status().sent === 10, 'next 5 sent');
      out.update({ stream: 'r3' });
      for (let i = 10; i < 12; i++) out.publish(frame(i, 0));
      await waitFor(() => out.status().sent === 12, 'last 2 sent');
      const ids = async (client: Redis, stream: string) => (await payloads(client, stream)).map((p) => parseMinimalSchema(p).id);
      const otherReader = new Redis({ host: other.host, port: other.port });
      assert.deepEqual(await ids(reader, 'r1'), ['0', '1', '2', '3', '4']);
      assert.deepEqual(await ids(otherReader, 'r2'), ['5', '6', '7', '8', '9']);
      assert.deepEqual(await ids(otherReader, 'r3'), ['10', '11']);
      otherReader.disconnect();
      assert.deepEqual(states, ['connecting', 'ready']);
      assert.throws(() => out.update({ host: '', port: 1, stream: 'x' }), { name: 'TypeError', message: 'Expected a non-empty string for host but received ""' });
      await out.close();
    } finally {
      await other.dispose();
    }
  });

  it('takes a new interval, id format and trim length with update(), from the next entry on', async () => {
    const out = publisher({ stream: 'live' });
    for (let i = 0; i < 4; i++) out.publish(frame(i, 0));
    await waitFor(() => out.status().sent === 4, 'first 4 sent');
    out.update({ outputInterval: 2, idFormat: 'number', maxlen: 20 });
    for (let i = 4; i < 10; i++) out.publish(frame(i, 0));
    await waitFor(() => out.status().sent === 7, 'every second frame sent');
    assert.deepEqual((await payloads(reader, 'live')).map((p) => JSON.parse(p).id), ['0', '1', '2', '3', 4, 6, 8]);
    assert.equal(out.status().skipped, 3);
    for (let i = 10; i < 210; i++) out.publish(frame(i, 0));
    await waitFor(() => out.status().sent === 107, '100 more sent');
    const length = await reader.xlen('live');
    assert.ok(length >= 20 && length <= 30, `MAXLEN ~ 20 keeps 20 to 30 entries (nodes of 10), kept ${length}`);
    await out.close();
  });

  it('drops the oldest queued entries at once when update() lowers queueSize, and counts them', async () => {
    const out = publisher({ port: await freePort(), stream: 'nowhere' });
    await once(out, 'state');
    for (let i = 0; i < 10; i++) out.publish(frame(i));
    out.update({ queueSize: 4 });
    assert.deepEqual([out.status().queued, out.status().dropped], [4, 6]);
    assert.throws(() => out.update({ queueSize: 0 }), { name: 'TypeError', message: 'Expected an integer >= 1 for queueSize but received 0' });
    assert.equal(out.status().queued, 4, 'a refused update changes nothing');
    warnings.splice(0);
    await out.close({ flushMs: 0 });
    warnings.splice(0);
  });

  it('never throws when Redis is never reachable: warns with host:port, reports down, closes at once', async () => {
    const port = await freePort();
    const out = publisher({ port, stream: 'nowhere' });
    const [state] = await once(out, 'state');
    assert.equal(state, 'down');
    for (let i = 0; i < 10; i++) assert.equal(out.publish(frame(i)), true);
    const status = out.status();
    assert.equal(status.state, 'down');
    assert.equal(status.queued, 10);
    assert.equal(status.lastError, `Redis at 127.0.0.1:${port} refused the connection (ECONNREFUSED): check that ` +
      'redis-server runs there and that the Redis host and port (--redis_host, --redis_port) are right');
    assert.deepEqual(warnings.splice(0), [`Redis metadata output is down: ${status.lastError}. ` +
      'Entries wait in memory (up to 1000) and are sent when Redis is back.']);
    const start = Date.now();
    await out.close({ flushMs: 5000 });
    assert.ok(Date.now() - start < 1000, `close() took ${Date.now() - start} ms while Redis was down`);
    assert.ok(status.errors >= 1, 'the refused connection is counted');
    assert.deepEqual(out.status(), {
      state: 'closed', queued: 0, published: 10, sent: 0, dropped: 10, skipped: 0, rejected: 0, errors: out.status().errors,
      lastError: status.lastError,
    });
    assert.deepEqual(warnings.splice(0), [`Redis metadata output closed with 10 entries not delivered to 127.0.0.1:${port}; counted as dropped.`]);
    assert.equal(out.publish(frame(11)), false);
  });

  it('names an unresolvable host', async () => {
    const out = publisher({ host: 'owl-stream-test.invalid', stream: 'nowhere' });
    await once(out, 'state');
    assert.match(out.status().lastError ?? '', /^Redis host 'owl-stream-test\.invalid' cannot be resolved \((ENOTFOUND|EAI_AGAIN)\)|^Redis at owl-stream-test\.invalid:6379/);
    warnings.splice(0);
    await out.close();
  });

  it('rejects invalid options when constructed', () => {
    assert.throws(() => new RedisPublisher({ queueSize: 0 }), { name: 'TypeError', message: 'Expected an integer >= 1 for queueSize but received 0' });
    assert.throws(() => new RedisPublisher({ port: 70000 }), { name: 'TypeError', message: 'Expected an integer in 1..65535 for port but received 70000' });
  });
});
