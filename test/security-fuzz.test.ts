// SPDX-License-Identifier: Apache-2.0
// Seeded fuzz of every URL entry point (issue #13): hostile URLs (control characters, whitespace, encoded
// controls, lone surrogates, non-ASCII, backslashes, oversized) given through the command line, the environment, a
// config file, the REST API of the running service and VST's answers to it. Every one is refused with a message
// that is one clean line, no 5xx, nothing reaches the recording server or runs on Redis, and the service stays
// healthy after each. Real parts: the service and the CLI as processes, redis-server, a recording TCP server;
// VST is a stand-in. Seeded: OWL_FUZZ_SEED=<n> replays a run.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { Random } from '../bench/tracking/random';
import { resolveConfig } from '../ts/cli/args';
import { ConfigError } from '../ts/config/errors';
import { classifyInput } from '../ts/config/input-uri';
import { controlCharProblem } from '../ts/config/safe-text';
import { checkUrl } from '../ts/config/url-policy';
import { parseLiveStreams } from '../ts/vst/streams';
import { RecordingServer } from './helpers/recording-server';
import { RedisServer } from './helpers/redis-server';
import { ServiceProcess, TINY_MODEL } from './helpers/service-process';
import { VstStandIn } from './helpers/vst-standin';
import { waitFor } from './helpers/wait';

const SEED = Number(process.env.OWL_FUZZ_SEED ?? 20260101);

const seeded = new Random(SEED);
const random = () => seeded.next();
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)];

// Each of these makes a URL unacceptable wherever it is put (after the scheme).
const POISON = ['\r\n', '\n', '\r', '\u0000', '\t', ' ', '\u001b', '\u007f', '\u0085', '\u009b', '\u00a0', '\u2028', '\u2029',
  '\u202e', '\u3000', '\ufeff', '\ud800', '\udfff', 'é', '漢', '\\', '%0d%0a', '%0A', '%00', '%1B', '%7f',
  '\r\nSET owl_canary fuzz\r\n', '\nFLUSHALL\n'];

/** A hostile URL aimed at `port`: a plausible camera or VST address with poison after its scheme, or far too long. */
function hostileUrl(port: number): string {
  const base = pick([`rtsp://127.0.0.1:${port}/cam`, `rtsp://user:pw@127.0.0.1:${port}/live?channel=1`,
    `rtsps://127.0.0.1:${port}/x`, `rtsp://[::1]:${port}/a/b`, `RTSP://127.0.0.1:${port}`]);
  if (int(10) === 0) return `${base}/${'a'.repeat(2048 + int(4000))}`;
  let url = base;
  for (let n = 1 + int(3); n > 0; n--) {
    const start = url.indexOf('://') + 3;
    const at = start + int(url.length - start + 1);
    url = url.slice(0, at) + pick(POISON) + url.slice(at);
  }
  return url;
}

/** The message is one line with no control character, and does not echo what it refused raw. */
function assertClean(message: string, what: string): void {
  assert.equal(controlCharProblem(message), null, `${what}: ${JSON.stringify(message.slice(0, 300))}`);
}

let recorder: RecordingServer;
let redis: RedisServer;
let client: Redis;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-fuzz-'));

before(async () => {
  [recorder, redis] = await Promise.all([RecordingServer.start(), RedisServer.start()]);
  client = new Redis(redis.port, '127.0.0.1');
});

