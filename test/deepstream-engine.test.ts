// SPDX-License-Identifier: Apache-2.0
// The DeepStream engine's TS side, which runs without DeepStream: engine selection (and the error when
// the SDK is missing), the device-dependent encoder and muxer choices, the environment DeepStream's Redis
// adaptor reads, the run folder and the pipeline description. The description is pinned by golden files
// for both nvstreammux variants and parsed by this machine's GStreamer (native/test/gst_parse_check.cc):
// DeepStream's own elements are missing here, so the check is that they are the ONLY missing ones — the
// syntax and every other element and property are real — and every property set on a DeepStream element
// is one read in its plugin sources (test/helpers/deepstream-element-properties.ts).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { defaultConfig, type OwlConfig } from '../ts/config/schema';
import { deepStreamModel, type DeepStreamModel } from '../ts/deepstream/config-input';
import { SENSOR_ID_EXTRACTION_VARIABLE } from '../ts/deepstream/broker-config';
import {
  deepStreamEncoder, DeepStreamUnavailableError, muxSize, nvstreammuxKind, prepareDeepStream, readDeviceModel,
  resolveEngine, type DeepStreamBinding,
} from '../ts/deepstream/engine';
import {
  deepStreamDescription, quoteValue, rtspMountLaunch, type BrokerBranch, type DeepStreamPipelineInput,
} from '../ts/deepstream/pipeline-description';
import { DEEPSTREAM_FILES } from '../ts/deepstream/run-folder';
import { addonPath, native, type NativeRtspServer } from '../ts/native';
import { DEEPSTREAM_PROPERTIES, deepStreamPropertiesUsed } from './helpers/deepstream-element-properties';
import { DEEPSTREAM_ELEMENTS, withStandIns } from './helpers/deepstream-standins';

const root = path.resolve(__dirname, '..', '..');
const goldenDir = path.join(root, 'test', 'golden', 'deepstream-pipeline');
const parseCheck = path.join(path.dirname(addonPath), 'owl_gst_parse_check');
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-ds-engine-'));
after(() => fs.rmSync(workDir, { recursive: true, force: true }));

// DeepStream's GStreamer elements: absent here, present in every DeepStream 7.x install.
const DEEPSTREAM_FACTORIES: ReadonlySet<string> = new Set(DEEPSTREAM_ELEMENTS);

const model: DeepStreamModel = {
  onnxFile: '/models/owlvit-base-patch32/image_encoder.onnx',
  engineFile: '/models/owlvit-base-patch32/image_encoder_fp16.engine',
  inputSize: 768,
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
};

const broker: BrokerBranch = {
  name: '',
  msgconvConfigPath: '/run/owl/msgconv.txt',
  frameInterval: 1,
  protoLib: '/opt/nvidia/deepstream/deepstream/lib/libnvds_redis_proto.so',
  connStr: 'localhost;6379',
  configPath: '/run/owl/redis.txt',
  topic: 'owl',
};

