// SPDX-License-Identifier: Apache-2.0
// The generated DeepStream files (nvinfer config, label file, nvmsgconv config, Redis broker config):
// pinned byte for byte by golden files for the default config and a three-prompt config, then read back
// with GLib's own GKeyFile (native/test/keyfile_dump.cc, the parser DeepStream's elements use) and
// checked key by key. OWL_UPDATE_GOLDEN=1 rewrites the golden files (review the diff).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { defaultConfig, type OwlConfig } from '../ts/config/schema';
import { deepStreamConfigInput, type DeepStreamConfigInput, type DeepStreamModel } from '../ts/deepstream/config-input';
import { formatKeyFile } from '../ts/deepstream/keyfile';
import { DeepStreamLabelError, labelFile, nvinferConfig } from '../ts/deepstream/nvinfer-config';
import { msgconvConfig } from '../ts/deepstream/msgconv-config';
import { DEEPSTREAM_FILES, deepStreamFiles, writeDeepStreamFiles } from '../ts/deepstream/run-folder';
import { addonPath } from '../ts/native';
import { parserBuild } from './helpers/ds-parser-build';

const root = path.resolve(__dirname, '..', '..');
const goldenRoot = path.join(root, 'test', 'golden', 'deepstream');
const keyfileDump = path.join(path.dirname(addonPath), 'owl_keyfile_dump');
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-ds-config-'));
after(() => fs.rmSync(workDir, { recursive: true, force: true }));

const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

const baseModel: DeepStreamModel = {
  onnxFile: '/models/owlvit-base-patch32/image_encoder.onnx',
  engineFile: '/models/owlvit-base-patch32/image_encoder_fp16.engine',
  inputSize: 768,
  mean: CLIP_MEAN,
  std: CLIP_STD,
};
const goldenParserLib = '/app/native/build/Release/libowl_ds_parser.so';

function configWith(change: (c: OwlConfig) => void): OwlConfig {
  const config = defaultConfig();
  change(config);
  return config;
}

const cases: Record<string, DeepStreamConfigInput> = {
  // The service defaults: one prompt ("a person"), up to 25, Redis localhost:6379 stream owl, MAXLEN ~10000.
  default: deepStreamConfigInput(defaultConfig(), baseModel, goldenParserLib, 'stream1'),
  'three-prompts': {
    ...deepStreamConfigInput(configWith((c) => {
      c.prompts.objects = ['a person', 'a hat', 'a red bike'];
      c.prompts.thresholds = [0.1, 0.2, 0.3];
      c.prompts.maxPrompts = 3;
      c.redis.host = 'redis.local';
      c.redis.port = 6380;
      c.redis.stream = 'dock-cams';
      c.redis.maxlen = 0;
      c.sensor.type = 'Camera';
    }), { ...baseModel, inputSize: 840, onnxFile: '/m/large/image_encoder.onnx', engineFile: '/m/large/owl.engine' },
    goldenParserLib, 'dock 4'),
    gpuId: 1,
  },
  // Every metadata output on: Redis, MQTT over TLS with credentials, Kafka with librdkafka settings.
  'redis-mqtt-kafka': deepStreamConfigInput(configWith((c) => {
    c.mqtt = { ...c.mqtt, enabled: true, url: 'mqtts://broker.local:8883', topic: 'site/{sensorId}/owl', clientId: 'owl-gate',
      username: 'owl', password: ' p;ss\\word', caFile: '/certs/ca.pem', certFile: '/certs/owl.pem', keyFile: '/certs/owl.key',
      outputInterval: 5 };
    c.kafka = { ...c.kafka, enabled: true, broker: 'kafka.local:9092', topic: 'owl-events',
      protoCfg: 'security.protocol=SASL_SSL;sasl.mechanisms=PLAIN;sasl.username=owl;sasl.password=s3cr=t' };
  }), baseModel, goldenParserLib, 'gate/1'),
};

type KeyFile = Map<string, Map<string, string>>;

/** The file as GLib's GKeyFile reads it: group -> key -> g_key_file_get_string value. */
function readKeyFile(file: string): KeyFile {
  const json = JSON.parse(execFileSync(keyfileDump, [file], { encoding: 'utf8' })) as
    { groups: { name: string; keys: [string, string][] }[] };
  return new Map(json.groups.map((g) => [g.name, new Map(g.keys)]));
}

function get(keyFile: KeyFile, group: string, key: string): string {
  const value = keyFile.get(group)?.get(key);
  assert.notEqual(value, undefined, `[${group}] ${key} is missing`);
  return value!;
}

const integer = (text: string) => {
  assert.match(text, /^-?\d+$/, `${text} is not an integer`);
  return Number(text);
};
const decimal = (text: string) => {
  assert.match(text, /^-?\d+(\.\d+)?$/, `${text} is not a decimal`);
  return Number(text);
};

