// SPDX-License-Identifier: Apache-2.0
// Issue #13, item 5: Redis with a password and TLS (publisher, viewer, the service end to end), optional RTSP
// output authentication, and secrets that never show. Real parts: redis-server with requirepass and a tls-port
// (certificates made by openssl for this run), the viewer and the service as processes, ffmpeg as the RTSP
// client, raw RTSP over TCP.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { RtspServer } from '../ts/pipeline/rtsp-server';
import { Pipeline } from '../ts/pipeline';
import { RedisPublisher } from '../ts/redis/publisher';
import { freePort } from './helpers/ports';
import { RedisServer } from './helpers/redis-server';
import { makeTestCertificates } from './helpers/test-certificates';
import { measureRtsp } from './helpers/rtsp-reader';
import { ServiceProcess, TINY_MODEL } from './helpers/service-process';
import { waitFor } from './helpers/wait';

const PASSWORD = 'owl s3cret, not for logs';
const RTSP_USER = 'viewer';
const RTSP_PASSWORD = 'rtsp-s3cret';
const VIEWER = path.resolve(__dirname, '..', 'ts', 'cli', 'redis-viewer.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-deploy-'));
let ca: string;
let redis: RedisServer;
let tlsPort: number;
let admin: Redis;

before(async () => {
  const certificates = makeTestCertificates(dir);
  ca = certificates.ca;
  const { cert, key } = certificates.server;
  tlsPort = await freePort();
  redis = await RedisServer.start({ password: PASSWORD, args: ['--tls-port', String(tlsPort), '--tls-cert-file', cert,
    '--tls-key-file', key, '--tls-ca-cert-file', ca, '--tls-auth-clients', 'no'] });
  admin = new Redis({ host: '127.0.0.1', port: redis.port, password: PASSWORD });
});

after(async () => {
  admin.disconnect();
  await redis.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

const frame = (i: number) => ({ frameId: i, timestamp: new Date(), sensorId: 'cam', objects: [] });

/** Runs the viewer until it printed `count` entries (or gives up after `ms`); resolves with its output. */
function viewer(args: string[], env: NodeJS.ProcessEnv = {}, ms = 5000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [VIEWER, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c; });
    child.stderr.on('data', (c: Buffer) => { stderr += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve({ stdout, stderr });
    });
  });
}