// The legacy nvstreammux (the default) and, where named so, the new one (USE_NEW_NVSTREAMMUX=yes).
const descriptions: Record<string, DeepStreamPipelineInput> = {
  'rtsp-hw-redis': {
    source: { kind: 'rtsp', url: 'rtsp://user:p"ss@camera.local:554/stream 1', transport: 'tcp', latencyMs: 50 },
    mux: { kind: 'legacy', width: 1920, height: 1080 },
    inferConfigPath: '/run/owl/nvinfer.txt',
    output: { encoder: 'hw', bitrateKbps: 2000, udpPort: 5400, swPreset: 'ultrafast' },
    brokers: [broker],
  },
  // Redis, MQTT and Kafka at once: one converter per broker, paired by comp-id.
  'rtsp-hw-redis-mqtt-kafka': {
    source: { kind: 'rtsp', url: 'rtsp://camera.local:554/stream1', transport: 'tcp', latencyMs: 50 },
    mux: { kind: 'legacy', width: 1920, height: 1080 },
    inferConfigPath: '/run/owl/nvinfer.txt',
    output: { encoder: 'hw', bitrateKbps: 2000, udpPort: 5400, swPreset: 'ultrafast' },
    brokers: [broker,
      { ...broker, name: 'mqtt', protoLib: '/opt/nvidia/deepstream/deepstream/lib/libnvds_mqtt_proto.so',
        connStr: 'broker.local;1883', configPath: '/run/owl/mqtt.txt', topic: 'owl/front-gate', frameInterval: 5 },
      { ...broker, name: 'kafka', protoLib: '/opt/nvidia/deepstream/deepstream/lib/libnvds_kafka_proto.so',
        connStr: 'kafka.local;9092', configPath: '/run/owl/kafka.txt', topic: 'owl' }],
  },
  'test-sw-redis': {
    source: { kind: 'test', pattern: 'ball', width: 1280, height: 720, fps: 30 },
    mux: { kind: 'legacy', width: 1280, height: 720 },
    inferConfigPath: '/run/owl/nvinfer.txt',
    output: { encoder: 'sw', bitrateKbps: 1500, udpPort: 5401, swPreset: 'veryfast' },
    brokers: [{ ...broker, frameInterval: 60, topic: 'genai' }],
  },
  'file-headless': {
    source: { kind: 'file', path: '/videos/my clip #1.mp4' },
    mux: { kind: 'legacy', width: 1920, height: 1080 },
    inferConfigPath: '/run/owl/nvinfer.txt',
    output: null,
    brokers: [],
  },
  'rtsp-udp-hw-redis-new-mux': {
    source: { kind: 'rtsp', url: 'rtsp://camera.local:554/stream1', transport: 'udp', latencyMs: 200 },
    mux: { kind: 'new' },
    inferConfigPath: '/run/owl/nvinfer.txt',
    output: { encoder: 'hw', bitrateKbps: 4000, udpPort: 5402, swPreset: 'ultrafast' },
    brokers: [broker],
  },
  'file-headless-new-mux': {
    source: { kind: 'file', path: '/videos/clip.mp4' },
    mux: { kind: 'new' },
    inferConfigPath: '/run/owl/nvinfer.txt',
    output: null,
    brokers: [],
  },
};

interface ParseCheck {
  code: number;
  error: string;
  missing: string[];
}

function gstParse(description: string): ParseCheck {
  return JSON.parse(execFileSync(parseCheck, [description], { encoding: 'utf8' })) as ParseCheck;
}

describe('engine selection', () => {
  const standIn = (available: boolean): DeepStreamBinding => ({
    deepstreamAvailable: available,
    deepstreamDir: '/opt/nvidia/deepstream/deepstream',
    DeepStreamPipeline: available ? (function DeepStreamPipelineStandIn() {} as never) : undefined,
  });

  test('deepstream without the SDK: an error naming where it was looked for and what to do', () => {
    assert.throws(() => resolveEngine('deepstream', standIn(false)), new DeepStreamUnavailableError(
      'engine deepstream needs the DeepStream SDK (not found at /opt/nvidia/deepstream/deepstream when the addon '
      + 'was built); use --engine portable or install DeepStream 7.x and rebuild (node deploy/build-native.js)'));
  });

  test('auto picks deepstream only where the addon has it; portable is always portable', () => {
    assert.equal(resolveEngine('auto', standIn(false)), 'portable');
    assert.equal(resolveEngine('auto', standIn(true)), 'deepstream');
    assert.equal(resolveEngine('deepstream', standIn(true)), 'deepstream');
    assert.equal(resolveEngine('portable', standIn(true)), 'portable');
  });

  test('the real addon reports DeepStream exactly when the SDK headers were at deepstreamDir', () => {
    const sdk = ['sources/includes', 'includes'].some((dir) => fs.existsSync(path.join(native.deepstreamDir, dir, 'nvdsmeta.h')));
    assert.equal(native.deepstreamAvailable, sdk);
    assert.equal(typeof native.DeepStreamPipeline === 'function', sdk);
    if (!sdk) assert.throws(() => resolveEngine('deepstream', native), DeepStreamUnavailableError);
  });
});

