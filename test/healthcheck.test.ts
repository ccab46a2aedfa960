// SPDX-License-Identifier: Apache-2.0
// The containers' HEALTHCHECK (ts/cli/healthcheck.ts) against the real service process: exit 0 once /ready is
// 200, 1 with the reasons while it is not, 1 when nothing answers; and how it finds the service's arguments.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

import { serviceArguments } from '../ts/cli/healthcheck';
import { freePort } from './helpers/ports';
import { ServiceProcess, TINY_MODEL } from './helpers/service-process';

const HEALTHCHECK = path.resolve(__dirname, '..', 'ts', 'cli', 'healthcheck.js');
const SMALL = { OWL_INPUT_TEST_WIDTH: '320', OWL_INPUT_TEST_HEIGHT: '240' };

function probe(args: string[]): { code: number | null; out: string } {
  const run = spawnSync(process.execPath, [HEALTHCHECK, ...args], { encoding: 'utf8', env: { ...process.env, ...SMALL },
    timeout: 10_000 });
  return { code: run.status, out: run.stdout + run.stderr };
}

test('reads the service\'s arguments from PID 1\'s command line, or takes its own', () => {
  const cmdline = ['node', '/app/build/ts/cli/main.js', 'rtsp://cam/live', '--flask_port', '5010', ''].join('\0');
  assert.deepEqual(serviceArguments([], () => cmdline), ['rtsp://cam/live', '--flask_port', '5010']);
  assert.deepEqual(serviceArguments(['--flask_port', '1'], () => cmdline), ['--flask_port', '1']);
  assert.deepEqual(serviceArguments([], () => ['/bin/sh', '-c', 'sleep 1', ''].join('\0')), []);
  assert.deepEqual(serviceArguments([], () => { throw new Error('no /proc'); }), []);
});

test('exit 0 when ready; 1 with the reasons when not; 1 when nothing answers', async () => {
  const ready = await ServiceProcess.start({ args: ['test:', '--model', TINY_MODEL], env: SMALL });
  const broken = await ServiceProcess.start({ args: ['test:', '--model', '/nonexistent/model'], env: SMALL });
  try {
    await ready.waitFor(async () => (await ready.get('/ready')).status === 200, 'ready');
    const good = probe(['test:', '--model', TINY_MODEL, '--flask_port', String(ready.apiPort)]);
    assert.equal(good.code, 0, good.out);
    assert.equal(good.out, `ready (http://127.0.0.1:${ready.apiPort}/ready)\n`);

    const bad = probe(['test:', '--flask_port', String(broken.apiPort)]);
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.out, new RegExp(`^not ready \\(http://127\\.0\\.0\\.1:${broken.apiPort}/ready answered 503\\): `
      + 'model not loaded: .*/nonexistent/model'));

    const nobody = await freePort();
    const none = probe(['test:', '--flask_port', String(nobody)]);
    assert.equal(none.code, 1);
    assert.equal(none.out, `no answer from http://127.0.0.1:${nobody}/ready: ECONNREFUSED\n`);
  } finally {
    await ready.dispose();
    await broken.dispose();
  }
});
