// SPDX-License-Identifier: Apache-2.0
// 1,000 random malformed requests (paths, query strings, methods, headers, bodies, and broken HTTP on raw
// sockets) against every route of the REST API on loopback, with control characters, invalid UTF-8 (raw and
// percent-encoded), lone surrogates and oversized fields: every answer is a deliberate one (never 500), nothing
// is left unhandled, nothing unvalidated reaches the service (the stand-in asserts every prompt, id and URL it is
// handed: a 500 would follow), and /health still answers 200 afterwards. Seeded: OWL_FUZZ_SEED=<n> replays a run.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Random } from '../bench/tracking/random';
import { createApi } from '../ts/api/app';
import type { ApiServer } from '../ts/api/server';
import { StandInControlService } from './helpers/control-service-standin';

const SEED = Number(process.env.OWL_FUZZ_SEED ?? 20250101);
const HTTP_REQUESTS = 900;
const RAW_REQUESTS = 100;
const CONCURRENCY = 8;
const MAX_BODY = 1024;
const TOKEN = 'fuzz-token';
// Statuses a deliberate answer may have; 500 would mean an unexpected failure inside the service.
const DELIBERATE = new Set([200, 400, 401, 404, 405, 413, 415, 422, 501]);

const seeded = new Random(SEED);
const random = () => seeded.next();
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)];
const chars = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[int(alphabet.length)]).join('');
const randomBytes = (length: number) => Buffer.from(Array.from({ length }, () => int(256)));
const PATH_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&\'()*+,;=:@/%';
const QUERY_CHARS = `${PATH_CHARS}?[]{}`;

function percentJunk(): string {
  return Array.from({ length: 1 + int(6) }, () => `%${chars('0123456789ABCDEFGZz%', 2)}`).join('');
}

// Text no request may smuggle in: C0, DEL, C1, separators, bidi overrides, lone surrogates, and a forged line.
const HOSTILE_TEXT = ['\n', '\r\n', '\u0000', '\t', '\u001b[31m', '\u007f', '\u0085', '\u2028', '\u202e', '\ud800',
  '\udc00x', '\r\nSET owl_canary fuzz\r\n', '\n2026-01-01T00:00:00.000Z info  [owl-stream] forged'];
// The same, percent-encoded, plus encodings that are not UTF-8 (Koa would decode them to U+FFFD).
const HOSTILE_ENCODED = ['%0a', '%0d%0a', '%00', '%1b', '%7f', '%c2%85', '%e2%80%a8', '%FF%FE', '%ED%A0%80', '%C0%AF',
  '%F4%90%80%80', '%C3', '%E2%82'];

/** Ordinary text with hostile pieces inserted at random places. */
function hostileText(): string {
  let text = pick(['a person', 'a red car', 'rtsp://127.0.0.1:6379/x', 'front', 'gate camera']);
  for (let n = 1 + int(3); n > 0; n--) {
    const at = int(text.length + 1);
    text = text.slice(0, at) + pick(HOSTILE_TEXT) + text.slice(at);
  }
  return int(8) === 0 ? text + 'x'.repeat(2000 + int(3000)) : text;
}

/** A query value with hostile percent-encoded pieces. */
function hostileEncoded(): string {
  const text = encodeURIComponent(pick(['a person', 'line1', 'cafe']));
  const at = int(text.length + 1);
  return text.slice(0, at) + pick(HOSTILE_ENCODED) + text.slice(at);
}

function randomPath(): string {
  const known = ['/prompt', '/prompt/', '/PROMPT', '/health', '/ready', '/status', '/metrics', '/detections', '/streams',
    '/config', '/', '//prompt', '/prompt/../health', '/prompt%2F', '/%', '/%zz', '/..%2f..%2fetc%2fpasswd', '/prompt;x',
    '/rates', '/snapshot.jpg', '/page/page.js', '/api/v1/live-stream', '/api/v1/detection/classes',
    '/api/v1/health/ready', `/api/v1/live-stream/${hostileEncoded()}`, `/api/v1/live-stream/front${pick(HOSTILE_ENCODED)}`,
    `/prompt${pick(HOSTILE_ENCODED)}`];
  switch (int(8)) {
    case 0: return `/${chars(PATH_CHARS, int(40))}`;
    case 1: return `/${'a/'.repeat(int(800))}`;
    case 2: case 3: return pick(known);
    default: return '/prompt';
  }
}

