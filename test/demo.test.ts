// SPDX-License-Identifier: Apache-2.0
// `npm run demo` after set-up: the demo script on free ports. It must serve the annotated stream and the
// metadata (starting its own redis-server when none answers), and stop cleanly on SIGINT, taking that
// redis-server with it.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';

import Redis from 'ioredis';

import { freePort } from './helpers/ports';
import { RtspWatcher } from './helpers/rtsp-reader';
import { ServiceProcess } from './helpers/service-process';

test('the demo serves video and metadata, then stops cleanly on SIGINT', async () => {
  const redisPort = await freePort();
  const demo = await ServiceProcess.start({ script: 'demo.js', args: ['--redis_port', String(redisPort)],
    env: { OWL_INPUT_TEST_WIDTH: '640', OWL_INPUT_TEST_HEIGHT: '360' } });
  try {
    assert.match(demo.log, new RegExp(`starting redis-server on 127\\.0\\.0\\.1:${redisPort}`));
    assert.match(demo.log, /redis-viewer\.js --redis_host localhost --redis_port \d+ --redis_stream owl/);
    await demo.waitFor(async () => (await demo.get('/ready')).status === 200, 'ready');
    const watcher = new RtspWatcher(demo.outputUrl);
    try {
      assert.deepEqual(await watcher.ready, { codec: 'h264', width: 640, height: 360 });
    } finally {
      await watcher.stop();
    }
    const client = new Redis(redisPort, '127.0.0.1');
    try {
      await demo.waitFor(async () => (await client.xlen('owl')) > 0, 'metadata in the demo redis-server');
    } finally {
      client.disconnect();
    }
    const { code } = await demo.signal('SIGINT');
    assert.equal(code, 0, demo.log);
    const deadline = Date.now() + 5000;
    while (await listening(redisPort) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await listening(redisPort), false, `the demo left redis-server running on ${redisPort}`);
  } finally {
    await demo.dispose();
  }
});

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