after(async () => {
  client.disconnect();
  await Promise.all([recorder.stop(), redis.dispose()]);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function assertNothingForwarded(): Promise<void> {
  assert.equal(await client.exists('owl_canary'), 0, 'Redis ran an injected command');
  assert.equal(await client.dbsize(), 0, 'Redis holds keys');
  assert.equal(recorder.connections, 0, `the recorder got ${JSON.stringify(recorder.received.toString('latin1').slice(0, 300))}`);
}

describe(`URL entry points under hostile URLs (seed ${SEED})`, () => {
  it('refuses 600 of them from flags, variables and config files, each message naming its source', () => {
    const read = (files: Record<string, string>) => (file: string) => {
      if (!(file in files)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return files[file];
    };
    for (let i = 0; i < 600; i++) {
      const url = hostileUrl(recorder.port);
      const [argv, env, files, source] = pick([
        [[url], {}, {}, 'stream_input: input.uri'],
        [['test:', '--stream_output', url], {}, {}, '--stream_output: output.url'],
        [[], { OWL_INPUT_URI: url }, {}, 'environment OWL_INPUT_URI: input.uri'],
        [['--config', 'c.yaml'], {}, { 'c.yaml': `input:\n  uri: ${JSON.stringify(url)}\n` }, 'c.yaml: input.uri'],
        [['--config', 'c.yaml', 'test:'], {}, { 'c.yaml': `streams:\n  - uri: ${JSON.stringify(url)}\n` }, 'c.yaml: streams[0].uri'],
        [['--config', 'c.yaml', 'test:'], {}, { 'c.yaml': `output:\n  url: ${JSON.stringify(url)}\n` }, 'c.yaml: output.url'],
      ] as [string[], NodeJS.ProcessEnv, Record<string, string>, string][]);
      const what = `${source} ${JSON.stringify(url).slice(0, 120)}`;
      try {
        resolveConfig(argv, env, read(files));
        assert.fail(`accepted ${what}`);
      } catch (err) {
        assert.ok(err instanceof ConfigError, `${what}: ${err}`);
        assert.ok(err.message.startsWith(`${source}: expected `), `${what}: ${err.message.slice(0, 200)}`);
        assertClean(err.message, what);
      }
    }
  });

  it('refuses them as a real process from the command line and the environment (exit 2), sending nothing', async () => {
    for (let i = 0; i < 4; i++) {
      const url = hostileUrl(recorder.port).replace(/\u0000/g, '');  // an argument cannot hold NUL
      const viaEnv = i % 2 === 1;
      const service = await ServiceProcess.start({ args: [...(viaEnv ? [] : [url]), '--model', TINY_MODEL, '--redis_host',
        '127.0.0.1', '--redis_port', String(redis.port)], env: viaEnv ? { OWL_INPUT_URI: url } : {}, waitHealthy: false });
      assert.equal(await service.exited, 2, service.log);
      assertClean(service.log.trimEnd().replaceAll('\n', ' '), JSON.stringify(url));
    }
    await assertNothingForwarded();
  });

  it('skips every hostile URL VST lists, saying why in one clean line', () => {
    for (let i = 0; i < 300; i++) {
      const url = hostileUrl(recorder.port);
      const id = pick(['cam-1', `cam${pick(POISON)}2`, 'x'.repeat(300)]);
      const { streams, skipped } = parseLiveStreams('http://vst:81/', [{ [id]: [{ isMain: true, url, name: pick(['gate', `ga${pick(POISON)}te`]) }] }]);
      assert.deepEqual(streams, [], JSON.stringify(url));
      assert.equal(skipped.length, 1);
      assertClean(`${skipped[0].streamId}: ${skipped[0].reason}`, JSON.stringify(url));
    }
  });
});

describe(`the running service under hostile URLs (seed ${SEED})`, () => {
  let vst: VstStandIn;
  let service: ServiceProcess;

  before(async () => {
    // VST is followed and answers a fresh list of hostile streams at every poll.
    vst = new VstStandIn(() => ({ status: 200, body: Array.from({ length: 5 }, (_, i) => ({
      [`cam-${int(1000)}`]: [{ isMain: true, url: hostileUrl(i % 2 === 0 ? recorder.port : redis.port), name: 'gate' }],
    })) }));
    const base = await vst.start();
    service = await ServiceProcess.start({
      args: [base, '--model', TINY_MODEL, '--redis_host', '127.0.0.1', '--redis_port', String(redis.port), '--redis_stream',
        'owl_fuzz'],
      env: { OWL_INPUT_VST_FOLLOW: 'true', OWL_INPUT_VST_POLL_MS: '500', OWL_API_MAX_BODY_BYTES: '65536' },
    });
  });

  after(async () => {
    await service.dispose();
    await vst.stop();
  });

  it('answers 300 hostile stream requests with a 4xx, never adds one, and stays healthy after each', async () => {
    const statuses = new Map<number, number>();
    for (let i = 0; i < 300; i++) {
      const url = hostileUrl(pick([recorder.port, redis.port]));
      const type = pick(['application/json', 'application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded']);
      const body = JSON.stringify(pick([{ liveStreamUrl: url }, { liveStreamUrl: url, description: 'gate' },
        { liveStreamUrl: 'rtsp://127.0.0.1:1/x', description: `a${pick(POISON)}b` }]));
      const res = await service.get('/api/v1/live-stream', { method: 'POST', headers: { 'Content-Type': type }, body });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} for ${body.slice(0, 200)}: ${JSON.stringify(res.body).slice(0, 300)}`);
      assertClean(JSON.stringify(res.body), body.slice(0, 120));
      assert.equal((await service.get('/health')).status, 200, 'healthy after each');
    }
    assert.ok((statuses.get(400) ?? 0) > 50 && (statuses.get(415) ?? 0) > 30 && (statuses.get(422) ?? 0) > 10,
      JSON.stringify([...statuses]));
    // VST is asked every 500 ms, with 5 hostile streams each time: let it answer a few times (however fast the
    // requests above went) before checking that none of them runs.
    await waitFor(() => vst.requests.length >= 3, 'VST to be asked three times');
    await sleep(500);
    assert.deepEqual((await service.get('/streams')).body, [], 'no hostile stream runs');
    assert.equal((await service.get('/ready')).status, 503);
    await assertNothingForwarded();
    assert.ok(!service.log.includes('\r'), 'no raw CR in the log');
    assert.ok(service.log.split('\n').every((line) => line === '' || /^\d{4}-\d\d-\d\dT[\d:.]+Z (error|warn |info |debug) \[/.test(line)),
      'every log line is one of the logger\'s');
    assert.equal(classifyInput(hostileUrl(1)), null);
    assert.equal(checkUrl(hostileUrl(1), ['rtsp:', 'rtsps:']).ok, false);
  });
});