function randomValue(): string {
  switch (int(11)) {
    case 9: return hostileEncoded();
    case 10: return encodeURIComponent(hostileText().replace(/[\ud800-\udfff]/g, '')) + pick(['', ',a', '%2Cb']);
    case 0: return '';
    case 1: return percentJunk();
    case 2: return chars(QUERY_CHARS, int(300));
    case 3: return encodeURIComponent(Array.from({ length: 1 + int(30) }, () => String.fromCodePoint(int(0x2ffff))).join('')
      .replace(/[\ud800-\udfff]/g, ''));
    case 4: return Array.from({ length: int(40) }, () => pick(['a person', 'a hat', '', ' ', '|', 'x'.repeat(int(300))]))
      .map(encodeURIComponent).join(',');
    case 5: return Array.from({ length: int(40) }, () => pick(['0.1', '1', '0', '-1', '2', 'NaN', 'inf', '1e400', '0x1', '.5', '']))
      .join(',');
    case 6: return 'a%20person,a%20hat';
    case 7: return '0.1,0.2';
    default: return encodeURIComponent(JSON.stringify({ objects: ['a'], thresholds: [0.1] }));
  }
}

function randomQuery(): string {
  if (int(4) === 0) return '';
  const keys = ['objects', 'thresholds', 'objects', 'thresholds', 'object', '__proto__', 'constructor', 'objects[]', '', '%'];
  const parts = Array.from({ length: int(5) }, () => (int(8) === 0 ? pick(keys) : `${pick(keys)}=${randomValue()}`));
  return `?${parts.join(pick(['&', '&', ';', '&&']))}`;
}

function randomBody(): Buffer | null {
  switch (int(16)) {
    case 12: return Buffer.from(JSON.stringify({ objects: [hostileText(), 'a hat'], thresholds: [0.1] }));
    case 13: return Buffer.from(JSON.stringify({ liveStreamUrl: hostileText(), description: pick(['', hostileText()]) }));
    case 14: return Buffer.from(JSON.stringify({ objects: ['a car'], thresholds: [0.2], id: hostileText() }));
    // Invalid UTF-8 inside an otherwise valid JSON body.
    case 15: return Buffer.concat([Buffer.from('{"objects": ["a'), randomBytes(1 + int(4)).map((b) => b | 0x80),
      Buffer.from('"], "thresholds": [0.1]}')]);
    case 0: return null;
    case 1: return Buffer.alloc(0);
    case 2: return randomBytes(int(2000));
    case 3: return Buffer.from(JSON.stringify({ objects: Array.from({ length: int(50) }, () => chars(QUERY_CHARS, int(30))),
      thresholds: Array.from({ length: int(50) }, () => random() * 3 - 1) }));
    case 4: return Buffer.from('['.repeat(int(1000)) + ']'.repeat(int(1000)));
    case 5: return Buffer.from(pick(['null', 'true', '1', '"a"', '[]', '{}', '{"objects":null}', '{"objects":{}}',
      '{"__proto__":{"objects":["a"]}}', '{"objects":["a"],"thresholds":[1e309]}', '{"objects":"a","thresholds":"0.1","x":1}']));
    case 6: return Buffer.from(JSON.stringify({ objects: 'a'.repeat(int(3 * MAX_BODY)), thresholds: 0.1 }));
    case 7: return Buffer.from(`{"objects": ["a", "b"], "thresholds": [0.1, ${chars('0123456789.e-+', int(10))}]}`);
    case 8: return Buffer.from(JSON.stringify({ objects: randomValue(), thresholds: randomValue() }));
    default: return Buffer.from(JSON.stringify({ objects: ['a person', 'a hat'], thresholds: [random(), random()] }));
  }
}

