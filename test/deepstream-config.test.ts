// SPDX-License-Identifier: Apache-2.0
// The generated DeepStream files (nvinfer config, nvtracker's low-level config, Redis, MQTT and Kafka adaptor
// configs): pinned byte for byte by golden files for the default config (8 streams, NvDCF), a four-camera config
// (NvSORT, nvinfer interval 2) and one with every metadata output on, then read back — the key files with GLib's own GKeyFile (native/test/keyfile_dump.cc, the
// parser DeepStream's elements use), the tracker config as YAML — and checked key by key against the keys the
// SDK's sources and samples read. OWL_UPDATE_GOLDEN=1 rewrites the golden files (review the diff).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { DEEPSTREAM_DEFAULTS } from '../ts/config/defaults';
import { defaultConfig, type OwlConfig } from '../ts/config/schema';
import { parse as parseYaml } from 'yaml';
import {
  checkSharedMqttTopic, deepStreamConfigInput, type DeepStreamConfigInput, type DeepStreamModel,
} from '../ts/deepstream/config-input';
import { formatKeyFile } from '../ts/deepstream/keyfile';
import { nvinferConfig } from '../ts/deepstream/nvinfer-config';
import { DEEPSTREAM_FILES, deepStreamFiles, writeDeepStreamFiles } from '../ts/deepstream/run-folder';
import { trackerConfig } from '../ts/deepstream/tracker-config';
import { addonPath } from '../ts/native';

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
function configWith(change: (c: OwlConfig) => void): OwlConfig {
  const config = defaultConfig();
  change(config);
  return config;
}

