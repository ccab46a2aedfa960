// SPDX-License-Identifier: Apache-2.0
// Config files: the shipped default file validates and equals the schema's defaults; every kind of bad value
// is refused with a message naming the file, the key path and what is allowed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { loadConfigFile } from '../ts/config/load';
import { redactConfig } from '../ts/config/redact';
import { defaultConfig } from '../ts/config/schema';

const DEFAULT_FILE = path.resolve(__dirname, '..', '..', 'configs', 'default.yaml');
const FILE = 'configs/x.yaml';

/** Loads YAML text as if it were configs/x.yaml. */
function load(yaml: string) {
  return loadConfigFile(FILE, () => yaml);
}

function refusal(yaml: string): string {
  try {
    load(yaml);
  } catch (err) {
    assert.equal((err as Error).name, 'ConfigError');
    return (err as Error).message;
  }
  assert.fail(`expected a ConfigError for:\n${yaml}`);
}

describe('config files', () => {
  it('configs/default.yaml validates and holds exactly the built-in defaults', () => {
    assert.deepEqual(loadConfigFile(DEFAULT_FILE), defaultConfig());
  });

  it('configs/default.yaml lists every key (nothing is only a code default)', () => {
    const fileKeys = (value: unknown, prefix: string): string[] => typeof value === 'object' && value !== null
      && !Array.isArray(value)
      ? Object.entries(value).flatMap(([k, v]) => fileKeys(v, prefix === '' ? k : `${prefix}.${k}`))
      : [prefix];
    const inFile = fileKeys(parseYaml(fs.readFileSync(DEFAULT_FILE, 'utf8')), '').sort();
    assert.deepEqual(inFile, fileKeys(defaultConfig(), '').sort());
  });

  it('has the seed\'s defaults', () => {
    const config = defaultConfig();
    assert.equal(config.output.url, 'rtsp://0.0.0.0:6000/out');
    assert.equal(config.api.port, 5000);
    assert.deepEqual([config.redis.host, config.redis.port, config.redis.stream], ['localhost', 6379, 'owl']);
    assert.deepEqual(config.prompts.objects, ['a person']);
    assert.deepEqual(config.prompts.thresholds, [0.1]);
    assert.equal(config.model.folder, 'google/owlvit-base-patch32');
    assert.equal(config.model.imageEncoderEngine, 'nanoowl/data/owl_image_encoder_patch32.engine');
  });

  it('fills missing keys with defaults (an empty file is the defaults)', () => {
    assert.deepEqual(load(''), defaultConfig());
    const config = load('redis:\n  port: 6380\n');
    assert.equal(config.redis.port, 6380);
    assert.equal(config.redis.host, 'localhost');
    assert.equal(config.api.port, 5000);
  });

  it('takes prompts as lists or comma-separated strings', () => {
    const config = load('prompts:\n  objects: "a person, a hat"\n  thresholds: 0.2\n');
    assert.deepEqual(config.prompts.objects, ['a person', 'a hat']);
    assert.deepEqual(config.prompts.thresholds, [0.2, 0.2]);
  });

  it('refuses an unknown key, naming the allowed ones', () => {
    assert.equal(refusal('redis:\n  hots: a\n'),
      'configs/x.yaml: redis.hots: unknown key; allowed keys: enabled, host, port, stream, maxlen, outputInterval, '
      + 'queueSize, idFormat, password, passwordFile, tls, tlsCaFile');
    assert.equal(refusal('colour: red\n'),
      'configs/x.yaml: colour: unknown key; allowed keys: input, output, engine, model, prompts, redis, mqtt, kafka, api, '
      + 'sensor, overlay, tracker, deepstream, log, state, vst, streams');
    assert.equal(refusal('tracker:\n  lowScoreRatio: 2\n'),
      'configs/x.yaml: tracker.lowScoreRatio: expected a number from 0 to 1, received 2');
    assert.equal(refusal('tracker:\n  matchIou: 0\n'),
      'configs/x.yaml: tracker.matchIou: expected a number from 0.01 to 1, received 0');
    assert.equal(refusal('tracker:\n  minHits: 0\n'),
      'configs/x.yaml: tracker.minHits: expected an integer from 1 to 100, received 0');
    assert.equal(refusal('input:\n  rtsp:\n    latency: 50\n'),
      'configs/x.yaml: input.rtsp.latency: unknown key; allowed keys: transport, latencyMs');
  });

  it('refuses deepstream settings nvinfer or nvtracker cannot take, naming the allowed values', () => {
    assert.equal(refusal('deepstream:\n  tracker:\n    width: 500\n'),
      'configs/x.yaml: deepstream.tracker.width: expected a multiple of 32 from 32 to 4096, received 500');
    assert.equal(refusal('deepstream:\n  tracker:\n    algorithm: DeepSORT\n'),
      'configs/x.yaml: deepstream.tracker.algorithm: expected one of "NvDCF", "NvSORT", "IOU", received "DeepSORT"');
    assert.equal(refusal('deepstream:\n  inferInterval: -1\n'),
      'configs/x.yaml: deepstream.inferInterval: expected an integer from 0 to 1000, received -1');
    // nvinfer's batch can be no larger than nvstreammux's (input.maxStreams).
    assert.equal(refusal('input:\n  maxStreams: 4\ndeepstream:\n  inferBatchSize: 8\n'),
      'configs/x.yaml: deepstream.inferBatchSize: expected at most input.maxStreams (4), received 8');
  });

  it('refuses a wrong type', () => {
    assert.equal(refusal('redis:\n  port: abc\n'), 'configs/x.yaml: redis.port: expected an integer from 1 to 65535, received "abc"');
    assert.equal(refusal('output:\n  enabled: yes\n'), 'configs/x.yaml: output.enabled: expected true or false, received "yes"');
    assert.equal(refusal('redis:\n  host: 5\n'), 'configs/x.yaml: redis.host: expected a non-empty string, received 5');
    assert.equal(refusal('api:\n  port: ~\n'),
      'configs/x.yaml: api.port: expected an integer from 0 (any free port) to 65535, received null');
    assert.equal(refusal('redis: 5\n'), 'configs/x.yaml: redis: expected a mapping with keys enabled, host, port, stream, '
      + 'maxlen, outputInterval, queueSize, idFormat, password, passwordFile, tls, tlsCaFile, received 5');
    assert.equal(refusal('model:\n  threads: [1]\n'),
      'configs/x.yaml: model.threads: expected an integer from 0 (all cores) to 1024, received a list');
    assert.equal(refusal('model:\n  precision: int4\n'),
      'configs/x.yaml: model.precision: expected one of "auto", "fp32", "int8", received "int4"');
  });

  it('refuses an out-of-range value', () => {
    assert.equal(refusal('redis:\n  port: 70000\n'), 'configs/x.yaml: redis.port: expected an integer from 1 to 65535, received 70000');
    assert.equal(refusal('redis:\n  port: 63.5\n'), 'configs/x.yaml: redis.port: expected an integer from 1 to 65535, received 63.5');
    assert.equal(refusal('model:\n  nmsIou: 1.5\n'), 'configs/x.yaml: model.nmsIou: expected a number from 0 to 1, received 1.5');
    assert.equal(refusal('output:\n  encoder:\n    width: -2\n'),
      'configs/x.yaml: output.encoder.width: expected 0 (source size) or an integer from 1 to 7680, received -2');
    assert.equal(refusal('input:\n  reconnect:\n    initialDelayMs: 5000\n    maxDelayMs: 1000\n'),
      'configs/x.yaml: input.reconnect.maxDelayMs: expected at least initialDelayMs (5000), received 1000');
  });

  it('refuses a bad enum value, listing the allowed ones', () => {
    assert.equal(refusal('engine: gpu\n'), 'configs/x.yaml: engine: expected one of "auto", "portable", "deepstream", received "gpu"');
    assert.equal(refusal('input:\n  rtsp:\n    transport: quic\n'),
      'configs/x.yaml: input.rtsp.transport: expected one of "tcp", "udp", received "quic"');
    assert.equal(refusal('log:\n  level: verbose\n'),
      'configs/x.yaml: log.level: expected one of "error", "warn", "info", "debug", received "verbose"');
    assert.equal(refusal('redis:\n  idFormat: int\n'),
      'configs/x.yaml: redis.idFormat: expected one of "string", "number", received "int"');
  });

  it('refuses bad URLs', () => {
    assert.equal(refusal('input:\n  uri: ftp://cam/x\n'), 'configs/x.yaml: input.uri: expected an rtsp:// URL, a VST http(s):// '
      + 'address, a file path or test:[pattern], received "ftp://cam/x"');
    assert.equal(refusal('output:\n  url: rtsp://0.0.0.0/out\n'), 'configs/x.yaml: output.url: expected an rtsp://host:port/path '
      + 'URL such as rtsp://0.0.0.0:6000/out; the value has no port');
  });

  it('refuses bad prompt lists with the prompt rules\' messages', () => {
    assert.equal(refusal('prompts:\n  objects: [a, b, c]\n  thresholds: [0.1, 0.2]\n'), 'configs/x.yaml: prompts.thresholds: '
      + '3 prompts but 2 thresholds: give one threshold per prompt, or a single threshold for all');
    assert.equal(refusal('prompts:\n  thresholds: [1.5]\n'),
      'configs/x.yaml: prompts.thresholds: threshold 1 must be a number from 0 to 1, received 1.5');
    assert.equal(refusal('prompts:\n  objects: ["a|b"]\n'), 'configs/x.yaml: prompts.objects: prompt 1 ("a|b") contains "|", '
      + 'which separates fields in the Redis object strings');
    assert.equal(refusal('prompts:\n  objects: [a, b, c]\n  maxPrompts: 2\n'),
      'configs/x.yaml: prompts.objects: 3 prompts given, at most 2 allowed');
    assert.equal(refusal('prompts:\n  objects: []\n'), 'configs/x.yaml: prompts.objects: no prompts given: objects must list at '
      + 'least one prompt, e.g. "a person,a hat"');
  });

  it('reports every refused value, one per line', () => {
    assert.equal(refusal('redis:\n  port: 0\n  stream: ""\nengine: x\n'), [
      'configs/x.yaml: engine: expected one of "auto", "portable", "deepstream", received "x"',
      'configs/x.yaml: redis.port: expected an integer from 1 to 65535, received 0',
      'configs/x.yaml: redis.stream: expected a non-empty string, received ""',
    ].join('\n'));
  });

  it('refuses files that are not a YAML mapping', () => {
    assert.match(refusal('redis:\n  port: [1\n'), /^configs\/x\.yaml: invalid YAML: /);
    assert.match(refusal('redis:\n  port: 1\nredis:\n  port: 2\n'), /^configs\/x\.yaml: invalid YAML: Map keys must be unique/);
    assert.equal(refusal('- a\n- b\n'),
      'configs/x.yaml: expected a mapping of sections (input, output, model, ...), received a list');
  });

  it('names a file it cannot read', () => {
    const missing = path.join(os.tmpdir(), `owl-no-such-${process.pid}.yaml`);
    assert.throws(() => loadConfigFile(missing), (err: Error) => err.name === 'ConfigError'
      && err.message.startsWith(`${missing}: cannot read the config file: ENOENT`));
  });

  it('masks secrets when the config is shown', () => {
    const config = load('api:\n  token: hunter2\ninput:\n  uri: rtsp://admin:pw@cam:554/live\n');
    const shown = redactConfig(config);
    assert.equal(shown.api.token, '***');
    assert.equal(shown.input.uri, 'rtsp://admin:***@cam:554/live');
    assert.equal(config.api.token, 'hunter2', 'the config in force is left alone');
    assert.equal(redactConfig(defaultConfig()).api.token, '', 'an unset token stays visibly unset');
    const outputs = redactConfig(load('mqtt:\n  password: hunter2\nkafka:\n'
      + '  protoCfg: sasl.username=owl;sasl.password=hunter2;ssl.key.password=x;linger.ms=5\n'));
    assert.equal(outputs.mqtt.password, '***');
    assert.equal(outputs.kafka.protoCfg, 'sasl.username=owl;sasl.password=***;ssl.key.password=***;linger.ms=5');
  });

  it('checks the MQTT and Kafka outputs\' settings, naming what is allowed', () => {
    assert.match(refusal('mqtt:\n  url: http://broker\n'), /^configs\/x\.yaml: mqtt\.url: expected an mqtt:\/\/host/);
    assert.match(refusal('mqtt:\n  url: mqtt://user:pw@broker\n'), /mqtt\.url: expected .*no path, query or credentials/);
    assert.match(refusal('mqtt:\n  topic: owl/+/x\n'), /mqtt\.topic: expected a topic of at most 1024 characters without "\+"/);
    assert.match(refusal('mqtt:\n  qos: 3\n'), /mqtt\.qos: expected 0, 1 or 2, received 3/);
    assert.match(refusal('kafka:\n  broker: "[::1]:9092"\n'), /kafka\.broker: expected host:port of one Kafka broker/);
    assert.match(refusal('kafka:\n  protoCfg: a=b;c\n'), /kafka\.protoCfg: expected librdkafka settings/);
    assert.equal(load('mqtt:\n  url: mqtts://broker:8884\n  topic: site/{sensorId}\n').mqtt.topic, 'site/{sensorId}');
    assert.match(refusal('mqtt:\n  topic: "owl/#"\n'), /^configs\/x\.yaml: mqtt\.topic: expected a topic/);
    assert.match(refusal('mqtt:\n  topic: "owl/\\u0085x"\n'), /mqtt\.topic: expected a topic .*control characters/);
    assert.match(refusal('mqtt:\n  topic: "owl/\\uFFFE"\n'), /mqtt\.topic: expected a topic .*non-characters/);
    assert.match(refusal('mqtt:\n  caFile: /ca.pem\n'),
      /^configs\/x\.yaml: mqtt\.caFile: mqtt\.caFile is for TLS, but mqtt\.url is mqtt:\/\/ \(no TLS\): use an mqtts:\/\/ URL/);
    assert.match(refusal('mqtt:\n  url: mqtts://broker\n  certFile: /c.pem\n'),
      /mqtt\.keyFile: expected mqtt\.certFile and mqtt\.keyFile together/);
    assert.match(refusal('mqtt:\n  clientId: "owl stream"\n'), /mqtt\.clientId: expected at most 23 letters/);
  });
});
