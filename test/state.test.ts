// SPDX-License-Identifier: Apache-2.0
// Runtime state across restarts (ts/state/): prompts and streams changed through the API are still in force after
// the real service process is stopped and started again on the same state folder (real files); DELETE of a stream
// and a prompt reset take them out of the file; a corrupt or unreadable file is moved aside with a warning and the
// service comes up on its configuration. Also the atomic write and the document's rules on their own.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { readOrMoveAside, writeFileAtomic } from '../ts/state/atomic-file';
import { parseState, serializeState, StateFormatError } from '../ts/state/runtime-state';
import { STATE_FILE } from '../ts/state/state-store';
import { ServiceProcess, TINY_MODEL } from './helpers/service-process';
import { TestCamera } from './helpers/test-camera';

const LIMITS = { maxPrompts: 25, maxPromptLength: 200 };

function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

describe('atomic state file', () => {
  test('replaces the file whole, owner-readable only, with no temporary file left', async () => {
    const dir = tempDir('owl-atomic-');
    const file = path.join(dir, 'sub', 'state.json');
    await writeFileAtomic(file, 'one');
    await writeFileAtomic(file, 'two');
    assert.equal(fs.readFileSync(file, 'utf8'), 'two');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['state.json']);
    fs.rmSync(dir, { recursive: true });
  });

  test('a file the parser refuses is moved aside; a missing one is just missing', async () => {
    const dir = tempDir('owl-aside-');
    const file = path.join(dir, 'state.json');
    assert.deepEqual(await readOrMoveAside(file, JSON.parse), { kind: 'missing' });
    fs.writeFileSync(file, '{"version": 1, "prom');
    const found = await readOrMoveAside(file, JSON.parse);
    assert.equal(found.kind, 'moved-aside');
    assert.ok(found.kind === 'moved-aside' && found.movedTo !== null);
    assert.equal(fs.existsSync(file), false);
    assert.equal(fs.readFileSync(found.movedTo, 'utf8'), '{"version": 1, "prom');
    fs.rmSync(dir, { recursive: true });
  });
});

describe('state document', () => {
  test('reads back what it writes', () => {
    const state = { prompts: { objects: ['a dog'], thresholds: [0.2] }, streamPrompts: { cam: { objects: [], thresholds: [] } },
      streams: [{ id: '0b6f7b1c-3a1e-4a55-9c55-1a2b3c4d5e6f', uri: 'rtsp://user:pw@cam/live', description: 'gate' }] };
    assert.deepEqual(parseState(serializeState(state), LIMITS), { state, warnings: [] });
  });

  test('refuses another version or shape as a whole, and leaves out single stale entries with a warning', () => {
    assert.throws(() => parseState('{"version": 2}', LIMITS), StateFormatError);
    assert.throws(() => parseState('[]', LIMITS), /the document: expected a JSON object/);
    assert.throws(() => parseState('{"version": 1, "streams": {}}', LIMITS), /streams: expected a list/);
    const { state, warnings } = parseState(JSON.stringify({ version: 1,
      prompts: { objects: ['a', 'b', 'c'], thresholds: [0.1] },
      streamPrompts: { 'bad id!': { objects: ['x'], thresholds: [0.1] }, ok: { objects: ['x|y'], thresholds: [0.1] } },
      streams: [{ id: 'cam', uri: 'http://not-rtsp', description: '' }] }), { maxPrompts: 2, maxPromptLength: 200 });
    assert.deepEqual(state, { prompts: null, streamPrompts: {}, streams: [] });
    assert.deepEqual(warnings, [
      'prompts left out: 3 prompts given, at most 2 allowed',
      'prompts of stream "bad id!" left out: not a valid stream id',
      'prompts of stream ok left out: prompt 1 ("x|y") contains "|", which separates fields in the Redis object strings',
      'stream "cam" left out: not a valid id, rtsp:// URL and description',
    ]);
  });
});

