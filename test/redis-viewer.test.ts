// SPDX-License-Identifier: Apache-2.0
// owl-redis-viewer run as a child process (the built CLI) against a real redis-server fed by RedisPublisher.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import Redis from 'ioredis';
import type { FrameMetadata } from '../ts/redis/minimal-schema';
import { RedisPublisher } from '../ts/redis/publisher';
import { freePort } from './helpers/ports';
import { RedisServer } from './helpers/redis-server';
import { waitFor } from './helpers/wait';

const VIEWER = path.resolve(__dirname, '../ts/cli/redis-viewer.js');
const T0 = Date.UTC(2026, 10, 24, 10, 0, 0, 123);

function frame(frameId: number, objects: number): FrameMetadata {
  return {
    frameId,
    timestamp: new Date(T0 + frameId * 1000),
    sensorId: 'cam1',
    objects: Array.from({ length: objects }, (_, k) => ({ label: k ? 'a hat' : 'a person', box: [120.5 + k, 33, 410.2, 700.9] as const })),
  };
}

/** The viewer as a child process; stdout and stderr are collected as they come. */
function startViewer(port: number, ...args: string[]) {
  const child = spawn(process.execPath, [VIEWER, '--redis_host', '127.0.0.1', '--redis_port', String(port), ...args]);
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => { out.stdout += chunk; });
  child.stderr.on('data', (chunk: Buffer) => { out.stderr += chunk; });
  const exit = once(child, 'exit').then(([code]) => code as number);
  return { child, out, exit };
}

describe('owl-redis-viewer', () => {
  let server: RedisServer;
  let out: RedisPublisher;
  const running: ReturnType<typeof startViewer>[] = [];

  function viewer(port: number, ...args: string[]) {
    const v = startViewer(port, ...args);
    running.push(v);
    return v;
  }

  before(async () => {
    server = await RedisServer.start();
    out = new RedisPublisher({ host: server.host, port: server.port, stream: 'view' });
    out.publish(frame(40, 2));
    out.publish(frame(41, 0));
    out.publish(frame(42, 1));
    await waitFor(() => out.status().sent === 3, '3 entries sent');
  });

  after(async () => {
    for (const v of running) v.child.kill();
    await out.close({ flushMs: 0 });
    await server.dispose();
  });

  it('prints the frames already in the stream readably with --from-start', async () => {
    const v = viewer(server.port, '--redis_stream', 'view', '--from-start', '--count', '3');
    assert.equal(await v.exit, 0, v.out.stderr);
    assert.equal(v.out.stdout,
      'frame 40  2026-11-24T10:00:40.123Z  sensor cam1  2 objects\n' +
      '  #0 a person  [120.5, 33, 410.2, 700.9]\n' +
      '  #1 a hat  [121.5, 33, 410.2, 700.9]\n' +
      'frame 41  2026-11-24T10:00:41.123Z  sensor cam1  0 objects\n' +
      'frame 42  2026-11-24T10:00:42.123Z  sensor cam1  1 object\n' +
      '  #2 a person  [120.5, 33, 410.2, 700.9]\n');
    assert.equal(v.out.stderr, `owl-redis-viewer: reading stream 'view' at 127.0.0.1:${server.port} (from the start)\n`);
  });

  it('prints raw JSON lines with --json, exactly what the publisher wrote', async () => {
    const v = viewer(server.port, '--redis_stream', 'view', '--from-start', '--count', '3', '--json');
    assert.equal(await v.exit, 0, v.out.stderr);
    const reader = new Redis({ host: server.host, port: server.port });
    const rows = await reader.xrange('view', '-', '+');
    reader.disconnect();
    assert.equal(v.out.stdout, rows.map(([, fields]) => `${fields[1]}\n`).join(''));
  });

  it('prints only new entries by default', async () => {
    const v = viewer(server.port, '--redis_stream', 'view', '--count', '1', '--json');
    await waitFor(() => v.out.stderr.includes('(new entries only)'), 'the viewer to start reading');
    out.publish(frame(43, 0));
    assert.equal(await v.exit, 0, v.out.stderr);
    assert.equal(v.out.stdout, '{"version":"4.0","id":"43","@timestamp":"2026-11-24T10:00:43.123Z","sensorId":"cam1","objects":[]}\n');
  });

  it('says clearly that Redis is unreachable, retries, and reads once it is up', async () => {
    const port = await freePort();
    const v = viewer(port, '--count', '1');
    await waitFor(() => v.out.stderr.includes('retrying'), 'the unreachable message');
    assert.equal(v.out.stderr, `owl-redis-viewer: Redis at 127.0.0.1:${port} refused the connection (ECONNREFUSED): check that ` +
      'redis-server runs there and that the Redis host and port (--redis_host, --redis_port) are right; retrying until it answers\n');
    const late = await RedisServer.start({ port });
    try {
      await waitFor(() => v.out.stderr.includes('(new entries only)'), 'the viewer to connect', 15_000);
      const lateOut = new RedisPublisher({ host: late.host, port: late.port }); // default stream: owl
      lateOut.publish(frame(7, 1));
      assert.equal(await v.exit, 0, v.out.stderr);
      await lateOut.close();
      assert.equal(v.out.stdout, 'frame 7  2026-11-24T10:00:07.123Z  sensor cam1  1 object\n  #0 a person  [120.5, 33, 410.2, 700.9]\n');
      assert.match(v.out.stderr, new RegExp(`owl-redis-viewer: Redis at 127.0.0.1:${port} answers again\n`));
    } finally {
      await late.dispose();
    }
  });

  it('reports a non-Minimal-Schema entry and goes on', async () => {
    const reader = new Redis({ host: server.host, port: server.port });
    await reader.xadd('mixed', '*', 'metadata', '{"version":"4.0"}');
    await reader.xadd('mixed', '*', 'other', 'x');
    reader.disconnect();
    const v = viewer(server.port, '--redis_stream', 'mixed', '--from-start', '--count', '2');
    assert.equal(await v.exit, 0, v.out.stderr);
    assert.equal(v.out.stdout, '');
    assert.match(v.out.stderr, /entry \d+-\d+ is not Minimal Schema: Expected an ISO 8601 timestamp for @timestamp but received nothing\n/);
    assert.match(v.out.stderr, /entry \d+-\d+ has no 'metadata' field \(fields: other\)\n/);
  });

  it('rejects bad arguments with the usage', async () => {
    const v = viewer(server.port, '--count', 'zero');
    assert.equal(await v.exit, 2);
    assert.match(v.out.stderr, /^owl-redis-viewer: Expected a positive integer for --count but received "zero"\nUsage: owl-redis-viewer/);
  });
});
