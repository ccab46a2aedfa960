// SPDX-License-Identifier: Apache-2.0
// The real service (engine portable, the tiny model, a test camera) with its MQTT output to a real mosquitto and
// Redis off: messages on the sensor's topic, /status and /metrics for both outputs, the broker's outage and return in
// /status, then SIGHUP turning Redis on and moving MQTT to another topic, and MQTT off, all while running.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Redis from 'ioredis';

import { parseMinimalSchema } from '../ts/redis/minimal-schema';
import { Mosquitto } from './helpers/mosquitto';
import { MqttSubscriber } from './helpers/mqtt-subscriber';
import { RedisServer } from './helpers/redis-server';
import { ServiceProcess, TINY_MODEL } from './helpers/service-process';

/** A sample's value in a Prometheus exposition. */
function sample(exposition: string, name: string): number {
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(exposition);
  assert.ok(match, `${name} in /metrics`);
  return Number(match[1]);
}

test('the service publishes to MQTT with Redis off, reports both outputs, and reloads them live', async () => {
  const broker = await Mosquitto.start();
  const redis = await RedisServer.start();
  const reader = new Redis(redis.port, redis.host);
  const subscriber = await MqttSubscriber.connect(broker.url, 'e2e/#');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-mqtt-e2e-'));
  const configFile = path.join(dir, 'owl.yaml');
  const writeConfig = (redisSection: string, mqttSection: string) => fs.writeFileSync(configFile,
    `input:\n  uri: "test:black"\n  test: {width: 320, height: 240}\nmodel:\n  folder: ${TINY_MODEL}\n  threads: 1\n`
    + `prompts: {objects: "a person", thresholds: [0]}\nredis: {${redisSection}}\nmqtt: {${mqttSection}}\n`);
  // Redis's settings point at a live redis-server even while off: nothing may reach it then.
  const redisOn = `host: ${redis.host}, port: ${redis.port}, stream: e2e`;
  writeConfig(`enabled: false, ${redisOn}`, `enabled: true, url: "${broker.url}", topic: "e2e/{sensorId}/owl", qos: 1`);
  const service = await ServiceProcess.start({ args: ['--config', configFile] });
  try {
    const messages = () => subscriber.payloads('e2e/test-black/owl').map(parseMinimalSchema);
    // Threshold 0: detections, reported once the tracker has confirmed them.
    await service.waitFor(() => messages().some((m) => m.objects.length > 0), 'MQTT messages with objects');
    assert.ok(messages().every((m) => m.sensorId === 'test-black'));

    const status = (await service.get('/status')).body;
    assert.deepEqual(status.mqtt, { state: 'ready', error: null, writer: 'service' });
    assert.deepEqual(status.redis, { state: 'off', error: null, writer: 'service' });
    // Counted on the PUBACK, which may come a moment after the subscriber has the message.
    await service.waitFor(async () => sample((await service.get('/metrics')).body, 'owl_mqtt_written_total') >= 1,
      'owl_mqtt_written_total');
    const metrics = (await service.get('/metrics')).body as string;
    assert.equal(sample(metrics, 'owl_mqtt_up'), 1);
    assert.equal(sample(metrics, 'owl_redis_up'), 0);
    assert.equal(sample(metrics, 'owl_redis_messages_written_total'), 0);
    assert.equal(await reader.exists('e2e'), 0, 'Redis is off: nothing written');
    assert.doesNotMatch(service.log, /Redis metadata output|not applied by the portable engine/);

    // The broker goes away: /status says so and why; it comes back: the error is gone.
    await broker.stop();
    await service.waitFor(async () => (await service.get('/status')).body.mqtt.state === 'down', 'MQTT down');
    assert.match((await service.get('/status')).body.mqtt.error,
      new RegExp(`^MQTT broker at ${broker.url.replace(/\./g, '\\.')} (closed the connection|refused the connection)`));
    await broker.restart();
    await service.waitFor(async () => (await service.get('/status')).body.mqtt.state === 'ready', 'MQTT back');
    assert.equal((await service.get('/status')).body.mqtt.error, null);

    // SIGHUP: Redis on, MQTT to another topic at QoS 0.
    writeConfig(`enabled: true, ${redisOn}`, `enabled: true, url: "${broker.url}", topic: "e2e/moved/{sensorId}"`);
    service.child.kill('SIGHUP');
    await service.waitFor(() => /MQTT output now mqtt:\/\/127\.0\.0\.1:\d+ topic e2e\/moved\/\{sensorId\} \(QoS 0, /
      .test(service.log), 'the MQTT reload');
    assert.match(service.log, /Redis target now 127\.0\.0\.1:\d+ stream e2e/);
    await service.waitFor(() => subscriber.payloads('e2e/moved/test-black').length >= 2, 'messages on the new topic');
    await service.waitFor(async () => (await reader.xlen('e2e')) >= 2, 'Redis entries');
    assert.deepEqual((await service.get('/status')).body.redis, { state: 'ready', error: null, writer: 'service' });

    // MQTT off: /status says so, its counters stay where they were.
    const written = sample((await service.get('/metrics')).body as string, 'owl_mqtt_written_total');
    writeConfig(`enabled: true, ${redisOn}`, `enabled: false, url: "${broker.url}"`);
    service.child.kill('SIGHUP');
    await service.waitFor(() => /MQTT output now off/.test(service.log), 'MQTT off');
    await service.waitFor(async () => (await service.get('/status')).body.mqtt.state === 'off', '/status off');
    const after = (await service.get('/metrics')).body as string;
    assert.ok(sample(after, 'owl_mqtt_written_total') >= written, 'the counter never goes back');
    assert.equal(sample(after, 'owl_mqtt_up'), 0);
    const { code } = await service.signal('SIGTERM');
    assert.equal(code, 0);
  } finally {
    await service.dispose();
    await subscriber.close();
    reader.disconnect();
    await redis.dispose();
    await broker.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad MQTT topic or URL stops the service at start with a message naming the key', async () => {
  for (const [env, message] of [
    [{ OWL_MQTT_TOPIC: 'owl/#' }, /environment OWL_MQTT_TOPIC: mqtt\.topic: expected a topic of at most 1024 characters without "\+", "#"/],
    [{ OWL_MQTT_URL: 'tcp://broker:1883' }, /environment OWL_MQTT_URL: mqtt\.url: expected an mqtt:\/\/host\[:port\] or mqtts:\/\/host\[:port\] URL/],
  ] as const) {
    const service = await ServiceProcess.start({ args: ['test:', '--model', TINY_MODEL], env: { ...env, OWL_MQTT_ENABLED: 'true' },
      waitHealthy: false });
    try {
      const code = await service.exited;
      assert.notEqual(code, 0);
      assert.match(service.log, message);
    } finally {
      await service.dispose();
    }
  }
});