// The config keys our files may use, each read in the sources of DeepStream 6.2, 7.0 and 9.1 (fetched for
// reading, never committed). [property] keys: gst-nvinfer gstnvinfer_property_parser.h (cluster-mode 4 =
// NVDSINFER_CLUSTER_NONE in all three); class-attrs keys: gst_nvinfer_parse_class_attrs (class ids must be
// below num-detected-classes).
const NVINFER_PROPERTY_KEYS = new Set(['gpu-id', 'gie-unique-id', 'process-mode', 'network-type', 'network-mode',
  'model-engine-file', 'onnx-file', 'batch-size', 'interval', 'infer-dims', 'model-color-format', 'net-scale-factor',
  'offsets', 'maintain-aspect-ratio', 'symmetric-padding', 'num-detected-classes', 'labelfile-path',
  'output-blob-names', 'custom-lib-path', 'parse-bbox-func-name', 'cluster-mode']);
// nvmsgconv's [sensorN] keys: nvmsgconv deepstream_schema.h CONFIG_KEY_* (sensor: enable, type, id, ...).
const MSGCONV_SENSOR_KEYS = new Set(['enable', 'type', 'id', 'location', 'description', 'coordinate']);
// The Redis adaptor's [message-broker] keys: parse_config in nvds_redis_client.cpp (9.1); cfg_redis.txt (6.2, 7.0).
const REDIS_BROKER_KEYS = new Set(['hostname', 'port', 'payloadkey', 'streamsize', 'consumergroup', 'consumername',
  'share-connection']);
// The MQTT adaptor's: nvds_mqtt_proto.cpp CONFIG_GROUP_MSG_BROKER_MQTT_* and its fetch_config_value calls (9.1);
// cfg_mqtt.txt and its README (7.0). DeepStream 6.2 has no MQTT adaptor.
const MQTT_BROKER_KEYS = new Set(['username', 'password', 'client-id', 'enable-tls', 'tls-cafile', 'tls-capath',
  'tls-certfile', 'tls-keyfile', 'share-connection', 'loop-timeout', 'keep-alive', 'set-threaded']);
// The Kafka adaptor's: nvds_kafka_proto.h CONFIG_GROUP_MSG_BROKER_* (6.2, 7.0, 9.1).
const KAFKA_BROKER_KEYS = new Set(['proto-cfg', 'producer-proto-cfg', 'consumer-proto-cfg', 'partition-key',
  'consumer-group-id', 'share-connection']);

