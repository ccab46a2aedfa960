// SPDX-License-Identifier: Apache-2.0
// vst.registerOutput: the real service adds each stream's annotated output to VST as a sensor once it serves it,
// and removes it when the stream stops; the calls are recorded by the STAND-IN VST (test/helpers/vst-standin.ts),
// which keeps sensors as VST's sensor API does. Also the taken-name path (a sensor left from an earlier run).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ServiceProcess, TINY_MODEL } from './helpers/service-process';
import { VstStandIn } from './helpers/vst-standin';

const SMALL = { OWL_INPUT_TEST_WIDTH: '320', OWL_INPUT_TEST_HEIGHT: '240' };
const sensorCalls = (vst: VstStandIn) => vst.requests.filter((r) => r.url.includes('/api/v1/sensor/'))
  .map((r) => `${r.method} ${r.url}`);

test('the output is added to VST once served, and removed when the service stops', async () => {
  const vst = new VstStandIn(() => ({ status: 200, body: [] }));
  const base = await vst.start();
  const service = await ServiceProcess.start({ args: ['test:', '--model', TINY_MODEL],
    env: { ...SMALL, OWL_SENSOR_ID: 'gate', OWL_SENSOR_LOCATION: 'north', OWL_VST_REGISTER_OUTPUT: 'true',
      OWL_VST_URL: `${base}/vst` } });
  try {
    await service.waitFor(() => vst.sensors.size === 1, 'the sensor added');
    assert.deepEqual(sensorCalls(vst), ['POST /vst/api/v1/sensor/add']);
    assert.deepEqual(vst.requests.find((r) => r.method === 'POST')!.body, {
      sensorUrl: `rtsp://127.0.0.1:${service.rtspPort}/out`, name: 'owl-gate', username: '', password: '',
      location: 'north' });
    await service.waitFor(() => /added to VST as sensor "owl-gate" \(sensor-1\)/.test(service.log), 'the log line');
    assert.equal((await service.signal('SIGTERM')).code, 0);
    assert.deepEqual(sensorCalls(vst), ['POST /vst/api/v1/sensor/add', 'DELETE /vst/api/v1/sensor/sensor-1']);
    assert.equal(vst.sensors.size, 0);
  } finally {
    await service.dispose();
    await vst.stop();
  }
});

test('a name taken by an earlier run\'s sensor is freed first; VST away is a warning, the stream runs', async () => {
  const vst = new VstStandIn(() => ({ status: 200, body: [] }));
  const base = await vst.start();
  vst.sensors.set('old-7', { sensorUrl: 'rtsp://127.0.0.1:1/out', name: 'owl-test', location: '' });
  const service = await ServiceProcess.start({ args: ['test:', '--model', TINY_MODEL],
    env: { ...SMALL, OWL_VST_REGISTER_OUTPUT: 'true', OWL_VST_URL: base } });
  try {
    await service.waitFor(() => vst.sensors.has('sensor-1'), 'the sensor added again');
    assert.deepEqual(sensorCalls(vst), ['POST /api/v1/sensor/add', 'GET /api/v1/sensor/list',
      'DELETE /api/v1/sensor/old-7', 'POST /api/v1/sensor/add']);
  } finally {
    await service.dispose();
    await vst.stop();
  }

  const away = await ServiceProcess.start({ args: ['test:', '--model', TINY_MODEL],
    env: { ...SMALL, OWL_VST_REGISTER_OUTPUT: 'true', OWL_VST_URL: 'http://127.0.0.1:9', OWL_VST_TIMEOUT_MS: '500' } });
  try {
    await away.waitFor(async () => (await away.get('/ready')).status === 200, 'ready without VST');
    await away.waitFor(() => /warn .*annotated video not added to VST: VST at http:\/\/127\.0\.0\.1:9\/ is unreachable/
      .test(away.log), 'the warning');
  } finally {
    await away.dispose();
  }
});
