// SPDX-License-Identifier: Apache-2.0
// The web page's side of the REST API over real HTTP, against the STAND-IN ControlService with real JPEGs:
// the page's files are public while data stays protected, the token is taken as `?token=` on the two image
// routes only, /snapshot.jpg and /video.mjpeg (framing, frame-rate cap, no repeats, stops when the viewer
// leaves), and /rates with the RateMeter behind it.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createApi } from '../ts/api/app';
import { RateMeter } from '../ts/api/rates';
import type { ApiServer } from '../ts/api/server';
import type { MetricsSnapshot } from '../ts/api/service';
import { MJPEG_MAX_FPS, SNAPSHOT_WAIT_MS } from '../ts/api/video-routes';
import { StandInControlService } from './helpers/control-service-standin';
import { testJpegs } from './helpers/test-jpegs';
import { waitFor } from './helpers/wait';

const TOKEN = 'page-api-token';
const LIMITS = { maxPrompts: 25, maxPromptLength: 200 };
let frames: Buffer[];
let service: StandInControlService;
let open: ApiServer;
let guarded: ApiServer;
let openBase: string;
let guardedBase: string;

before(async () => {
  frames = await testJpegs(4);
  service = new StandInControlService();
  open = createApi(service, { token: '', maxBodyBytes: 1024, promptLimits: LIMITS });
  guarded = createApi(service, { token: TOKEN, maxBodyBytes: 1024, promptLimits: LIMITS });
  openBase = `http://127.0.0.1:${(await open.listen('127.0.0.1', 0)).port}`;
  guardedBase = `http://127.0.0.1:${(await guarded.listen('127.0.0.1', 0)).port}`;
});
after(() => Promise.all([open.close(), guarded.close()]));
beforeEach(() => {
  service.frames = frames;
});

async function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  const response = await fetch(url, { headers, method });
  const bytes = Buffer.from(await response.arrayBuffer());
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, type, headers: response.headers, bytes,
    json: type.startsWith('application/json') ? JSON.parse(bytes.toString()) : undefined };
}

const isJpeg = (b: Buffer) => b.subarray(0, 2).equals(Buffer.from([0xff, 0xd8])) && b.subarray(-2).equals(Buffer.from([0xff, 0xd9]));

/** Reads /video.mjpeg for `ms` milliseconds and splits it into its JPEG parts, checking the framing. */
function readMjpeg(base: string, ms: number, path = '/video.mjpeg'): Promise<{ type: string; parts: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const request = http.get(base + path, (response) => {
      const type = String(response.headers['content-type']);
      const boundary = /boundary=(\S+)$/.exec(type)?.[1];
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', () => undefined); // The abort below ends it.
      setTimeout(() => {
        request.destroy();
        try {
          resolve({ type, parts: splitParts(Buffer.concat(chunks), `--${boundary}\r\n`) });
        } catch (err) {
          reject(err);
        }
      }, ms);
    });
    request.on('error', () => undefined);
  });
}

function splitParts(stream: Buffer, delimiter: string): Buffer[] {
  const parts: Buffer[] = [];
  assert.equal(stream.subarray(0, delimiter.length).toString(), delimiter, 'the stream opens with the delimiter');
  let at = delimiter.length;
  while (at < stream.length) {
    const headerEnd = stream.indexOf('\r\n\r\n', at);
    const headers = stream.subarray(at, headerEnd).toString();
    assert.match(headers, /^Content-Type: image\/jpeg\r\nContent-Length: \d+$/);
    const length = Number(/Content-Length: (\d+)/.exec(headers)![1]);
    const body = stream.subarray(headerEnd + 4, headerEnd + 4 + length);
    const closing = `\r\n${delimiter}`;
    assert.equal(stream.subarray(headerEnd + 4 + length, headerEnd + 4 + length + closing.length).toString(), closing,
      'each part ends with the next delimiter, so that the browser shows it at once');
    parts.push(body);
    at = headerEnd + 4 + length + closing.length;
  }
  return parts;
}