describe('device choices', () => {
  test('Orin Nano (no NVENC) encodes with x264; other devices with nvv4l2h264enc', () => {
    assert.equal(deepStreamEncoder('NVIDIA Jetson Orin Nano Developer Kit'), 'sw');
    assert.equal(deepStreamEncoder('NVIDIA Jetson AGX Orin Developer Kit'), 'hw');
    assert.equal(deepStreamEncoder('NVIDIA Jetson Orin NX Engineering Reference Developer Kit'), 'hw');
    assert.equal(deepStreamEncoder(null), 'hw');
  });

  test('the device model is read like the seed mounts it (NUL-terminated device-tree text)', async () => {
    const mounted = path.join(workDir, 'nv_jetson_model');
    fs.writeFileSync(mounted, 'NVIDIA Jetson Orin Nano Developer Kit\0');
    assert.equal(await readDeviceModel([path.join(workDir, 'absent'), mounted]), 'NVIDIA Jetson Orin Nano Developer Kit');
    assert.equal(await readDeviceModel([path.join(workDir, 'absent')]), null);
  });

  test('the new nvstreammux exactly when USE_NEW_NVSTREAMMUX is "yes", as the plugin decides', () => {
    assert.equal(nvstreammuxKind({ USE_NEW_NVSTREAMMUX: 'yes' }), 'new');
    for (const value of [undefined, '', 'YES', 'true', '1', 'no']) {
      assert.equal(nvstreammuxKind({ USE_NEW_NVSTREAMMUX: value }), 'legacy', String(value));
    }
  });

  test('muxer size: the test source\'s size, else the configured output size, else 1920x1080', () => {
    const config = defaultConfig();
    assert.deepEqual(muxSize(config, { kind: 'test', pattern: '', width: 640, height: 480, fps: 30 }),
      { width: 640, height: 480 });
    assert.deepEqual(muxSize(config, { kind: 'rtsp', url: 'rtsp://x/y', transport: 'tcp', latencyMs: 50 }),
      { width: 1920, height: 1080 });
    config.output.encoder.width = 1280;
    config.output.encoder.height = 720;
    assert.deepEqual(muxSize(config, { kind: 'file', path: '/v.mp4' }), { width: 1280, height: 720 });
  });
});