const cases: Record<string, DeepStreamConfigInput> = {
  // The service defaults: up to 8 streams (nvstreammux and nvinfer batch 8), NvDCF, Redis localhost:6379 stream owl.
  default: deepStreamConfigInput(defaultConfig(), baseModel),
  // A four-camera Jetson (README's example): batch 4, every third batch inferred, NvSORT carrying the boxes.
  'four-cameras': {
    ...deepStreamConfigInput(configWith((c) => {
      c.input.maxStreams = 4;
      c.redis.host = 'redis.local';
      c.redis.port = 6380;
      c.redis.stream = 'dock-cams';
      c.redis.maxlen = 0;
      c.deepstream.inferInterval = 2;
      c.deepstream.tracker = { ...c.deepstream.tracker, algorithm: 'NvSORT', width: 960, height: 544, probationAge: 3,
        maxShadowTrackingAge: 30 };
    }), { ...baseModel, inputSize: 840, onnxFile: '/m/large/image_encoder.onnx', engineFile: '/m/large/owl.engine' }),
    gpuId: 1,
  },
  // Every metadata output on: Redis, MQTT over TLS with credentials (one topic for every stream), Kafka with
  // librdkafka settings.
  'redis-mqtt-kafka': deepStreamConfigInput(configWith((c) => {
    c.mqtt = { ...c.mqtt, enabled: true, url: 'mqtts://broker.local:8883', topic: 'site/gate/owl', clientId: 'owl-gate',
      username: 'owl', password: ' p;ss\\word', caFile: '/certs/ca.pem', certFile: '/certs/owl.pem', keyFile: '/certs/owl.key',
      outputInterval: 5 };
    c.kafka = { ...c.kafka, enabled: true, broker: 'kafka.local:9092', topic: 'owl-events',
      protoCfg: 'security.protocol=SASL_SSL;sasl.mechanisms=PLAIN;sasl.username=owl;sasl.password=s3cr=t' };
  }), baseModel),
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
// reading, never committed): gst-nvinfer gstnvinfer_property_parser.h.
const NVINFER_PROPERTY_KEYS = new Set(['gpu-id', 'gie-unique-id', 'process-mode', 'network-type', 'output-tensor-meta',
  'network-mode', 'model-engine-file', 'onnx-file', 'batch-size', 'interval', 'infer-dims', 'model-color-format',
  'net-scale-factor', 'offsets', 'maintain-aspect-ratio', 'symmetric-padding', 'output-blob-names']);
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
// NvMultiObjectTracker's sections and keys, as the SDK's sample configs of each algorithm write them
// (samples/configs/deepstream-app/config_tracker_{IOU,NvSORT,NvDCF_perf}.yml, 6.2 and 7.0).
const TRACKER_KEYS: Record<string, ReadonlySet<string>> = {
  BaseConfig: new Set(['minDetectorConfidence']),
  TargetManagement: new Set(['enableBboxUnClipping', 'preserveStreamUpdateOrder', 'maxTargetsPerStream',
    'minIouDiff4NewTarget', 'minTrackerConfidence', 'probationAge', 'maxShadowTrackingAge', 'earlyTerminationAge']),
  TrajectoryManagement: new Set(['useUniqueID']),
  DataAssociator: new Set(['dataAssociatorType', 'associationMatcherType', 'checkClassMatch', 'minMatchingScore4Overall',
    'minMatchingScore4SizeSimilarity', 'minMatchingScore4Iou', 'minMatchingScore4VisualSimilarity',
    'matchingScoreWeight4VisualSimilarity', 'matchingScoreWeight4SizeSimilarity', 'matchingScoreWeight4Iou',
    'tentativeDetectorConfidence', 'minMatchingScore4TentativeIou', 'usePrediction4Assoc']),
  StateEstimator: new Set(['stateEstimatorType', 'processNoiseVar4Loc', 'processNoiseVar4Size', 'processNoiseVar4Vel',
    'measurementNoiseVar4Detector', 'measurementNoiseVar4Tracker', 'noiseWeightVar4Loc', 'noiseWeightVar4Vel',
    'useAspectRatio']),
  VisualTracker: new Set(['visualTrackerType', 'useColorNames', 'useHog', 'featureImgSizeLevel',
    'featureFocusOffsetFactor_y', 'filterLr', 'filterChannelWeightsLr', 'gaussianSigma']),
};

/** The tracker config as NvMultiObjectTracker reads it: OpenCV's "%YAML:1.0" line, then plain YAML. */
function readTrackerConfig(text: string): Record<string, Record<string, number>> {
  const [first, ...rest] = text.split('\n');
  assert.equal(first, '%YAML:1.0');
  return parseYaml(rest.join('\n')) as Record<string, Record<string, number>>;
}

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
      assert.deepEqual([...kf.keys()], ['property']);
      for (const key of kf.get('property')!.keys()) assert.ok(NVINFER_PROPERTY_KEYS.has(key), `unknown key ${key}`);

      const p = (key: string) => get(kf, 'property', key);
      assert.equal(integer(p('gpu-id')), input.gpuId);
      assert.equal(integer(p('process-mode')), 1, 'primary');
      assert.equal(integer(p('network-type')), 100, 'other: no parsing in nvinfer');
      assert.equal(p('output-tensor-meta'), '1', 'the raw tensors as frame metadata, for the decode probe');
      assert.equal(integer(p('batch-size')), input.inferBatchSize);
      assert.equal(integer(p('interval')), input.inferInterval);
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
      assert.equal(p('model-engine-file'), input.model.engineFile);
      assert.equal(p('onnx-file'), input.model.onnxFile);
      assert.deepEqual(p('output-blob-names').split(';'), ['image_class_embeds', 'logit_shift', 'logit_scale', 'pred_boxes']);
    });

    test('tracker config: the SDK sample\'s sections and keys, with ours in them', () => {
      assert.ok(input.tracker);
      const config = readTrackerConfig(files[DEEPSTREAM_FILES.tracker]);
      for (const [section, keys] of Object.entries(config)) {
        assert.ok(section in TRACKER_KEYS, `unknown section ${section}`);
        for (const key of Object.keys(keys)) assert.ok(TRACKER_KEYS[section].has(key), `unknown key ${section}.${key}`);
      }
      assert.equal(config.BaseConfig.minDetectorConfidence, input.tracker.minDetectorConfidence);
      assert.equal(config.TargetManagement.probationAge, input.tracker.probationAge);
      assert.equal(config.TargetManagement.maxShadowTrackingAge, input.tracker.maxShadowTrackingAge);
      assert.equal(config.TargetManagement.maxTargetsPerStream, input.tracker.maxTargetsPerStream);
      assert.equal(config.TrajectoryManagement.useUniqueID, 0, 'ids JS numbers hold exactly');
      assert.equal(config.DataAssociator.checkClassMatch, 1, 'a track keeps its prompt');
      // Each algorithm's own module: NvDCF the visual tracker, NvSORT and NvDCF a state estimator, IOU neither.
      const algorithm = input.tracker.algorithm;
      assert.equal('VisualTracker' in config, algorithm === 'NvDCF');
      assert.equal('StateEstimator' in config, algorithm !== 'IOU');
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
        // The adaptor compares enable-tls with "1" (strncmp); the topic is the broker element's, as configured.
        assert.equal(mqtt.topic, 'site/gate/owl');
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

test('tracker.enabled: false leaves nvtracker out; otherwise deepstream.tracker (NvDCF by default)', () => {
  assert.equal(deepStreamConfigInput(configWith((c) => { c.tracker.enabled = false; }), baseModel).tracker, null);
  assert.deepEqual(deepStreamConfigInput(defaultConfig(), baseModel).tracker, defaultConfig().deepstream.tracker);
  assert.equal(deepStreamConfigInput(defaultConfig(), baseModel).tracker!.algorithm, 'NvDCF');
});

test('nvinfer\'s batch: deepstream.inferBatchSize, 0 for input.maxStreams; its interval: deepstream.inferInterval', () => {
  const input = (change: (c: OwlConfig) => void) => deepStreamConfigInput(configWith(change), baseModel);
  assert.deepEqual(pick(input((c) => { c.input.maxStreams = 4; })), [4, 4, 0]);
  assert.deepEqual(pick(input((c) => {
    c.input.maxStreams = 4;
    c.deepstream.inferBatchSize = 1;
    c.deepstream.inferInterval = 3;
  })), [4, 1, 3]);
  function pick(i: DeepStreamConfigInput) {
    return [i.maxStreams, i.inferBatchSize, i.inferInterval];
  }
});

test('an MQTT topic with {sensorId} is refused: one nvmsgbroker publishes every stream to one topic', () => {
  const config = configWith((c) => { c.mqtt = { ...c.mqtt, enabled: true, topic: 'owl/{sensorId}' }; });
  const refusal = /^Error: mqtt\.topic "owl\/\{sensorId\}" names \{sensorId\}, but engine deepstream publishes every stream's messages through one nvmsgbroker, to one topic: give a topic without it/;
  assert.throws(() => deepStreamConfigInput(config, baseModel), refusal);
  assert.throws(() => checkSharedMqttTopic(config.mqtt), refusal);
  checkSharedMqttTopic({ enabled: false, topic: 'owl/{sensorId}' });  // off: nothing to refuse
  config.mqtt.topic = 'owl/all';
  assert.equal(deepStreamConfigInput(config, baseModel).mqtt!.topic, 'owl/all');
});

test('tracker config per algorithm: IOU has no state estimator or visual tracker, and bad values are refused', () => {
  const iou = readTrackerConfig(trackerConfig({ ...DEEPSTREAM_DEFAULTS.tracker, algorithm: 'IOU' }));
  assert.deepEqual(Object.keys(iou), ['BaseConfig', 'TargetManagement', 'TrajectoryManagement', 'DataAssociator']);
  assert.equal('minTrackerConfidence' in iou.TargetManagement, false);
  assert.throws(() => trackerConfig({ ...DEEPSTREAM_DEFAULTS.tracker, probationAge: -1 }),
    /tracker\.probationAge must be an integer >= 0, received -1/);
  assert.throws(() => trackerConfig({ ...DEEPSTREAM_DEFAULTS.tracker, minDetectorConfidence: 2 }),
    /tracker\.minDetectorConfidence must be in \[0,1\], received 2/);
});

test('writeDeepStreamFiles writes every file into the run folder and returns absolute paths', async () => {
  const input = cases['redis-mqtt-kafka'];
  const paths = await writeDeepStreamFiles(input, path.join(workDir, 'run', 'nested'));
  for (const [key, name] of Object.entries(DEEPSTREAM_FILES)) {
    const file = paths[key as keyof typeof DEEPSTREAM_FILES];
    assert.equal(file, path.join(workDir, 'run', 'nested', name));
    assert.equal(fs.readFileSync(file!, 'utf8'), deepStreamFiles(input)[name]);
  }
  const untracked = await writeDeepStreamFiles({ ...cases.default, tracker: null }, path.join(workDir, 'run', 'bare'));
  assert.equal(untracked.tracker, null);
  assert.deepEqual(fs.readdirSync(path.join(workDir, 'run', 'bare')).sort(), ['nvinfer.txt', 'redis.txt']);
});

describe('refused input', () => {
  test('relative model paths (nvinfer would resolve them against the run folder)', () => {
    assert.throws(() => nvinferConfig({ ...cases.default, model: { ...baseModel, engineFile: 'nanoowl/data/x.engine' } }),
      /model\.engineFile must be an absolute path, received "nanoowl\/data\/x\.engine"/);
  });

  test('an nvinfer batch beyond the muxer\'s, or a negative interval', () => {
    assert.throws(() => nvinferConfig({ ...cases.default, inferBatchSize: 9 }),
      /inferBatchSize must be an integer in \[1, maxStreams = 8\], received 9/);
    assert.throws(() => nvinferConfig({ ...cases.default, inferInterval: -1 }), /inferInterval must be an integer >= 0/);
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