for (const [name, input] of Object.entries(cases)) {
  describe(`generated DeepStream files: ${name}`, () => {
    const files = deepStreamFiles(input);
    const dir = path.join(workDir, name);
    fs.mkdirSync(dir);
    for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);

    test('match the golden files byte for byte', () => {
      const goldenDir = path.join(goldenRoot, name);
      if (process.env.OWL_UPDATE_GOLDEN === '1') {
        fs.mkdirSync(goldenDir, { recursive: true });
        for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(goldenDir, file), text);
      }
      assert.deepEqual(fs.readdirSync(goldenDir).sort(), Object.keys(files).sort());
      for (const [file, text] of Object.entries(files)) {
        assert.equal(text, fs.readFileSync(path.join(goldenDir, file), 'utf8'), `${name}/${file} differs from its golden file`);
      }
    });

    test('nvinfer config: GKeyFile reads the keys and values nvinfer needs', () => {
      const kf = readKeyFile(path.join(dir, DEEPSTREAM_FILES.nvinfer));
      const classGroups = Array.from({ length: input.maxPrompts }, (_, i) => `class-attrs-${i}`);
      assert.deepEqual([...kf.keys()], ['property', 'class-attrs-all', ...classGroups]);
      for (const key of kf.get('property')!.keys()) assert.ok(NVINFER_PROPERTY_KEYS.has(key), `unknown key ${key}`);

      const p = (key: string) => get(kf, 'property', key);
      assert.equal(integer(p('gpu-id')), input.gpuId);
      assert.equal(integer(p('process-mode')), 1, 'primary detector');
      assert.equal(integer(p('network-type')), 0, 'detector: nvinfer attaches object meta');
      assert.equal(integer(p('batch-size')), 1, 'the engine is built for batch 1');
      assert.deepEqual(p('infer-dims').split(';').map(integer), [3, input.model.inputSize, input.model.inputSize]);
      assert.equal(integer(p('model-color-format')), 0, 'RGB');
      // y = net-scale-factor * (x - offset) ~ (x/255 - mean) / std
      const offsets = p('offsets').split(';').map(decimal);
      offsets.forEach((o, c) => assert.ok(Math.abs(o - CLIP_MEAN[c] * 255) < 1e-4, `offset ${c}: ${o}`));
      const scale = decimal(p('net-scale-factor'));
      assert.ok(Math.abs(scale - 0.0146017) < 1e-7, `net-scale-factor ${scale}`);
      CLIP_STD.forEach((s) => assert.ok(Math.abs(scale * s * 255 - 1) < 0.03, 'within 3% of each channel\'s 1/std'));
      assert.equal(p('maintain-aspect-ratio'), '1');
      assert.equal(p('symmetric-padding'), '1');
      assert.equal(integer(p('num-detected-classes')), input.maxPrompts);
      assert.equal(p('model-engine-file'), input.model.engineFile);
      assert.equal(p('onnx-file'), input.model.onnxFile);
      assert.equal(path.resolve(dir, p('labelfile-path')), path.join(dir, DEEPSTREAM_FILES.labels));
      assert.deepEqual(p('output-blob-names').split(';'), ['image_class_embeds', 'logit_shift', 'logit_scale', 'pred_boxes']);
      assert.equal(p('custom-lib-path'), input.parserLibPath);
      assert.equal(p('parse-bbox-func-name'), 'NvDsInferParseOwl');
      assert.equal(integer(p('cluster-mode')), 4, 'no clustering: the parser applies thresholds and NMS');
      // Thresholds change at run time, so nvinfer must keep everything the parser returns.
      assert.equal(decimal(get(kf, 'class-attrs-all', 'pre-cluster-threshold')), 0);
      for (const group of classGroups) {
        assert.deepEqual([...kf.get(group)!.keys()], ['border-color']);
        const rgba = get(kf, group, 'border-color').split(';').map(decimal);
        assert.equal(rgba.length, 4);
        rgba.forEach((c) => assert.ok(c >= 0 && c <= 1));
      }
    });

    test('label file: one prompt per line, nothing nvinfer would split', () => {
      const lines = fs.readFileSync(path.join(dir, DEEPSTREAM_FILES.labels), 'utf8').split('\n');
      assert.equal(lines.pop(), '');
      assert.deepEqual(lines, input.prompts);
      for (const line of lines) assert.ok(!line.includes(';'));
    });

    test('nvmsgconv config: [sensor0] enabled with the sensor id', () => {
      const kf = readKeyFile(path.join(dir, DEEPSTREAM_FILES.msgconv));
      assert.deepEqual([...kf.keys()], ['sensor0']);
      for (const key of kf.get('sensor0')!.keys()) assert.ok(MSGCONV_SENSOR_KEYS.has(key), `unknown key ${key}`);
      assert.equal(get(kf, 'sensor0', 'enable'), '1');
      assert.equal(get(kf, 'sensor0', 'id'), input.sensor.id);
      assert.equal(get(kf, 'sensor0', 'type'), input.sensor.type);
    });

    test('Redis broker config: [message-broker] host, port, payload key, stream size', () => {
      const kf = readKeyFile(path.join(dir, DEEPSTREAM_FILES.broker));
      assert.deepEqual([...kf.keys()], ['message-broker']);
      for (const key of kf.get('message-broker')!.keys()) assert.ok(REDIS_BROKER_KEYS.has(key), `unknown key ${key}`);
      const redis = input.redis!;
      assert.equal(get(kf, 'message-broker', 'hostname'), redis.host);
      assert.equal(integer(get(kf, 'message-broker', 'port')), redis.port);
      assert.equal(get(kf, 'message-broker', 'payloadkey'), 'metadata');
      const streamsize = kf.get('message-broker')!.get('streamsize');
      assert.equal(streamsize === undefined ? 0 : integer(streamsize), redis.maxlen);
    });

    if (input.mqtt !== null) {
      const mqtt = input.mqtt;
      test('MQTT adaptor config: credentials, client id and TLS files as the adaptor reads them', () => {
        const kf = readKeyFile(path.join(dir, DEEPSTREAM_FILES.mqtt));
        assert.deepEqual([...kf.keys()], ['message-broker']);
        for (const key of kf.get('message-broker')!.keys()) assert.ok(MQTT_BROKER_KEYS.has(key), `unknown key ${key}`);
        assert.deepEqual(Object.fromEntries(kf.get('message-broker')!), {
          username: mqtt.username, password: mqtt.password, 'client-id': mqtt.clientId, 'enable-tls': '1',
          'tls-cafile': mqtt.caFile, 'tls-certfile': mqtt.certFile, 'tls-keyfile': mqtt.keyFile });
        // The adaptor compares enable-tls with "1" (strncmp), and the sensor id stands in the topic, one level.
        assert.equal(mqtt.topic, 'site/gate_1/owl');
      });
    }

    if (input.kafka !== null) {
      test('Kafka adaptor config: quoted proto-cfg pairs and the sensorId partition key', () => {
        const kf = readKeyFile(path.join(dir, DEEPSTREAM_FILES.kafka));
        assert.deepEqual([...kf.keys()], ['message-broker']);
        for (const key of kf.get('message-broker')!.keys()) assert.ok(KAFKA_BROKER_KEYS.has(key), `unknown key ${key}`);
        // strip_quote: at least 3 characters, a double quote first and last; then key=value pairs split on ";".
        const protoCfg = get(kf, 'message-broker', 'proto-cfg');
        assert.match(protoCfg, /^".+"$/);
        assert.deepEqual(protoCfg.slice(1, -1).split(';').map((pair) => [pair.slice(0, pair.indexOf('=')),
          pair.slice(pair.indexOf('=') + 1)]), input.kafka!.protoCfg);
        assert.equal(get(kf, 'message-broker', 'partition-key'), 'sensorId');
      });
    }
  });
}