/** A request the successor's routes take, with hostile text in its fields. */
function jpsCase(port: number): { port: number; method: string; path: string; headers: Record<string, string>; body: Buffer | null } {
  const headers = { 'Content-Type': 'application/json' };
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  switch (int(4)) {
    case 0: return { port, method: 'POST', path: '/api/v1/live-stream', headers,
      body: json({ liveStreamUrl: hostileText(), description: pick(['gate', hostileText()]) }) };
    case 1: return { port, method: 'POST', path: '/api/v1/detection/classes', headers,
      body: json({ objects: [pick(['a car', hostileText()]), hostileText()], thresholds: [0.2, 0.3], id: pick([null, 'front', hostileText()]) }) };
    case 2: return { port, method: 'DELETE', path: `/api/v1/live-stream/${pick([hostileEncoded(), encodeURIComponent('front\u2028')])}`,
      headers: {}, body: null };
    default: return { port, method: 'POST', path: '/api/v1/live-stream', headers, body: json({ liveStreamUrl: `rtsp://cam/${int(100)}` }) };
  }
}

function randomHeaders(body: Buffer | null): Record<string, string> {
  const headers: Record<string, string> = {};
  // Mostly JSON, so bodies reach the handlers; the rest must be refused with 415 before being read.
  if (int(4) !== 0) headers['Content-Type'] = pick(['application/json', 'application/json', 'application/json; charset=utf-8',
    'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1',
    chars(QUERY_CHARS, 20)]);
  if (int(5) === 0) headers.Authorization = pick([`Bearer ${TOKEN}`, 'Bearer', 'Bearer x', `Basic ${TOKEN}`, chars(QUERY_CHARS, 200)]);
  if (int(10) === 0) headers['Content-Encoding'] = pick(['gzip', 'br', 'identity', 'x']);
  if (int(10) === 0) headers['X-Junk'] = chars(QUERY_CHARS, int(2000));
  if (int(10) === 0) headers.Accept = pick(['text/html', '*/*', 'application/xml']);
  // Framed bodies only (Content-Length or chunked): unframed bytes are broken HTTP, which the raw-socket cases cover.
  if (body !== null) {
    if (int(6) === 0) headers['Transfer-Encoding'] = 'chunked';
    else headers['Content-Length'] = String(body.length);
  }
  return headers;
}

interface Outcome {
  status: number | null;
  body: string;
  clientError: string | null;
}

function send(port: number, method: string, path: string, headers: Record<string, string>, body: Buffer | null): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? null, body: Buffer.concat(chunks).toString(), clientError: null }));
      res.on('error', (err) => resolve({ status: res.statusCode ?? null, body: '', clientError: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: null, body: '', clientError: err.code ?? err.message }));
    if (body !== null) req.write(body);
    req.end();
  });
}

function rawRequest(): Buffer {
  const line = `${pick(['GET', 'POST', 'BREW', 'G E T', '', 'GET\u0000'])} ${pick(['/prompt', '/health', '*', 'http://x/prompt', '',
    '/prompt?objects=a b'])} ${pick(['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9', 'FOO', ''])}`;
  const headers = pick([
    'Host: x\r\n',
    'Host: x\r\nContent-Length: 99999\r\n',
    'Host: x\r\nContent-Length: -1\r\n',
    'Host: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n',
    'Host: x\r\nTransfer-Encoding: chunked\r\n',
    'Host: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n',
    'no colon here\r\n',
    `Host: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n`,
    '',
  ]);
  const body = pick(['', '{"objects":"a"', 'zz\r\nnot chunked\r\n', '5\r\n{"obj\r\n0\r\n\r\n', randomBytes(200).toString('latin1')]);
  return int(6) === 0 ? randomBytes(int(600)) : Buffer.from(`${line}\r\n${headers}\r\n${body}`, 'latin1');
}

function sendRaw(port: number, data: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    // Incomplete requests get no answer: stop waiting after a moment, as a client would hang up.
    const timer = setTimeout(done, 300);
    socket.on('error', done);
    socket.on('close', done);
    socket.on('data', () => undefined);
    socket.on('connect', () => socket.write(data, () => undefined));
  });
}

async function pool<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  }));
  return results;
}

let open: ApiServer;
let guarded: ApiServer;
let service: StandInControlService;
const unhandled: unknown[] = [];
const onUnhandled = (err: unknown) => unhandled.push(err);

