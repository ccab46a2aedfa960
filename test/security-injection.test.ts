// SPDX-License-Identifier: Apache-2.0
// Issue #13, item 1, as an attacker would try it: a stream URL with a line break must never reach another server.
// Real parts: the service as a process, a redis-server on loopback (the victim: `SET owl_canary` must not
// run), a recording TCP server (nothing may reach it), HTTP with the exact hostile bodies, the command line, the
// environment and a config file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { freePort } from './helpers/ports';
import { RecordingServer } from './helpers/recording-server';
import { RedisServer } from './helpers/redis-server';
import { ServiceProcess, TINY_MODEL } from './helpers/service-process';

/** The URL, aimed at `port`: its line breaks would write `SET owl_canary injected` into the request. */
const crlfUrl = (port: number) => `rtsp://127.0.0.1:${port}/x\r\nSET owl_canary injected\r\nX`;
/** 1-based position of the first CR in crlfUrl(port). */
const crAt = (port: number) => crlfUrl(port).indexOf('\r') + 1;

let redis: RedisServer;
let client: Redis;
let recorder: RecordingServer;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-injection-'));

before(async () => {
  redis = await RedisServer.start();
  client = new Redis(redis.port, '127.0.0.1');
  recorder = await RecordingServer.start();
});

after(async () => {
  client.disconnect();
  await Promise.all([redis.dispose(), recorder.stop()]);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Nothing reached Redis or the recorder: no canary key, not one connection. */
async function assertNothingForwarded(): Promise<void> {
  await sleep(1000);  // what the service might have sent would have arrived by now
  assert.equal(await client.exists('owl_canary'), 0, 'Redis ran the injected SET');
  assert.equal(recorder.connections, 0, `the recorder got ${JSON.stringify(recorder.received.toString('latin1'))}`);
}

/** The log holds no raw CR and no line the injection forged. */
function assertLogClean(log: string): void {
  assert.ok(!log.includes('\r'), 'a raw CR in the log');
  assert.ok(!log.split('\n').some((line) => /^(SET owl_canary|X$)/.test(line)), 'a forged log line');
}

describe('the CRLF stream URL through the API', () => {
  let service: ServiceProcess;

  before(async () => {
    // Default API host (0.0.0.0, as the seed) and no token: the set-up the issue attacked.
    service = await ServiceProcess.start({
      args: ['--model', TINY_MODEL, '--redis_host', '127.0.0.1', '--redis_port', String(redis.port)],
      env: { OWL_INPUT_ALLOW_EMPTY: 'true', OWL_INPUT_RECONNECT_STALL_TIMEOUT_MS: '1000' },
    });
  });
  after(() => service.dispose());

  const post = (body: string, type: string) => service.get('/api/v1/live-stream',
    { method: 'POST', headers: { 'Content-Type': type }, body });

  it('warns at start that the API has no token, naming the exposure and the fix', () => {
    assert.match(service.log, /warn  \[owl-stream\] REST API on 0\.0\.0\.0:\d+ has no token: anyone who can reach this port can /);
    assert.match(service.log, /Set a token with OWL_API_TOKEN/);
  });

  it('refuses it with 400 naming the character; Redis runs no command, nothing reaches the recorder', async () => {
    for (const port of [redis.port, recorder.port]) {
      const body = JSON.stringify({ liveStreamUrl: crlfUrl(port) });
      const res = await post(body, 'application/json');
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.error, { code: 'invalid_url', message: 'Livestream URL must be an RTSP link starting with '
        + `'rtsp://', liveStreamUrl contains a carriage return (U+000D) at position ${crAt(port)}` });
      // What a web page can make a visitor's browser send, with no preflight: refused before it is read.
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        assert.equal((await post(body, type)).status, 415, type);
      }
      // Percent-encoded, the line break is still refused.
      const encoded = await post(JSON.stringify({ liveStreamUrl: `rtsp://127.0.0.1:${port}/x%0d%0aSET%20owl_canary%20injected` }),
        'application/json');
      assert.equal(encoded.status, 400);
      assert.match(encoded.body.detail, /contains an encoded control character \(%0D\)/);
    }
    await assertNothingForwarded();
    assert.deepEqual((await service.get('/api/v1/live-stream')).body, []);
    assert.equal((await service.get('/health')).status, 200);
    assertLogClean(service.log);
  });

  it('refuses a prompt with a line break (item 2): no forged log line, the prompts stay', async () => {
    const before = (await service.get('/prompt')).body;
    const res = await service.get('/prompt?objects=line1%0a2026-01-01T00:00:00.000Z%20info%20%20[owl-stream]%20forged');
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'invalid_character');
    assert.deepEqual((await service.get('/prompt')).body, before);
    assert.ok(!/^2026-01-01T00:00:00\.000Z/m.test(service.log), 'a forged log line');
    assertLogClean(service.log);
  });

  it('answers a failed stream the same way whether the port is closed or open but not RTSP', async () => {
    const closed = await freePort();
    const answers = [];
    for (const port of [closed, redis.port]) {
      const res = await post(JSON.stringify({ liveStreamUrl: `rtsp://127.0.0.1:${port}/cam` }), 'application/json');
      assert.equal(res.status, 422);
      assert.deepEqual(res.body.error, { code: 'stream_failed',
        message: `Failed to add stream: no RTSP video at rtsp://127.0.0.1:${port}/cam` });
      answers.push(JSON.stringify(res.body).replaceAll(String(port), 'PORT'));
    }
    assert.equal(answers[0], answers[1], 'no port scanning through the API');
    // The operator's log keeps what happened to each.
    for (const port of [closed, redis.port]) {
      assert.match(service.log, new RegExp(`removed \\(its first connection failed: .*127\\.0\\.0\\.1:${port}/cam`));
    }
    assert.equal(await client.exists('owl_canary'), 0);
  });
});

describe('the CRLF stream URL at start', () => {
  const allowed = 'an rtsp:// URL, a VST http(s):// address, a file path or test:[pattern]';

  async function refusedAtStart(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
    const service = await ServiceProcess.start({ args: ['--model', TINY_MODEL, '--redis_host', '127.0.0.1', '--redis_port',
      String(redis.port), ...args], env, waitHealthy: false });
    try {
      assert.equal(await service.exited, 2, service.log);
      assertLogClean(service.log);
      return service.log;
    } finally {
      await service.dispose();
    }
  }

  it('refuses it from the command line, the environment and a config file, naming each (exit 2)', async () => {
    const port = recorder.port;
    const why = `expected ${allowed}; the value contains a carriage return (U+000D) at position ${crAt(port)}`;
    assert.match(await refusedAtStart([crlfUrl(port)]), new RegExp(`^owl-stream: stream_input: input\\.uri: ${escape(why)}\\n`));
    assert.match(await refusedAtStart([], { OWL_INPUT_URI: crlfUrl(port) }),
      new RegExp(`^owl-stream: environment OWL_INPUT_URI: input\\.uri: ${escape(why)}\\n`));
    const file = path.join(dir, 'hostile.yaml');
    fs.writeFileSync(file, `input:\n  uri: ${JSON.stringify(crlfUrl(port))}\n`);
    assert.match(await refusedAtStart(['--config', file]),
      new RegExp(`^owl-stream: ${escape(file)}: input\\.uri: ${escape(why)}\\n`));
    await assertNothingForwarded();
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