describe('pipeline description', () => {
  for (const [name, input] of Object.entries(descriptions)) {
    test(`${name}: matches its golden file`, () => {
      const text = `${deepStreamDescription(input)}\n`;
      const file = path.join(goldenDir, `${name}.txt`);
      if (process.env.OWL_UPDATE_GOLDEN === '1') {
        fs.mkdirSync(goldenDir, { recursive: true });
        fs.writeFileSync(file, text);
      }
      assert.equal(text, fs.readFileSync(file, 'utf8'));
    });

    test(`${name}: GStreamer parses it; only DeepStream's own elements are missing here`, () => {
      const description = deepStreamDescription(input);
      const result = gstParse(description);
      assert.notEqual(result.code, 0, `syntax error: ${result.error}`);
      const missing = new Set(result.missing);
      if (native.deepstreamAvailable) {
        assert.deepEqual([result.code, result.missing], [-1, []], result.error);  // a DeepStream machine
      }
      for (const factory of missing) assert.ok(DEEPSTREAM_FACTORIES.has(factory), `${factory}: ${result.error}`);
      // Each DeepStream element the description uses is reported, so nothing was skipped.
      for (const factory of native.deepstreamAvailable ? [] : DEEPSTREAM_FACTORIES) {
        if (new RegExp(`(^|! |\\n)${factory} `).test(description)) assert.ok(missing.has(factory), factory);
      }
      // With stand-ins nothing is missing, so no error can hide a syntax error.
      const standIns = gstParse(withStandIns(description));
      assert.deepEqual([standIns.code, standIns.missing], [-1, []], standIns.error);
    });
  }

  test('every property set on a DeepStream element is one read in its plugin sources', () => {
    for (const [name, input] of Object.entries(descriptions)) {
      const used = deepStreamPropertiesUsed(deepStreamDescription(input), input.mux.kind);
      assert.ok(used.some(([element]) => element.startsWith('nvstreammux')), name);
      for (const [element, property] of used) {
        assert.ok(DEEPSTREAM_PROPERTIES[element].includes(property), `${name}: ${element} has no property ${property}`);
      }
    }
    // The check can fail: the legacy muxer's size on the new muxer.
    const wrong = deepStreamDescription(descriptions['rtsp-hw-redis']);
    assert.ok(deepStreamPropertiesUsed(wrong, 'new').some(([, p]) => p === 'width'));
  });

  test('muxers: the legacy one scales to width x height (live-source from the source); the new one has neither', () => {
    const muxOf = (name: string) => /^nvstreammux [^!]*/m.exec(deepStreamDescription(descriptions[name]))![0].trim();
    assert.equal(muxOf('rtsp-hw-redis'),
      'nvstreammux name=mux batch-size=1 width=1920 height=1080 live-source=1 batched-push-timeout=40000');
    assert.match(muxOf('file-headless'), / live-source=0 /);
    assert.equal(muxOf('rtsp-udp-hw-redis-new-mux'), 'nvstreammux name=mux batch-size=1 batched-push-timeout=40000');
    assert.equal(muxOf('file-headless-new-mux'), 'nvstreammux name=mux batch-size=1 batched-push-timeout=40000');
  });

  test('RTSP transport: TCP is select-rtp-protocol=4; UDP leaves nvurisrcbin\'s default (UDP, multicast, then TCP)', () => {
    assert.match(deepStreamDescription(descriptions['rtsp-hw-redis']), / latency=50 select-rtp-protocol=4 ! mux\.sink_0/);
    const udp = deepStreamDescription(descriptions['rtsp-udp-hw-redis-new-mux']);
    assert.match(udp, /^nvurisrcbin name=src uri="rtsp:\/\/camera\.local:554\/stream1" latency=200 ! mux\.sink_0$/m);
    assert.doesNotMatch(udp, /select-rtp-protocol/);
  });

  test('the parse check fails on a typo, a bad property and a syntax error', () => {
    const good = deepStreamDescription(descriptions['test-sw-redis']);
    assert.ok(gstParse(good.replace('h264parse', 'h264prase')).missing.includes('h264prase'));
    assert.ok(gstParse(good.replace('key-int-max=30', 'key-int-maximum=30')).missing.includes('x264enc'));
    assert.equal(gstParse(withStandIns(good).replace('! tee name=t', '! ! tee name=t')).code, 0, 'GST_PARSE_ERROR_SYNTAX');
  });

  test('the element names the native engine relies on appear exactly once', () => {
    const names = [...deepStreamDescription(descriptions['rtsp-hw-redis']).matchAll(/ name=(\S+)/g)].map((m) => m[1]);
    assert.deepEqual(names.sort(), ['broker', 'enc', 'infer', 'msgconv', 'mux', 'src', 't']);
  });

  test('values are quoted for gst_parse_launch: quotes and backslashes escaped, no line breaks', () => {
    assert.equal(quoteValue('rtsp://u:p"w\\d@h/x y'), '"rtsp://u:p\\"w\\\\d@h/x y"');
    assert.throws(() => quoteValue('a\nb'), /must not contain line breaks/);
    assert.throws(() => deepStreamDescription({ ...descriptions['file-headless'], source: { kind: 'file', path: 'rel.mp4' } }),
      /needs an absolute file path, received "rel\.mp4"/);
  });

  test('the RTSP mount reads the udpsink port as H.264 RTP, payloader named pay0', () => {
    assert.equal(rtspMountLaunch(5400), '( udpsrc name=pay0 port=5400 buffer-size=524288 caps="application/x-rtp, '
      + 'media=video, clock-rate=90000, encoding-name=H264, payload=96" )');
    const result = gstParse(rtspMountLaunch(5400));
    assert.deepEqual([result.code, result.missing], [-1, []], result.error);
  });
});