before(async () => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  service = new StandInControlService();
  const limits = { maxPrompts: 25, maxPromptLength: 200 };
  open = createApi(service, { token: '', maxBodyBytes: MAX_BODY, promptLimits: limits });
  guarded = createApi(service, { token: TOKEN, maxBodyBytes: MAX_BODY, promptLimits: limits });
  await open.listen('127.0.0.1', 0);
  await guarded.listen('127.0.0.1', 0);
});

after(async () => {
  await Promise.all([open.close(), guarded.close()]);
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
});

describe(`REST API under random malformed requests (seed ${SEED})`, () => {
  it(`answers ${HTTP_REQUESTS + RAW_REQUESTS} malformed requests deliberately and stays healthy`, { timeout: 120_000 }, async (t) => {
    const ports = [open.address()!.port, guarded.address()!.port];
    const cases = Array.from({ length: HTTP_REQUESTS }, () => {
      if (int(6) === 0) return jpsCase(ports[0]);
      const method = pick(['GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'DELETE', 'PATCH', 'OPTIONS',
        'HEAD', 'PROPFIND', 'M-SEARCH']);
      const body = method === 'GET' && int(3) !== 0 ? null : randomBody();
      // Most requests go to the open server, so they reach the handlers; a fifth test the token check.
      return { port: int(5) === 0 ? ports[1] : ports[0], method, path: randomPath() + randomQuery(), headers: randomHeaders(body), body };
    });
    const outcomes = await pool(cases.map((c) => () => send(c.port, c.method, c.path, c.headers, c.body)), CONCURRENCY);
    await pool(Array.from({ length: RAW_REQUESTS }, () => rawRequest()).map((data) => () => sendRaw(ports[int(2)], data)), CONCURRENCY);

    const statuses = new Map<number | string, number>();
    outcomes.forEach((outcome, i) => {
      const c = cases[i];
      const what = `${c.method} ${c.path.slice(0, 120)} ${JSON.stringify(c.headers).slice(0, 200)} body=${c.body?.length ?? '-'}`;
      const key = outcome.status ?? `client ${outcome.clientError}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      if (outcome.status === null) {
        // The server may close the connection while an oversized body is still being sent: that is its answer.
        assert.ok((c.body?.length ?? 0) > MAX_BODY && ['ECONNRESET', 'EPIPE'].includes(outcome.clientError ?? ''),
          `no answer (${outcome.clientError}) to ${what}`);
        return;
      }
      // 503 is the documented answer of /snapshot.jpg before the first frame (the stand-in has none).
      const documented = outcome.status === 503 && /^\/snapshot\.jpg\/?(\?|$)/i.test(c.path);
      assert.ok(DELIBERATE.has(outcome.status) || documented, `status ${outcome.status} for ${what}: ${outcome.body.slice(0, 300)}`);
      if (outcome.status >= 400 && c.method !== 'HEAD') {
        let body: { error: { code: unknown; message: unknown } };
        try {
          body = JSON.parse(outcome.body);
        } catch {
          assert.fail(`status ${outcome.status} without a JSON error body for ${what}: ${JSON.stringify(outcome.body.slice(0, 200))}`);
        }
        assert.equal(typeof body.error.code, 'string', what);
        assert.equal(typeof body.error.message, 'string', what);
      }
    });
    t.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
    // Enough variety reached the handlers, not only the router's 404s.
    assert.ok((statuses.get(200) ?? 0) > 50 && (statuses.get(400) ?? 0) > 50 && (statuses.get(404) ?? 0) > 50
      && (statuses.get(415) ?? 0) > 10 && (statuses.get(422) ?? 0) > 10, `status mix ${JSON.stringify([...statuses])}`);

    assert.deepEqual(unhandled, []);
    const health = await send(ports[0], 'GET', '/health', {}, null);
    assert.deepEqual([health.status, JSON.parse(health.body)], [200, { status: 'ok' }]);
    const prompts = await send(ports[0], 'GET', '/prompt', {}, null);
    assert.equal(prompts.status, 200);
    const current = JSON.parse(prompts.body) as { objects: string[]; thresholds: number[] };
    assert.equal(current.objects.length, current.thresholds.length);
  });
});
