// SPDX-License-Identifier: Apache-2.0
// VST discovery against a stand-in VST server (VST itself cannot run here): stream choice, invalid entries,
// empty lists, VST coming up late, errors that must not be retried, cancellation.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fetchLiveStreams } from '../ts/vst/client';
import { discoverVstStream, type DiscoveryOptions } from '../ts/vst/discover';
import { VstError } from '../ts/vst/errors';
import { freePort } from './helpers/ports';
import { vstEntry, VstStandIn, type StandInAnswer } from './helpers/vst-standin';

const FAST: DiscoveryOptions = { stream: '', timeoutMs: 2000, initialDelayMs: 20, maxDelayMs: 100 };
const standIns: VstStandIn[] = [];

async function serve(answer: (n: number) => StandInAnswer | null, port?: number): Promise<{ base: string; vst: VstStandIn }> {
  const vst = new VstStandIn(answer);
  standIns.push(vst);
  return { base: await vst.start(port), vst };
}

const ok = (body: unknown) => () => ({ status: 200, body });

after(async () => {
  await Promise.all(standIns.map((s) => s.stop()));
});

describe('VST discovery (stand-in VST)', () => {
  it('picks the first stream whose main substream has an RTSP URL, named after the stream', async () => {
    const { base, vst } = await serve(ok([
      vstEntry('a1b2-cam1', 'dock-camera', 'rtsp://10.0.0.5:30554/live/cam1'),
      vstEntry('c3d4-cam2', 'gate-camera', 'rtsp://10.0.0.5:30554/live/cam2'),
    ]));
    const stream = await discoverVstStream(base, FAST);
    assert.deepEqual(stream, { streamId: 'a1b2-cam1', name: 'dock-camera', url: 'rtsp://10.0.0.5:30554/live/cam1',
      sensorId: 'dock-camera' });
    assert.deepEqual(vst.requests.map((r) => `${r.method} ${r.url}`), ['GET /api/v1/live/streams']);
  });

  it('chooses a stream by name or by id', async () => {
    const { base } = await serve(ok([
      vstEntry('id-1', 'first', 'rtsp://h/1'),
      vstEntry('id-2', 'second', 'rtsp://h/2'),
    ]));
    assert.equal((await discoverVstStream(base, { ...FAST, stream: 'second' })).url, 'rtsp://h/2');
    assert.equal((await discoverVstStream(base, { ...FAST, stream: 'id-2' })).url, 'rtsp://h/2');
    await assert.rejects(discoverVstStream(base, { ...FAST, stream: 'third' }), {
      name: 'VstError', code: 'stream_not_found',
      message: `VST at ${base} has no usable stream named or with id "third"; available: first (id-1), second (id-2)`,
    });
  });

  it('uses the stream id as sensor id when the main substream has no name', async () => {
    const { base } = await serve(ok([{ 'cam-7': [{ isMain: true, url: 'rtsp://h/7' }] }]));
    assert.equal((await discoverVstStream(base, FAST)).sensorId, 'cam-7');
  });

  it('fails clearly on an empty stream list', async () => {
    const { base } = await serve(ok([]));
    await assert.rejects(discoverVstStream(base, FAST), {
      name: 'VstError', code: 'no_streams',
      message: `VST at ${base} has no usable stream: its stream list is empty; add a camera in VST first`,
    });
  });

  it('skips entries without a main substream, with an empty URL or a non-RTSP URL', async () => {
    const invalid = [
      { 'no-main': [{ isMain: false, url: 'rtsp://h/sub', name: 'x' }] },
      { 'empty-url': [{ isMain: true, url: '', name: 'y' }] },
      { 'http-url': [{ isMain: true, url: 'http://h/video.mjpg', name: 'z' }] },
      { 'not-a-list': 'rtsp://h/1' },
    ];
    const { base } = await serve(ok([...invalid, vstEntry('good', 'good-cam', 'rtsp://h/good')]));
    assert.equal((await discoverVstStream(base, FAST)).streamId, 'good');

    const { base: allBad } = await serve(ok(invalid));
    await assert.rejects(discoverVstStream(allBad, FAST), {
      code: 'no_streams',
      message: `VST at ${allBad} has no usable stream: none has a main RTSP URL (no-main: no substream has isMain: true; `
        + 'empty-url: the main substream has no url; http-url: the main substream\'s url is not rtsp://, received '
        + '"http://h/video.mjpg"; not-a-list: expected a list of substreams, received "rtsp://h/1"); add a camera in VST first',
    });
  });

  it('retries while VST is unreachable and succeeds once it is up', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const retries: string[] = [];
    const discovery = discoverVstStream(base, { ...FAST, onRetry: (err, delayMs) => retries.push(`${err.code} ${delayMs}`) });
    while (retries.length < 4) await sleep(10);
    await serve(ok([vstEntry('late', 'late-cam', 'rtsp://h/late')]), port);
    assert.equal((await discovery).streamId, 'late');
    // Exponential backoff from initialDelayMs, capped at maxDelayMs.
    assert.deepEqual(retries.slice(0, 4), ['unreachable 20', 'unreachable 40', 'unreachable 80', 'unreachable 100']);
  });

  it('retries 5xx answers (VST starting) but not 4xx or non-JSON answers', async () => {
    const { base: starting, vst } = await serve((n) => (n < 3 ? { status: 503, body: 'starting' } : { status: 200,
      body: [vstEntry('s', 'cam', 'rtsp://h/s')] }));
    assert.equal((await discoverVstStream(starting, FAST)).streamId, 's');
    assert.equal(vst.requests.length, 3);

    const { base: notVst, vst: other } = await serve(() => ({ status: 404, body: 'no' }));
    await assert.rejects(discoverVstStream(notVst, FAST), {
      code: 'bad_response', message: `VST at ${notVst} answered 404 for /api/v1/live/streams: is this a VST address?`,
    });
    assert.equal(other.requests.length, 1);

    const { base: html } = await serve(() => ({ status: 200, body: '<html>' }));
    await assert.rejects(discoverVstStream(html, FAST), {
      code: 'bad_response',
      message: `VST at ${html} answered 200 for /api/v1/live/streams with something other than JSON: is this a VST address?`,
    });

    const { base: wrongShape } = await serve(ok({ streams: 3 }));
    await assert.rejects(discoverVstStream(wrongShape, FAST), { code: 'no_streams' });
    const { base: scalar } = await serve(ok(42));
    await assert.rejects(discoverVstStream(scalar, FAST), {
      code: 'bad_response', message: `VST at ${scalar} answered 42 where a list of streams was expected`,
    });
  });

  it('times out a VST that never answers', async () => {
    const { base } = await serve(() => null);
    await assert.rejects(fetchLiveStreams(base, 150), {
      code: 'unreachable', message: `VST at ${base} is unreachable: no answer within 150 ms`,
    });
  });

  it('names the connection error of an unreachable VST', async () => {
    const base = `http://127.0.0.1:${await freePort()}`;
    await assert.rejects(fetchLiveStreams(base, 1000), {
      code: 'unreachable', message: `VST at ${base} is unreachable: ECONNREFUSED`,
    });
  });

  it('can be cancelled while waiting for VST', async () => {
    const base = `http://127.0.0.1:${await freePort()}`;
    const controller = new AbortController();
    const discovery = discoverVstStream(base, { ...FAST, initialDelayMs: 10_000, maxDelayMs: 10_000, signal: controller.signal });
    await sleep(100);
    controller.abort();
    await assert.rejects(discovery, (err: unknown) => err instanceof VstError && err.code === 'aborted'
      && err.message === `VST discovery at ${base} was cancelled`);
  });

  it('sends credentials in the base URL as Basic auth, keeps a path prefix, masks the password in messages', async () => {
    const { base, vst } = await serve(ok([]));
    const withAuth = base.replace('http://', 'http://admin:s3cret@') + '/vst';
    await assert.rejects(discoverVstStream(withAuth, FAST), {
      message: `VST at ${base.replace('http://', 'http://admin:***@')}/vst has no usable stream: its stream list is empty; `
        + 'add a camera in VST first',
    });
    assert.equal(vst.requests[0].url, '/vst/api/v1/live/streams');
    assert.equal(vst.requests[0].authorization, `Basic ${Buffer.from('admin:s3cret').toString('base64')}`);
  });
});