test('deepStreamModel: the exported folder\'s image encoder, size and normalisation; the engine path made absolute', () => {
  const folder = {
    dir: '/models/owl',
    config: { imageSize: 840, mean: model.mean, std: model.std },
    paths: { imageEncoder: '/models/owl/image_encoder.onnx' },
  } as unknown as Parameters<typeof deepStreamModel>[0];
  assert.deepEqual(deepStreamModel(folder, 'nanoowl/data/owl.engine'), {
    onnxFile: '/models/owl/image_encoder.onnx', engineFile: path.resolve('nanoowl/data/owl.engine'), inputSize: 840,
    mean: model.mean, std: model.std,
  });
});

test('prepareDeepStream: run folder, description and native options from the service config', async () => {
  const config: OwlConfig = defaultConfig();
  config.prompts.objects = ['a person', 'a dog'];
  config.prompts.thresholds = [0.1, 0.2];
  config.output.url = 'rtsp://0.0.0.0:5011/out';
  config.redis.outputInterval = 60;
  config.model.nmsIou = 0.3;
  const server = { start() {}, port: () => 5011, stop() {} } as NativeRtspServer;  // stand-in: never started
  const runDir = path.join(workDir, 'run');
  const run = await prepareDeepStream({
    config, model, server, runDir,
    source: { kind: 'rtsp', url: 'rtsp://camera/stream1', transport: 'tcp', latencyMs: 50 },
    sensorId: 'stream1', addonDir: '/app/native/build/Release', deepstreamDir: '/opt/nvidia/deepstream/deepstream',
    deviceModel: 'NVIDIA Jetson Orin Nano Developer Kit', env: {},
  });
  assert.deepEqual(run.warnings, []);
  // Every file but the adaptor configs of the outputs that are off by default (MQTT, Kafka).
  const off: string[] = [DEEPSTREAM_FILES.mqtt, DEEPSTREAM_FILES.kafka];
  for (const name of Object.values(DEEPSTREAM_FILES)) assert.equal(fs.existsSync(path.join(runDir, name)), !off.includes(name), name);
  assert.equal(fs.readFileSync(run.files.labels, 'utf8'), 'a person\na dog\n');
  assert.match(fs.readFileSync(run.files.nvinfer, 'utf8'), /^custom-lib-path=\/app\/native\/build\/Release\/libowl_ds_parser\.so$/m);

  const { options } = run;
  assert.ok(options.output);
  assert.equal(options.output.server, server);
  assert.equal(options.output.mount, '/out');
  const udpPort = Number(/udpsink host=127\.0\.0\.1 port=(\d+)/.exec(options.description)?.[1]);
  assert.ok(udpPort > 0);
  assert.equal(options.output.launch, rtspMountLaunch(udpPort));
  assert.match(options.description, / x264enc name=enc /, 'Orin Nano: software encoder');
  assert.match(options.description, new RegExp(`config-file-path="${run.files.nvinfer}"`));
  assert.match(options.description, /nvmsgconv name=msgconv config="[^"]+\/msgconv\.txt" payload-type=1 msg2p-newapi=true frame-interval=60 /);
  assert.match(options.description, new RegExp('proto-lib="/opt/nvidia/deepstream/deepstream/lib/libnvds_redis_proto\\.so" '
    + 'conn-str="localhost;6379" config="[^"]+/redis\\.txt" topic="owl"'));
  assert.deepEqual(options.reconnect, { initialDelayMs: 1000, maxDelayMs: 30000, stallTimeoutMs: 5000 });
  assert.deepEqual(options.decode, { nmsIou: 0.3, maxDetections: 100 });
  assert.match(options.description, /^nvstreammux name=mux batch-size=1 width=1920 height=1080 live-source=1 /m);

  const headless = await prepareDeepStream({
    config, model, server: null, runDir, source: { kind: 'file', path: '/v.mp4' }, sensorId: 'v',
    addonDir: '/a', deepstreamDir: '/ds', deviceModel: null, env: {},
  });
  assert.equal(headless.options.output, null);
  assert.doesNotMatch(headless.options.description, /nvdsosd|udpsink/);
});