test('writeDeepStreamFiles writes every file into the run folder and returns absolute paths', async () => {
  const input = cases['redis-mqtt-kafka'];
  const paths = await writeDeepStreamFiles(input, path.join(workDir, 'run', 'nested'));
  for (const [key, name] of Object.entries(DEEPSTREAM_FILES)) {
    const file = paths[key as keyof typeof DEEPSTREAM_FILES];
    assert.equal(file, path.join(workDir, 'run', 'nested', name));
    assert.equal(fs.readFileSync(file, 'utf8'), deepStreamFiles(input)[name]);
  }
});

test('the parser library exports the function the nvinfer config names, and only its C entry points', () => {
  const symbols = execFileSync('nm', ['-D', '--defined-only', parserBuild().lib], { encoding: 'utf8' });
  const kf = readKeyFile(path.join(workDir, 'default', DEEPSTREAM_FILES.nvinfer));
  const functions = [...symbols.matchAll(/\sT (\S+)$/gm)].map((m) => m[1]).sort();
  assert.deepEqual(functions, [get(kf, 'property', 'parse-bbox-func-name'), 'OwlDsLastError', 'OwlDsSetDecodeOptions',
    'OwlDsSetPrompts'].sort());
});

describe('refused input', () => {
  test('a ";" in a prompt (the label file splits on it)', () => {
    const input = { ...cases.default, prompts: ['a person', 'salt; pepper'] };
    assert.throws(() => labelFile(input), new DeepStreamLabelError(
      'prompt 2 ("salt; pepper") contains ";", which DeepStream\'s label file treats as a separator: remove it'));
    assert.throws(() => nvinferConfig(input), DeepStreamLabelError);
  });

  test('more prompts than num-detected-classes', () => {
    assert.throws(() => labelFile({ prompts: ['a', 'b', 'c'], maxPrompts: 2 }),
      /3 prompts given, the DeepStream engine was started for at most 2 \(prompts\.maxPrompts\)/);
  });

  test('relative model or parser paths (nvinfer would resolve them against the run folder)', () => {
    assert.throws(() => nvinferConfig({ ...cases.default, model: { ...baseModel, engineFile: 'nanoowl/data/x.engine' } }),
      /model\.engineFile must be an absolute path, received "nanoowl\/data\/x\.engine"/);
    assert.throws(() => nvinferConfig({ ...cases.default, parserLibPath: 'libowl_ds_parser.so' }), /parserLibPath must be an absolute path/);
  });

  test('an unresolved (empty) sensor id', () => {
    assert.throws(() => msgconvConfig({ sensor: { id: '', type: 'camera' } }), /the sensor id is empty/);
  });
});

test('key-file writer: GLib reads back backslashes, a leading space and list items exactly', () => {
  const file = path.join(workDir, 'escapes.txt');
  const values = ['C:\\models\\owl', ' leading space', 'trailing space ', 'semi;colon', 'ünïcode'];
  fs.writeFileSync(file, formatKeyFile(['header'], [{ name: 'g', entries: values.map((v, i) => [`k${i}`, v] as const) }]));
  const kf = readKeyFile(file);
  values.forEach((v, i) => assert.equal(get(kf, 'g', `k${i}`), v));
  assert.throws(() => formatKeyFile([], [{ name: 'g', entries: [['k', 'two\nlines']] }]), /must not contain line breaks/);
  assert.throws(() => formatKeyFile([], [{ name: 'g', entries: [['k', ['a;b']]] }]), /list item "a;b" of g\/k contains ";"/);
});

test('a file GLib cannot read fails the dump (the check can fail)', async () => {
  const file = path.join(workDir, 'broken.txt');
  fs.writeFileSync(file, 'key-before-any-group=1\n');
  await assert.rejects(new Promise((resolve, reject) => {
    execFile(keyfileDump, [file], (err) => (err ? reject(err) : resolve(null)));
  }));
});