describe('web page routes and tokens', () => {
  it('serves the page and its files without the token, with a strict Content-Security-Policy', async () => {
    const page = await get(`${guardedBase}/`);
    assert.equal(page.status, 200);
    assert.equal(page.type, 'text/html; charset=utf-8');
    assert.match(page.bytes.toString(), /<script type="module" src="\/page\/page\.js"><\/script>/);
    assert.match(page.headers.get('content-security-policy') ?? '', /^default-src 'self';/);
    assert.equal((await get(`${guardedBase}/page/page.js`)).type, 'text/javascript; charset=utf-8');
    assert.equal((await get(`${guardedBase}/page/page.css`)).type, 'text/css; charset=utf-8');
    const missing = await get(`${guardedBase}/page/secrets.json`);
    assert.deepEqual([missing.status, missing.json], [404,
      { error: { code: 'not_found', message: 'no page file "secrets.json"; files: page.css, page.js' } }]);
    assert.equal((await get(`${openBase}/page/..%2f..%2fpackage.json`)).status, 404, 'only the page\'s own files');
    assert.equal((await get(`${guardedBase}/page/..%2f..%2fpackage.json`)).status, 401);
    assert.equal((await get(`${guardedBase}/`, {}, 'POST')).status, 405);
  });

  it('takes ?token= on /video.mjpeg and /snapshot.jpg only; every data route still needs the header', async () => {
    const snapshot = await get(`${guardedBase}/snapshot.jpg?token=${TOKEN}`);
    assert.deepEqual([snapshot.status, snapshot.type, isJpeg(snapshot.bytes)], [200, 'image/jpeg', true]);
    assert.equal((await get(`${guardedBase}/snapshot.jpg`, { Authorization: `Bearer ${TOKEN}` })).status, 200);
    const { parts } = await readMjpeg(guardedBase, 300, `/video.mjpeg?token=${encodeURIComponent(TOKEN)}`);
    assert.ok(parts.length > 0 && parts.every(isJpeg));

    const wrong = await get(`${guardedBase}/snapshot.jpg?token=${TOKEN}x`);
    assert.deepEqual([wrong.status, wrong.json.error.message], [401, 'invalid bearer token']);
    const none = await get(`${guardedBase}/video.mjpeg`);
    assert.deepEqual([none.status, none.json.error.message],
      [401, 'missing "Authorization: Bearer <token>" header or "token" query parameter']);
    assert.equal((await get(`${guardedBase}/snapshot.jpg?token=${TOKEN}&token=${TOKEN}`)).status, 401);
    for (const route of ['/status', '/rates', '/prompt', '/detections', '/config', '/metrics']) {
      const res = await get(`${guardedBase}${route}?token=${TOKEN}`);
      assert.deepEqual([res.status, res.json.error.message], [401, 'missing "Authorization: Bearer <token>" header'], route);
    }
  });
});

describe('GET /snapshot.jpg and GET /video.mjpeg', () => {
  it('answers 503 with a JSON error when no frame comes within SNAPSHOT_WAIT_MS, else the newest frame', async () => {
    service.frames = [];
    const none = await get(`${openBase}/snapshot.jpg`);
    assert.deepEqual([none.status, none.json], [503, { error: { code: 'no_frame',
      message: 'no annotated frame yet: the input has not delivered one; see GET /status' } }]);

    // A frame that comes while the request waits (the pipeline encodes JPEGs only once asked) is answered.
    setTimeout(() => { service.frames = frames; }, SNAPSHOT_WAIT_MS / 4);
    const late = await get(`${openBase}/snapshot.jpg`);
    assert.deepEqual([late.status, isJpeg(late.bytes)], [200, true]);

    const first = await get(`${openBase}/snapshot.jpg`);
    const second = await get(`${openBase}/snapshot.jpg`);
    assert.equal(first.headers.get('cache-control'), 'no-store');
    assert.ok(frames.some((f) => f.equals(first.bytes)) && frames.some((f) => f.equals(second.bytes)));
    assert.ok(!first.bytes.equals(second.bytes), 'the stand-in rotates its frames');
  });

  it('streams the newest frames as multipart JPEGs at most MJPEG_MAX_FPS, and repeats none', async () => {
    const { type, parts } = await readMjpeg(openBase, 1000);
    assert.equal(type, 'multipart/x-mixed-replace; boundary=owl-stream-frame');
    assert.ok(parts.length >= 2, `${parts.length} frames in 1 s`);
    assert.ok(parts.length <= MJPEG_MAX_FPS + 2, `${parts.length} frames in 1 s, more than ${MJPEG_MAX_FPS} fps`);
    assert.ok(parts.every((p) => frames.some((f) => f.equals(p))), 'every part is one of the service\'s JPEGs');

    service.frames = [frames[0]];
    const still = await readMjpeg(openBase, 500);
    assert.equal(still.parts.length, 1, 'an unchanged frame is sent once');
  });

  it('stops asking the service for frames when the viewer leaves, and closes with the server', async () => {
    await readMjpeg(openBase, 300);
    await new Promise((resolve) => setTimeout(resolve, 2 * 1000 / MJPEG_MAX_FPS));
    const calls = service.snapshotCalls;
    await new Promise((resolve) => setTimeout(resolve, 5 * 1000 / MJPEG_MAX_FPS));
    assert.equal(service.snapshotCalls, calls, 'the stream still polls after its viewer left');

    const server = createApi(service, { token: '', maxBodyBytes: 1024, promptLimits: LIMITS });
    const base = `http://127.0.0.1:${(await server.listen('127.0.0.1', 0)).port}`;
    let ended = false;
    http.get(`${base}/video.mjpeg`, (response) => {
      response.resume();
      response.on('close', () => { ended = true; });
    }).on('error', () => undefined);
    await waitFor(() => service.snapshotCalls > calls, 'the stream to start');
    await server.close();
    await waitFor(() => ended, 'the viewer\'s connection to close');
    const afterClose = service.snapshotCalls;
    await new Promise((resolve) => setTimeout(resolve, 3 * 1000 / MJPEG_MAX_FPS));
    assert.equal(service.snapshotCalls, afterClose);
  });
});