test('prepareDeepStream: MQTT and Kafka on, Redis off: their branches, adaptor configs and a QoS warning', async () => {
  const config: OwlConfig = defaultConfig();
  config.redis.enabled = false;
  config.mqtt = { ...config.mqtt, enabled: true, url: 'mqtt://broker.local', topic: 'cams/{sensorId}', qos: 1,
    outputInterval: 10 };
  config.kafka = { ...config.kafka, enabled: true, broker: 'kafka.local:9092', topic: 'owl' };
  const runDir = path.join(workDir, 'run-brokers');
  const run = await prepareDeepStream({
    config, model, server: null, runDir,
    source: { kind: 'rtsp', url: 'rtsp://camera/stream1', transport: 'tcp', latencyMs: 50 },
    sensorId: 'front', addonDir: '/app/native/build/Release', deepstreamDir: '/opt/ds', deviceModel: null, env: {},
  });
  assert.deepEqual(run.warnings, ['engine deepstream publishes MQTT at QoS 0 without retain (its adaptor\'s fixed '
    + 'choice): mqtt.qos 1 ignored']);
  assert.equal(fs.existsSync(path.join(runDir, DEEPSTREAM_FILES.broker)), false, 'no Redis adaptor config');
  const brokers = run.options.description.split('\n').filter((line) => line.includes('nvmsgbroker'));
  assert.deepEqual(brokers, [
    `t. ! queue ! nvmsgconv name=msgconv-mqtt config="${run.files.msgconv}" payload-type=1 msg2p-newapi=true `
      + 'frame-interval=10 comp-id=1 ! nvmsgbroker name=broker-mqtt proto-lib="/opt/ds/lib/libnvds_mqtt_proto.so" '
      + `conn-str="broker.local;1883" config="${run.files.mqtt}" topic="cams/front" comp-id=1 sync=false`,
    `t. ! queue ! nvmsgconv name=msgconv-kafka config="${run.files.msgconv}" payload-type=1 msg2p-newapi=true `
      + 'frame-interval=1 comp-id=2 ! nvmsgbroker name=broker-kafka proto-lib="/opt/ds/lib/libnvds_kafka_proto.so" '
      + `conn-str="kafka.local;9092" config="${run.files.kafka}" topic="owl" comp-id=2 sync=false`,
  ]);
  assert.ok(fs.existsSync(run.files.mqtt) && fs.existsSync(run.files.kafka));
});

test('prepareDeepStream reads the environment DeepStream\'s plugins read: the muxer, and the Redis adaptor\'s switch', async () => {
  const env: NodeJS.ProcessEnv = { USE_NEW_NVSTREAMMUX: 'yes', [SENSOR_ID_EXTRACTION_VARIABLE]: '1', OTHER: 'kept' };
  const prepare = () => prepareDeepStream({
    config: defaultConfig(), model, server: null, runDir: path.join(workDir, 'run-env'),
    source: { kind: 'file', path: '/v.mp4' }, sensorId: 'v', addonDir: '/a', deepstreamDir: '/ds', deviceModel: null, env,
  });
  const run = await prepare();
  assert.match(run.options.description, /^nvstreammux name=mux batch-size=1 batched-push-timeout=40000 ! /m);
  // With "1", DeepStream 9.1's adaptor would write key/value/headers and ignore payloadkey=metadata.
  assert.deepEqual(run.warnings, [`${SENSOR_ID_EXTRACTION_VARIABLE}=1 removed from this process's environment: `
    + 'with it DeepStream\'s Redis adaptor writes key/value/headers fields instead of the `metadata` field owl-stream '
    + 'documents']);
  assert.deepEqual({ ...env }, { USE_NEW_NVSTREAMMUX: 'yes', OTHER: 'kept' });
  assert.deepEqual((await prepare()).warnings, [], 'said once: the variable is gone');
  env[SENSOR_ID_EXTRACTION_VARIABLE] = '0';  // the adaptor compares with "1": anything else is harmless and kept
  assert.deepEqual((await prepare()).warnings, []);
  assert.equal(env[SENSOR_ID_EXTRACTION_VARIABLE], '0');
});
