// SPDX-License-Identifier: Apache-2.0
// Bearer-token enforcement over real HTTP: every route but /health needs `Authorization: Bearer <token>`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApi } from '../ts/api/app';
import type { ApiServer } from '../ts/api/server';
import { StandInControlService } from './helpers/control-service-standin';

const TOKEN = 's3cret-token';
let service: StandInControlService;
let server: ApiServer;
let base: string;

before(async () => {
  service = new StandInControlService();
  server = createApi(service, { token: TOKEN, maxBodyBytes: 1024, promptLimits: { maxPrompts: 25, maxPromptLength: 200 } });
  base = `http://127.0.0.1:${(await server.listen('127.0.0.1', 0)).port}`;
});
after(() => server.close());

async function status(path: string, authorization?: string, method = 'GET'): Promise<{ status: number; body: any; challenge: string | null }> {
  const response = await fetch(base + path, { method, headers: authorization === undefined ? {} : { Authorization: authorization } });
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text), challenge: response.headers.get('www-authenticate') };
}

const ROUTES = ['/prompt', '/prompt?objects=a%20cat&thresholds=0.5', '/status', '/metrics', '/detections', '/streams',
  '/config', '/no-such-route'];

describe('REST API: bearer token', () => {
  it('answers 401 without a token, naming the header, on every route but the health probes', async () => {
    for (const path of ROUTES) {
      const res = await status(path);
      assert.equal(res.status, 401, path);
      assert.deepEqual(res.body, { error: { code: 'unauthorized', message: 'missing "Authorization: Bearer <token>" header' } });
      assert.equal(res.challenge, 'Bearer realm="owl-stream"');
    }
    assert.equal((await status('/prompt', undefined, 'POST')).status, 401);
    assert.deepEqual(service.prompts, { objects: ['a person'], thresholds: [0.1] }, 'nothing changed without the token');
  });

  it('answers 401 with a wrong token or scheme', async () => {
    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, 'Bearer ', `Basic ${TOKEN}`, TOKEN,
      `Bearer ${TOKEN} extra`, `Bearer ${'x'.repeat(4000)}`]) {
      const res = await status('/status', authorization);
      assert.equal(res.status, 401, authorization.slice(0, 40));
      assert.equal(res.body.error.code, 'unauthorized');
    }
    assert.equal((await status('/status', `Bearer ${TOKEN}x`)).body.error.message, 'invalid bearer token');
  });

  it('lets the right token through', async () => {
    assert.equal((await status('/status', `Bearer ${TOKEN}`)).status, 200);
    assert.equal((await status('/status', `bearer ${TOKEN}`)).status, 200, 'the scheme is case-insensitive');
    const changed = await status('/prompt?objects=a%20cat&thresholds=0.5', `Bearer ${TOKEN}`);
    assert.deepEqual([changed.status, changed.body], [200, { objects: ['a cat'], thresholds: [0.5] }]);
    assert.equal((await status('/no-such-route', `Bearer ${TOKEN}`)).status, 404);
  });

  it('keeps /health open for liveness probes', async () => {
    for (const path of ['/health', '/health/', '/HEALTH']) assert.equal((await status(path)).status, 200, path);
    assert.equal((await status('/health', 'Bearer wrong')).status, 200);
    assert.equal((await status('/healthz')).status, 401, 'only /health itself is open');
  });

  it('keeps /ready open for readiness probes, with its reasons for the token holder only', async () => {
    service.state.streams = [{ id: 'gate', state: 'lost', reason: 'rtsp://***@10.0.0.7:554/live: connection refused',
      since: new Date(0).toISOString() }];
    for (const authorization of [undefined, 'Bearer wrong']) {
      const open = await status('/ready', authorization);
      assert.equal(open.status, 503, 'the status is the probe\'s answer');
      // Whether it is ready, and nothing that names a stream, an address or an error.
      assert.deepEqual(open.body, { ready: false, detail: 'send "Authorization: Bearer <token>" for the reasons' });
    }
    const full = await status('/ready', `Bearer ${TOKEN}`);
    assert.equal(full.status, 503);
    assert.deepEqual(full.body.reasons, ['stream gate is lost: rtsp://***@10.0.0.7:554/live: connection refused']);
    service.state.streams = new StandInControlService().state.streams;
    assert.deepEqual((await status('/ready')).body, { ready: true });
  });
});