describe('the service keeps what the API changed across restarts', () => {
  let camera: TestCamera;
  let dir: string;
  let configFile: string;
  const stateFile = () => path.join(dir, 'state', STATE_FILE);
  const readState = () => JSON.parse(fs.readFileSync(stateFile(), 'utf8'));

  before(async () => {
    camera = await TestCamera.start({ width: 320, height: 240, fps: 15 });
    dir = tempDir('owl-state-');
    configFile = path.join(dir, 'owl.yaml');
    fs.writeFileSync(configFile, `input:\n  uri: "test:"\n  test: {width: 320, height: 240, fps: 15}\n`
      + `sensor:\n  id: front\nmodel:\n  folder: ${TINY_MODEL}\nprompts:\n  objects: [a person]\n  thresholds: [0.1]\n`
      + `state:\n  dir: ${path.join(dir, 'state')}\n`);
  });

  after(async () => {
    await camera.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const start = async () => {
    const service = await ServiceProcess.start({ args: ['--config', configFile] });
    await service.waitFor(async () => (await service.get('/ready')).status === 200, 'ready');
    return service;
  };
  const send = async (service: ServiceProcess, method: string, route: string, body?: unknown) => {
    const answer = await service.get(route, { method, headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body) });
    assert.equal(answer.status, 200, `${method} ${route}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };

  test('prompts set and a stream added through the API are in force again after a restart', async () => {
    let service = await start();
    let added: string;
    try {
      await send(service, 'POST', '/prompt', { objects: ['a dog', 'a cat'], thresholds: [0.2, 0.3] });
      added = (await send(service, 'POST', '/api/v1/live-stream', { liveStreamUrl: camera.url, description: 'gate' })).id;
      await send(service, 'POST', '/api/v1/detection/classes', { objects: ['a bike'], thresholds: [0.4], id: 'front' });
      assert.deepEqual(readState(), { version: 1, prompts: { objects: ['a dog', 'a cat'], thresholds: [0.2, 0.3] },
        streamPrompts: { front: { objects: ['a bike'], thresholds: [0.4] } },
        streams: [{ id: added, uri: camera.url, description: 'gate' }] });
      assert.equal((await service.signal('SIGTERM')).code, 0);
    } finally {
      await service.dispose();
    }

    service = await start();
    try {
      assert.deepEqual((await service.get('/prompt')).body, { objects: ['a dog', 'a cat'], thresholds: [0.2, 0.3] });
      await service.waitFor(async () => (await service.get('/api/v1/live-stream')).body.length === 2, 'both streams');
      const listed = (await service.get('/api/v1/live-stream')).body as { id: string; liveStreamUrl: string; description: string }[];
      assert.deepEqual(listed.find((stream) => stream.id === added),
        { id: added, liveStreamUrl: camera.url, description: 'gate' });
      const streams = (await service.get('/streams')).body as { id: string; prompts: unknown }[];
      assert.deepEqual(streams.find((stream) => stream.id === 'front')?.prompts, { objects: ['a bike'], thresholds: [0.4] });
      assert.match(service.log, /prompts "a dog" > 0\.2, "a cat" > 0\.3 restored/);
      await service.waitFor(async () => (await service.get('/ready')).status === 200, 'both streams flowing');

      // DELETE of the stream and a prompt reset take them out of the file.
      await send(service, 'DELETE', `/api/v1/live-stream/${added}`);
      assert.deepEqual(readState().streams, []);
      assert.deepEqual(await send(service, 'DELETE', '/prompt'), { objects: ['a person'], thresholds: [0.1] });
      assert.deepEqual(readState(), { version: 1, prompts: null, streamPrompts: {}, streams: [] });
      assert.equal((await service.signal('SIGTERM')).code, 0);
    } finally {
      await service.dispose();
    }

    service = await start();
    try {
      assert.deepEqual((await service.get('/prompt')).body, { objects: ['a person'], thresholds: [0.1] });
      assert.deepEqual(((await service.get('/api/v1/live-stream')).body as { id: string }[]).map((s) => s.id), ['front']);
    } finally {
      await service.dispose();
    }
  });

  test('a corrupt state file: a warning, the configuration\'s prompts, the service up; the file moved aside', async () => {
    fs.mkdirSync(path.dirname(stateFile()), { recursive: true });
    fs.writeFileSync(stateFile(), '{"version": 1, "prompts": {"objects": ["a d');
    const service = await start();
    try {
      assert.deepEqual((await service.get('/prompt')).body, { objects: ['a person'], thresholds: [0.1] });
      assert.match(service.log, /warn .*runtime state .*runtime-state\.json cannot be read \(not JSON .*\): moved aside to .*runtime-state\.json\.corrupt-/);
      const aside = fs.readdirSync(path.dirname(stateFile())).filter((name) => name.startsWith(`${STATE_FILE}.corrupt-`));
      assert.equal(aside.length, 1);
      assert.equal(fs.existsSync(stateFile()), false);
      const status = (await service.get('/status')).body;
      assert.deepEqual(status.state, { file: stateFile(), error: null });
      // The next change writes a good file again.
      await send(service, 'POST', '/prompt', { objects: ['a hat'], thresholds: [0.5] });
      assert.deepEqual(readState().prompts, { objects: ['a hat'], thresholds: [0.5] });
    } finally {
      await service.dispose();
    }
  });

  test('an unreadable state folder: an error in the log and /status, the service up on its configuration', async () => {
    // A file where the folder should be: nothing can be read or written there.
    const blocked = path.join(dir, 'blocked');
    fs.writeFileSync(blocked, 'not a folder');
    const service = await ServiceProcess.start({ args: ['--config', configFile], env: { OWL_STATE_DIR: blocked } });
    try {
      await service.waitFor(async () => (await service.get('/ready')).status === 200, 'ready');
      assert.match(service.log, /cannot be read \(ENOTDIR/);
      await send(service, 'POST', '/prompt', { objects: ['a hat'], thresholds: [0.5] });
      assert.deepEqual((await service.get('/prompt')).body, { objects: ['a hat'], thresholds: [0.5] });
      const { state } = (await service.get('/status')).body;
      assert.match(state.error, /cannot write .*runtime-state\.json: (ENOTDIR|EEXIST)/);
      assert.match(service.log, /error .*runtime state not kept/);
    } finally {
      await service.dispose();
    }
  });
});
