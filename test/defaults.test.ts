// SPDX-License-Identifier: Apache-2.0
// One default per setting: the Pipeline API, the Redis and MQTT publishers, the detector and the service schema
// (configs/default.yaml) must mean the same thing by an omitted value, so that a program using the Pipeline API or
// the detector gets what the service's user gets. Each layer is read through its own public entry point, so a
// default written anew anywhere fails here.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { defaultConfig } from '../ts/config/schema';
import { pipelineOptions } from '../ts/engines/stream-runner';
import { OwlDetector } from '../ts/model/detector';
import { DEFAULT_OUTPUT_URL } from '../ts/pipeline';
import { resolvePipelineOptions } from '../ts/pipeline/options';
import { parseMqttPublisherOptions } from '../ts/mqtt/publisher-options';
import { parsePublisherOptions } from '../ts/redis/publisher-options';
import { TINY_MODEL } from './helpers/owl-fixture';

test('the Pipeline API\'s defaults are the service schema\'s', () => {
  const config = defaultConfig();
  const api = resolvePipelineOptions({ input: 'test:' });
  // The options the service gives a pipeline for the same input, every value from the schema's defaults; the output
  // left to the default too (the service passes a mount on its own server instead).
  const service = resolvePipelineOptions({ ...pipelineOptions(config, 'test:', null, null), output: undefined });
  assert.deepEqual(api, service);
  assert.equal(config.output.url, DEFAULT_OUTPUT_URL);
  // The values themselves, as configs/default.yaml documents them.
  assert.deepEqual(api.native.input, { kind: 'test', uri: 'ball', rtspTransport: 'tcp', latencyMs: 50, width: 1280,
    height: 720, fps: 30 });
  // probeAddress is derived from an RTSP input (none for test:), not a default.
  assert.deepEqual(api.native.reconnect, { initialDelayMs: 1000, maxDelayMs: 30_000, stallTimeoutMs: 5000, probeAddress: '' });
  assert.deepEqual({ ...api.native.output, mount: undefined },
    { mount: undefined, preset: 'ultrafast', bitrateKbps: 2000, width: 0, height: 0 });
  assert.deepEqual([api.native.overlay.lineWidth, api.native.overlay.fontSize, api.showScores], [3, 20, false]);
});

test('the Redis publisher\'s defaults are the service schema\'s', () => {
  const { redis } = defaultConfig();
  const publisher = parsePublisherOptions();
  // redis.passwordFile is the service's alone: read into redis.password when the configuration is resolved; `enabled`
  // is the service's switch for the whole output, not a publisher setting.
  for (const key of (Object.keys(redis) as (keyof typeof redis)[]).filter((k) => k !== 'passwordFile' && k !== 'enabled')) {
    assert.equal(publisher[key], redis[key], `redis.${key}`);
  }
});

test('the detector\'s image-encoder precision is the service schema\'s model.precision by default', async () => {
  const detector = await OwlDetector.load(TINY_MODEL, { threads: 1 });
  try {
    assert.equal(detector.precision.setting, defaultConfig().model.precision);
  } finally {
    await detector.close();
  }
});

test('the MQTT publisher\'s defaults are the service schema\'s', () => {
  const { mqtt } = defaultConfig();
  const publisher = parseMqttPublisherOptions();
  // As for Redis: passwordFile is read into password by the service, `enabled` switches the whole output.
  for (const key of (Object.keys(mqtt) as (keyof typeof mqtt)[]).filter((k) => k !== 'passwordFile' && k !== 'enabled')) {
    assert.equal(publisher[key], mqtt[key], `mqtt.${key}`);
  }
});
