// SPDX-License-Identifier: Apache-2.0
// The service process's lifecycle from outside: stop signals, SIGHUP reload without dropping the output,
// and bad input that must leave the rest running (or stop at once with a message that says what to fix).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import Redis from 'ioredis';

import { RedisServer } from './helpers/redis-server';
import { grabFrame, RtspWatcher } from './helpers/rtsp-reader';
import { ServiceProcess, TINY_MODEL } from './helpers/service-process';

// Small frames keep these tests light; the rate checks live in service-e2e.
const SMALL = { OWL_INPUT_TEST_WIDTH: '320', OWL_INPUT_TEST_HEIGHT: '240' };
const MAIN = path.resolve(__dirname, '..', 'ts', 'cli', 'main.js');

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} stops the service cleanly: exit 0 within 2 s`, async () => {
    const service = await ServiceProcess.start({ args: ['test:', '--model', TINY_MODEL], env: SMALL });
    try {
      await service.waitFor(async () => (await service.get('/ready')).status === 200, 'ready');
      const { code, ms } = await service.signal(signal);
      assert.equal(code, 0, service.log);
      assert.ok(ms < 2000, `stopped in ${ms.toFixed(0)} ms`);
      assert.match(service.log, new RegExp(`${signal}: stopping`));
    } finally {
      await service.dispose();
    }
  });
}

test('SIGHUP re-reads the config file and applies prompts live without dropping the output', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-hup-'));
  const configFile = path.join(dir, 'owl.yaml');
  const writeConfig = (objects: string, level: string) => fs.writeFileSync(configFile,
    `input:\n  uri: "test:"\n  test: {width: 320, height: 240}\nmodel:\n  folder: ${TINY_MODEL}\n`
    + `prompts:\n  objects: "${objects}"\n  thresholds: [0.3]\nlog:\n  level: ${level}\n`);
  writeConfig('a person, a hat', 'info');
  const service = await ServiceProcess.start({ args: ['--config', configFile] });
  let watcher: RtspWatcher | null = null;
  try {
    await service.waitFor(async () => (await service.get('/ready')).status === 200, 'ready');
    assert.deepEqual((await service.get('/prompt')).body.objects, ['a person', 'a hat']);
    watcher = new RtspWatcher(service.outputUrl);
    await watcher.ready;
    writeConfig('a dog, a cat, a bike', 'debug');
    const hupAt = performance.now();
    service.child.kill('SIGHUP');
    await service.waitFor(async () => (await service.get('/prompt')).body.objects.length === 3, 'the new prompts');
    assert.deepEqual((await service.get('/prompt')).body, { objects: ['a dog', 'a cat', 'a bike'], thresholds: [0.3, 0.3, 0.3] });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const now = performance.now();
    // The output kept flowing across the reload: frames in every half second since the signal.
    for (let t = hupAt; t + 500 <= now; t += 500) {
      assert.ok(watcher.countBetween(t, t + 500) >= 5, `frames between ${(t - hupAt).toFixed(0)} ms and +500 ms`);
    }
    assert.equal(service.exitCode, null);
  } finally {
    await watcher?.stop();
    await service.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGHUP applies a changed overlay style to the running video, without a restart', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-hup-overlay-'));
  const configFile = path.join(dir, 'owl.yaml');
  // A black picture gives every frame the same detections; threshold 0 keeps every patch's box, all in
  // palette colour 0 (one prompt). Small labels, so that the red is mostly box lines.
  const writeConfig = (lineWidth: number) => fs.writeFileSync(configFile,
    `input:\n  uri: "test:black"\n  test: {width: 320, height: 240}\nmodel:\n  folder: ${TINY_MODEL}\n`
    + `prompts:\n  objects: "a person"\n  thresholds: [0]\noverlay: {lineWidth: ${lineWidth}, fontSize: 6}\n`);
  const redPixels = async (url: string) => {
    const frame = await grabFrame(url, 320, 240);
    let count = 0;
    for (let i = 0; i < frame.length; i += 3) if (frame[i] > 160 && frame[i + 1] < 100 && frame[i + 2] < 140) count++;
    return count;
  };
  writeConfig(1);
  const service = await ServiceProcess.start({ args: ['--config', configFile] });
  try {
    await service.waitFor(async () => (await service.get('/detections')).body[0]?.objects.length > 0, 'boxes');
    const before = (await service.get('/status')).body.streams[0];
    const thin = await redPixels(service.outputUrl);
    writeConfig(12);
    service.child.kill('SIGHUP');
    await service.waitFor(() => /overlay now line width 12, font size 6, scores hidden/.test(service.log), 'the reload');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const thick = await redPixels(service.outputUrl);
    assert.ok(thin > 0 && thick > 2 * thin, `red pixels with 1-pixel lines ${thin}, with 12-pixel lines ${thick}`);
    assert.doesNotMatch(service.log, /take effect after a restart/);
    // The same stream, playing since before the signal: not restarted.
    assert.deepEqual((await service.get('/status')).body.streams[0], before);
  } finally {
    await service.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGHUP applies the Redis writer\'s settings and the prompt limits live, and names what needs a restart', async () => {
  const redis = await RedisServer.start();
  const client = new Redis(redis.port, redis.host);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-hup-redis-'));
  const configFile = path.join(dir, 'owl.yaml');
  const writeConfig = (redisSettings: string, promptLimits: string, bitrate: number) => fs.writeFileSync(configFile,
    `input:\n  uri: "test:black"\n  test: {width: 320, height: 240}\nmodel:\n  folder: ${TINY_MODEL}\n  threads: 1\n`
    + `prompts: {objects: "a person", thresholds: [0]${promptLimits}}\n`
    + `redis: {host: ${redis.host}, port: ${redis.port}, stream: hup${redisSettings}}\n`
    + `output: {encoder: {bitrateKbps: ${bitrate}}}\n`);
  // The payloads' `id` as written (a string, or a number with idFormat number).
  const entries = async () => (await client.xrange('hup', '-', '+'))
    .map(([, fields]) => (JSON.parse(fields[fields.indexOf('metadata') + 1]) as { id: string | number }).id);
  writeConfig('', '', 2000);
  const service = await ServiceProcess.start({ args: ['--config', configFile] });
  try {
    await service.waitFor(async () => (await entries()).length >= 3, 'entries with the first settings');
    assert.equal(typeof (await entries())[0], 'string');
    writeConfig(', outputInterval: 5, idFormat: number, maxlen: 100, queueSize: 50', ', maxPrompts: 1', 1000);
    service.child.kill('SIGHUP');
    await service.waitFor(() => /take effect after a restart/.test(service.log), 'the reload');
    assert.match(service.log, /Redis target now 127\.0\.0\.1:\d+ stream hup \(maxlen 100, queue 50, every 5 frames, ids as numbers\)/);
    assert.match(service.log, /prompt limits now 1 prompts of at most 200 characters/);
    // Only what no engine takes live is named; the Redis settings and the limits are not.
    assert.match(service.log, /changes to output take effect after a restart/);
    const before = (await entries()).length;
    await service.waitFor(async () => (await entries()).length >= before + 3, 'entries with the new settings');
    const ids = (await entries()).slice(before);
    assert.ok(ids.every((id) => typeof id === 'number'), `ids written as numbers: ${JSON.stringify(ids)}`);
    // Every 5th processed frame: frame ids at least 5 apart.
    const gaps = ids.slice(1).map((id, i) => Number(id) - Number(ids[i]));
    assert.ok(gaps.every((gap) => gap >= 5), `frame ids ${ids.join(', ')}`);
    const tooMany = await service.get('/prompt', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ objects: ['a person', 'a hat'], thresholds: [0.1] }) });
    assert.deepEqual([tooMany.status, tooMany.body.error.code], [400, 'too_many_prompts']);
    assert.match(tooMany.body.error.message, /at most 1 allowed/);
  } finally {
    await service.dispose();
    client.disconnect();
    await redis.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt model file: the video still runs, /ready says what to fix, prompts answer 503', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-corrupt-'));
  for (const file of fs.readdirSync(TINY_MODEL)) fs.copyFileSync(path.join(TINY_MODEL, file), path.join(dir, file));
  fs.writeFileSync(path.join(dir, 'image_encoder.onnx'), 'not a model');
  // fp32: under auto, a CPU with int8 dot products would run the folder's intact int8 file instead.
  const service = await ServiceProcess.start({ args: ['test:', '--model', dir, '--precision', 'fp32'], env: SMALL });
  try {
    await service.waitFor(async () => (await service.get('/streams')).body[0]?.outputUrl !== undefined, 'the stream');
    const ready = await service.get('/ready');
    assert.equal(ready.status, 503);
    assert.match(JSON.stringify(ready.body), /image_encoder\.onnx/);
    const watcher = new RtspWatcher(service.outputUrl);
    try {
      assert.equal((await watcher.ready).codec, 'h264');
    } finally {
      await watcher.stop();
    }
    const prompt = await service.get('/prompt?objects=a%20cat&thresholds=0.2');
    assert.equal(prompt.status, 503);
    assert.match(prompt.body.error.message, /model is not loaded/);
  } finally {
    await service.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a Hugging Face id as --model names the export command', async () => {
  const service = await ServiceProcess.start({ args: ['test:', '--model', 'google/owlvit-base-patch32'], env: SMALL });
  try {
    await service.waitFor(async () => (await service.get('/status')).body.model?.error !== 'loading', 'the model attempt');
    const { body } = await service.get('/status');
    assert.equal(body.model.loaded, false);
    assert.match(body.model.error, /owl_export\.py --model google\/owlvit-base-patch32/);
  } finally {
    await service.dispose();
  }
});

test('an API port in use stops the start with a message naming it', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const { port } = blocker.address() as net.AddressInfo;
  try {
    const run = spawnSync(process.execPath, [MAIN, 'test:', '--model', TINY_MODEL, '--api_host', '127.0.0.1',
      '--flask_port', String(port)], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.match(run.stderr, /in use/);
  } finally {
    blocker.close();
  }
});

test('mismatched --objects and --thresholds exit 2 saying what is wrong', () => {
  const run = spawnSync(process.execPath, [MAIN, 'test:', '--objects', 'a person, a hat, a bike', '--thresholds', '0.1,0.2'],
    { encoding: 'utf8', timeout: 20_000 });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /3 prompts but 2 thresholds/);
});