describe('GET /rates', () => {
  const metrics = (framesIn: number, inferences: number, latencySum: number): MetricsSnapshot => ({
    streams: [{ streamId: 'cam', framesIn, framesOut: framesIn, framesToModel: inferences, framesDropped: framesIn - inferences,
      reconnects: 0, eventsDropped: 0 }],
    inferences,
    inferenceErrors: 0,
    inferenceLatency: { bounds: [1], counts: [inferences, 0], sum: latencySum },
    redis: { written: inferences, queueDepth: 0, dropped: 0, errors: 0, rejected: 0 },
    mqtt: { written: 0, queueDepth: 0, dropped: 0, errors: 0, rejected: 0 },
    promptChanges: 0,
  });

  it('derives per-second rates and the mean latency from counters over a sliding window', () => {
    let now = 0;
    const meter = new RateMeter(5000, () => now);
    assert.deepEqual(meter.rates(metrics(0, 0, 0)), {
      windowSeconds: 0, inferencesPerSecond: null, inferenceLatencySeconds: null, redisWrittenPerSecond: null,
      streams: [{ streamId: 'cam', framesInPerSecond: null, framesOutPerSecond: null, framesToModelPerSecond: null,
        framesDroppedPerSecond: null }],
    });
    now = 2000;
    assert.deepEqual(meter.rates(metrics(60, 6, 1.8)), {
      windowSeconds: 2, inferencesPerSecond: 3, inferenceLatencySeconds: 0.3, redisWrittenPerSecond: 3,
      streams: [{ streamId: 'cam', framesInPerSecond: 30, framesOutPerSecond: 30, framesToModelPerSecond: 3,
        framesDroppedPerSecond: 27 }],
    });
    now = 7000; // The sample at 0 leaves the window; the one at 2000 s becomes the base.
    const later = meter.rates(metrics(210, 6, 1.8));
    assert.deepEqual([later.windowSeconds, later.streams[0].framesInPerSecond, later.inferencesPerSecond,
      later.inferenceLatencySeconds], [5, 30, 0, null]);
    now = 7100; // Too close to keep, but still answered against the base.
    assert.equal(meter.rates(metrics(213, 6, 1.8)).windowSeconds, 5.1);
    now = 8000; // A counter going backwards gives no rate rather than a negative one.
    assert.equal(meter.rates(metrics(10, 6, 1.8)).streams[0].framesInPerSecond, null);
  });

  it('answers JSON from the service\'s metrics', async () => {
    const rates = (await get(`${openBase}/rates`)).json;
    assert.equal(rates.streams[0].streamId, 'front');
    assert.equal(typeof rates.windowSeconds, 'number');
  });
});
