// SPDX-License-Identifier: Apache-2.0
// input.vst.follow: the service adds a stream for every camera VST lists and removes it when VST stops
// listing it. VST is a STAND-IN (test/helpers/vst-standin.ts: it cannot run here) whose list the test
// scripts; the cameras behind it are real test cameras on loopback.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ServiceProcess, TINY_MODEL } from './helpers/service-process';
import { TestCamera } from './helpers/test-camera';
import { vstEntry, VstStandIn } from './helpers/vst-standin';

let cameras: TestCamera[];
let vst: VstStandIn;
let service: ServiceProcess;
// What the stand-in VST lists; null: it answers 503 (VST down).
let listed: Record<string, unknown[]>[] | null = [];

before(async () => {
  cameras = [await TestCamera.start({ width: 320, height: 240, mount: '/gate' }),
    await TestCamera.start({ width: 320, height: 240, mount: '/yard' })];
  vst = new VstStandIn(() => (listed === null ? { status: 503, body: { error: 'starting' } } : { status: 200, body: listed }));
  const base = await vst.start();
  listed = [vstEntry('vst-1', 'gate', cameras[0].url)];
  service = await ServiceProcess.start({ args: [base, '--model', TINY_MODEL],
    env: { OWL_INPUT_VST_FOLLOW: 'true', OWL_INPUT_VST_POLL_MS: '500', OWL_MODEL_THREADS: '1' } });
});

after(async () => {
  await service?.dispose();
  await vst?.stop();
  await Promise.all(cameras.map((camera) => camera.stop()));
});

const streams = async () => (await service.get('/streams')).body.map((s: any) => `${s.id}:${s.sensorId}:${s.input.uri}`);

test('follows VST\'s list: cameras that appear are added, those that disappear removed', async () => {
  await service.waitFor(async () => (await streams()).length === 1, 'the first VST camera');
  assert.deepEqual(await streams(), [`vst-1:gate:${cameras[0].url}`]);
  assert.equal((await service.get('/streams')).body[0].outputUrl, service.outputUrl);

  listed = [vstEntry('vst-1', 'gate', cameras[0].url), vstEntry('vst-2', 'yard', cameras[1].url)];
  await service.waitFor(async () => (await streams()).length === 2, 'the second VST camera');
  await service.waitFor(async () => (await service.get('/ready')).status === 200, 'both streams playing');
  assert.equal((await service.get('/streams')).body[1].outputUrl, `${service.outputUrl}/vst-2`);

  // VST down: the streams stay as they are.
  listed = null;
  await service.waitFor(() => /VST at http:\/\/127\.0\.0\.1:\d+\/? answered 503/.test(service.log), 'the outage in the log');
  assert.equal((await streams()).length, 2);

  listed = [vstEntry('vst-2', 'yard', cameras[1].url)];
  await service.waitFor(async () => (await streams()).length === 1, 'vst-1 removed');
  assert.deepEqual(await streams(), [`vst-2:yard:${cameras[1].url}`]);
  assert.match(service.log, /stream vst-1 removed \(no longer listed by VST\)/);
});

test('a VST camera removed through the API stays away while VST lists it', async () => {
  listed = [vstEntry('vst-2', 'yard', cameras[1].url)];
  const removed = await service.get('/api/v1/live-stream/vst-2', { method: 'DELETE' });
  assert.equal(removed.status, 200);
  await new Promise((resolve) => setTimeout(resolve, 1200));
  assert.deepEqual(await streams(), []);
  // Once VST has dropped it, listing it again brings it back.
  listed = [];
  await new Promise((resolve) => setTimeout(resolve, 1200));
  listed = [vstEntry('vst-2', 'yard', cameras[1].url)];
  await service.waitFor(async () => (await streams()).length === 1, 'vst-2 back');
});