describe('Redis with a password and TLS', () => {
  it('publishes with the password, and says what to set without it or with a wrong one', async () => {
    const out = new RedisPublisher({ host: '127.0.0.1', port: redis.port, stream: 'auth', password: PASSWORD, warn: () => undefined });
    out.publish(frame(1));
    await waitFor(() => out.status().sent === 1, 'sent with the password');
    await out.close();
    for (const [password, problem] of [['', 'needs a password (NOAUTH): set OWL_REDIS_PASSWORD or redis.passwordFile'],
      ['wrong', 'refused the password (WRONGPASS): check OWL_REDIS_PASSWORD or redis.passwordFile']]) {
      const refused = new RedisPublisher({ host: '127.0.0.1', port: redis.port, stream: 'auth', password, warn: () => undefined });
      await waitFor(() => refused.status().lastError !== null, `refused with password "${password}"`);
      assert.equal(refused.status().lastError, `Redis at 127.0.0.1:${redis.port} ${problem}`);
      assert.ok(refused.status().errors >= 1);
      await refused.close({ flushMs: 0 });
    }
  });

  it('publishes over TLS, checking Redis\'s certificate against the given CA', async () => {
    const out = new RedisPublisher({ host: '127.0.0.1', port: tlsPort, stream: 'tls', password: PASSWORD, tls: true,
      tlsCaFile: ca, warn: () => undefined });
    out.publish(frame(1));
    await waitFor(() => out.status().sent === 1, 'sent over TLS');
    await out.close();
    // Without the CA the self-made certificate is refused; without TLS the TLS port says nothing useful.
    const untrusted = new RedisPublisher({ host: '127.0.0.1', port: tlsPort, stream: 'tls', password: PASSWORD, tls: true,
      warn: () => undefined });
    await waitFor(() => untrusted.status().lastError !== null, 'untrusted refused');
    assert.match(untrusted.status().lastError!, /TLS failed \(.*certificate.*\): check redis\.tls and redis\.tlsCaFile$/);
    await untrusted.close({ flushMs: 0 });
    assert.equal(await admin.xlen('tls'), 1);
  });

  it('lets owl-redis-viewer read with OWL_REDIS_PASSWORD or a password file, over TLS with rediss://', async () => {
    await admin.xadd('view', '*', 'metadata', JSON.stringify({ version: '4.0', id: '7', '@timestamp': '2026-01-01T00:00:00.000Z',
      sensorId: 'cam', objects: [] }));
    const args = ['--redis_stream', 'view', '--from-start', '--count', '1', '--json'];
    const plain = await viewer([...args, '--redis_host', '127.0.0.1', '--redis_port', String(redis.port)], { OWL_REDIS_PASSWORD: PASSWORD });
    assert.match(plain.stdout, /^\{"version":"4\.0","id":"7"/);
    const file = path.join(dir, 'password');
    fs.writeFileSync(file, `${PASSWORD}\n`);
    const tls = await viewer([...args, '--redis_url', `rediss://127.0.0.1:${tlsPort}`, '--redis_ca', ca, '--redis_password_file', file]);
    assert.match(tls.stdout, /^\{"version":"4\.0","id":"7"/, tls.stderr);
    const none = await viewer([...args, '--redis_host', '127.0.0.1', '--redis_port', String(redis.port)], {}, 1500);
    assert.match(none.stderr, /needs a password \(NOAUTH\): set OWL_REDIS_PASSWORD/);
    const hostile = await viewer(['--redis_url', 'redis://127.0.0.1:1/\r\nFLUSHALL']);
    assert.match(hostile.stderr, /--redis_url contains a carriage return \(U\+000D\) at position 21/);
    for (const output of [plain, tls, none]) assert.ok(!`${output.stdout}${output.stderr}`.includes(PASSWORD));
  });
});

describe('RTSP output authentication', () => {
  it('answers 401 without credentials and serves video with them (basic and digest offered)', async () => {
    const server = RtspServer.start({ host: '127.0.0.1', port: 0, auth: { user: RTSP_USER, password: RTSP_PASSWORD } });
    const pipeline = new Pipeline();
    pipeline.start({ input: 'test:', testSource: { width: 160, height: 120, fps: 15 }, output: { server, mount: '/out' } });
    try {
      const url = server.url('/out');
      const answer = await rawRtsp(server.port, `DESCRIBE ${url} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n`);
      assert.match(answer, /^RTSP\/1\.0 401 Unauthorized\r\n/);
      assert.match(answer, /WWW-Authenticate: Basic realm=/);
      assert.match(answer, /WWW-Authenticate: Digest realm=/);
      const wrong = await rawRtsp(server.port, `DESCRIBE ${url} RTSP/1.0\r\nCSeq: 1\r\nAuthorization: Basic `
        + `${Buffer.from(`${RTSP_USER}:nope`).toString('base64')}\r\n\r\n`);
      assert.match(wrong, /^RTSP\/1\.0 401 Unauthorized\r\n/);
      const measured = await measureRtsp(url.replace('rtsp://', `rtsp://${RTSP_USER}:${RTSP_PASSWORD}@`), 1);
      assert.deepEqual([measured.codec, measured.width, measured.height], ['h264', 160, 120]);
    } finally {
      pipeline.stop();
      server.stop();
    }
  });
});

describe('the service with Redis password and TLS, and RTSP authentication', () => {
  let service: ServiceProcess;

  before(async () => {
    service = await ServiceProcess.start({
      args: ['test:', '--model', TINY_MODEL, '--redis_host', '127.0.0.1', '--redis_port', String(tlsPort), '--redis_stream', 'e2e',
        '--api_host', '127.0.0.1'],
      env: { OWL_REDIS_PASSWORD: PASSWORD, OWL_REDIS_TLS: 'true', OWL_REDIS_TLS_CA_FILE: ca,
        OWL_OUTPUT_AUTH_USER: RTSP_USER, OWL_OUTPUT_AUTH_PASSWORD: RTSP_PASSWORD,
        OWL_INPUT_TEST_WIDTH: '160', OWL_INPUT_TEST_HEIGHT: '120', OWL_INPUT_TEST_FPS: '10' },
    });
  });
  after(() => service.dispose());

  it('writes metadata over TLS with the password, serves video only with credentials, and never shows a secret', async () => {
    await service.waitFor(async () => (await admin.xlen('e2e')) > 0, 'metadata over TLS');
    const answer = await rawRtsp(service.rtspPort, `DESCRIBE ${service.outputUrl} RTSP/1.0\r\nCSeq: 1\r\n\r\n`);
    assert.match(answer, /^RTSP\/1\.0 401 Unauthorized\r\n/);
    const measured = await measureRtsp(service.outputUrl.replace('rtsp://', `rtsp://${RTSP_USER}:${RTSP_PASSWORD}@`), 1);
    assert.equal(measured.codec, 'h264');
    const config = (await service.get('/config')).body;
    assert.deepEqual([config.redis.password, config.output.auth], ['***', { user: RTSP_USER, password: '***' }]);
    const shown = JSON.stringify([config, (await service.get('/status')).body, (await service.get('/ready')).body,
      (await service.get('/streams')).body]) + service.log;
    for (const secret of [PASSWORD, RTSP_PASSWORD]) assert.ok(!shown.includes(secret), `${secret} shown`);
  });
});

/** Sends one RTSP request on a fresh connection; resolves with the response head. */
function rawRtsp(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let reply = '';
    socket.setTimeout(3000, () => socket.destroy(new Error('no RTSP answer')));
    socket.on('data', (chunk) => {
      reply += chunk;
      if (reply.includes('\r\n\r\n')) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(reply));
  });
}
