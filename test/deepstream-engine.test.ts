// SPDX-License-Identifier: Apache-2.0
// The DeepStream engine's TS side, which runs without DeepStream: engine selection (and the error when
// the SDK is missing), the device-dependent encoder and muxer choices, the environment DeepStream's Redis
// adaptor reads, the run folder and the pipeline descriptions. The descriptions for 1, 2 and 8 streams (RTSP
// and file sources, with and without video outputs, both nvstreammux variants) are pinned by golden files and
// parsed by this machine's GStreamer with every stream linked as the engine links it
// (native/test/gst_parse_check.cc): DeepStream's own elements are missing here, so the check is that they are
// the ONLY missing ones — the syntax and every other element and property are real — then again with stand-ins
// for them (nothing missing); and every property set on a DeepStream element is one read in its plugin sources
// (test/helpers/deepstream-element-properties.ts).
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
  deepStreamEncoder, deepStreamStream, DeepStreamUnavailableError, muxSize, nvstreammuxKind, prepareDeepStream,
  readDeviceModel, resolveEngine, type DeepStreamBinding,
} from '../ts/deepstream/engine';
import {
  deepStreamCoreDescription, deepStreamOutputDescription, deepStreamSourceDescription, quoteValue, rtspMountLaunch,
  type BrokerBranch, type DeepStreamCoreInput, type DeepStreamOutput, type DeepStreamSource,
} from '../ts/deepstream/pipeline-description';
import { DEEPSTREAM_FILES } from '../ts/deepstream/run-folder';
import { addonPath, native } from '../ts/native';
import type { RtspServer } from '../ts/pipeline';
import { OVERLAY_PALETTE } from '../ts/pipeline/palette';
import { DEEPSTREAM_PROPERTIES, deepStreamPropertiesUsed } from './helpers/deepstream-element-properties';
import { DEEPSTREAM_ELEMENTS, standInPluginEnv, withStandIns } from './helpers/deepstream-standins';

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
  frameInterval: 1,
  protoLib: '/opt/nvidia/deepstream/deepstream/lib/libnvds_redis_proto.so',
  connStr: 'localhost;6379',
  configPath: '/run/owl/redis.txt',
  topic: 'owl',
};
const tracker: NonNullable<DeepStreamCoreInput['tracker']> = {
  libPath: '/opt/nvidia/deepstream/deepstream/lib/libnvds_nvmultiobjecttracker.so',
  configPath: '/run/owl/tracker.yml', width: 640, height: 384, gpuId: 0,
};

/** One generated pipeline: the shared part and each stream's source and (optional) output bin. */
interface PipelineCase {
  core: DeepStreamCoreInput;
  sources: DeepStreamSource[];
  outputs: (DeepStreamOutput | null)[];
}

const rtsp = (i: number): DeepStreamSource => ({ kind: 'rtsp', url: `rtsp://cam${i}.local:554/stream1`,
  transport: i % 2 === 0 ? 'tcp' : 'udp', latencyMs: 100 });
const hw = (i: number): DeepStreamOutput => ({ encoder: 'hw', bitrateKbps: 4000, udpPort: 5400 + i, swPreset: 'ultrafast' });
const sw = (i: number): DeepStreamOutput => ({ encoder: 'sw', bitrateKbps: 1500, udpPort: 5400 + i, swPreset: 'veryfast' });
const core = (maxStreams: number, outputs: boolean, change: Partial<DeepStreamCoreInput> = {}): DeepStreamCoreInput => ({
  mux: { kind: 'legacy', width: 1920, height: 1080 }, maxStreams, liveSources: true,
  inferConfigPath: '/run/owl/nvinfer.txt', tracker, brokers: [broker], outputs, ...change,
});
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

// 1, 2 and 8 streams; with and without video outputs; RTSP and file sources; the legacy nvstreammux (the default)
// and, where named so, the new one (USE_NEW_NVSTREAMMUX=yes).
const pipelines: Record<string, PipelineCase> = {
  '1-rtsp-output': { core: core(1, true), sources: [rtsp(0)], outputs: [hw(0)] },
  '1-file-headless': {
    core: core(1, false, { liveSources: false }),
    sources: [{ kind: 'file', path: '/videos/my clip #1.mp4' }], outputs: [null],
  },
  '2-rtsp-output-sw': { core: core(2, true), sources: [rtsp(0), rtsp(1)], outputs: [sw(0), sw(1)] },
  '2-file-headless-new-mux': {
    core: core(2, false, { mux: { kind: 'new' }, liveSources: false }),
    sources: [{ kind: 'file', path: '/videos/a.mp4' }, { kind: 'file', path: '/videos/b.mp4' }], outputs: [null, null],
  },
  '8-rtsp-output': { core: core(8, true), sources: range(8).map(rtsp), outputs: range(8).map(hw) },
  '8-mixed-headless-no-tracker-no-broker': {
    core: core(8, false, { tracker: null, brokers: [] }),
    sources: range(8).map((i) => (i % 2 === 0 ? rtsp(i) : { kind: 'file', path: `/videos/cam${i}.mp4` })),
    outputs: range(8).map(() => null),
  },
  // Redis, MQTT and Kafka at once: one converter per broker, paired by comp-id.
  '2-rtsp-output-redis-mqtt-kafka': {
    core: core(2, true, { brokers: [broker,
      { ...broker, name: 'mqtt', protoLib: '/opt/nvidia/deepstream/deepstream/lib/libnvds_mqtt_proto.so',
        connStr: 'broker.local;1883', configPath: '/run/owl/mqtt.txt', topic: 'owl/all', frameInterval: 5 },
      { ...broker, name: 'kafka', protoLib: '/opt/nvidia/deepstream/deepstream/lib/libnvds_kafka_proto.so',
        connStr: 'kafka.local;9092', configPath: '/run/owl/kafka.txt', topic: 'owl' }] }),
    sources: [rtsp(0), rtsp(1)], outputs: [hw(0), hw(1)],
  },
  '8-rtsp-output-new-mux': { core: core(8, true, { mux: { kind: 'new' } }), sources: range(8).map(rtsp), outputs: range(8).map(hw) },
  // A stream whose mount was held while VST was asked for its camera: its drawn frames also go to the held media.
  '2-rtsp-output-held': { core: core(2, true), sources: [rtsp(0), rtsp(1)],
    outputs: [{ ...hw(0), heldChannel: 'owl-held-1' }, hw(1)] },
};

/** The golden file: each description as the engine receives it, and where it links. */
function golden(c: PipelineCase): string {
  const parts = ['# shared pipeline', deepStreamCoreDescription(c.core)];
  c.sources.forEach((source, i) => {
    parts.push(`# stream ${i}: source bin -> mux.sink_${i}`, deepStreamSourceDescription(source));
    const output = c.outputs[i];
    if (output !== null) parts.push(`# stream ${i}: demux.src_${i} -> output bin`, deepStreamOutputDescription(output));
  });
  return `${parts.join('\n')}\n`;
}

/**
 * The whole pipeline with every stream linked, as one gst-launch description (what the engine builds). The engine
 * adds each stream's bins as bins of their own; in one launch line their encoders need distinct names.
 */
function composed(c: PipelineCase): string {
  return [deepStreamCoreDescription(c.core), ...c.sources.flatMap((source, i) => {
    const output = c.outputs[i];
    return [`${deepStreamSourceDescription(source)} ! mux.sink_${i}`, ...(output === null ? []
      : [`demux.src_${i} ! ${deepStreamOutputDescription(output).replace(' name=enc ', ` name=enc${i} `)}`])];
  })].join('\n');
}

interface ParseCheck {
  code: number;
  error: string;
  missing: string[];
}

function gstParse(description: string): ParseCheck {
  return JSON.parse(execFileSync(parseCheck, [description], { encoding: 'utf8', env: standInPluginEnv() })) as ParseCheck;
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

  test('muxer size: the configured output size, else 1920x1080', () => {
    const config = defaultConfig();
    assert.deepEqual(muxSize(config), { width: 1920, height: 1080 });
    config.output.encoder.width = 1280;
    config.output.encoder.height = 720;
    assert.deepEqual(muxSize(config), { width: 1280, height: 720 });
  });
});

describe('pipeline descriptions', () => {
  test('the golden folder holds exactly one file per case (no leftovers of removed cases)', () => {
    assert.deepEqual(fs.readdirSync(goldenDir).sort(), Object.keys(pipelines).map((name) => `${name}.txt`).sort());
  });

  for (const [name, c] of Object.entries(pipelines)) {
    test(`${name}: matches its golden file`, () => {
      const text = golden(c);
      const file = path.join(goldenDir, `${name}.txt`);
      if (process.env.OWL_UPDATE_GOLDEN === '1') {
        fs.mkdirSync(goldenDir, { recursive: true });
        fs.writeFileSync(file, text);
      }
      assert.equal(text, fs.readFileSync(file, 'utf8'));
    });

    test(`${name}: GStreamer parses it with every stream linked; only DeepStream's own elements are missing here`, () => {
      const description = composed(c);
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
    for (const [name, c] of Object.entries(pipelines)) {
      const used = deepStreamPropertiesUsed(composed(c), c.core.mux.kind);
      assert.ok(used.some(([element]) => element.startsWith('nvstreammux')), name);
      for (const [element, property] of used) {
        assert.ok(DEEPSTREAM_PROPERTIES[element].includes(property), `${name}: ${element} has no property ${property}`);
      }
    }
    // The check can fail: the legacy muxer's size on the new muxer.
    const wrong = composed(pipelines['1-rtsp-output']);
    assert.ok(deepStreamPropertiesUsed(wrong, 'new').some(([, p]) => p === 'width'));
  });

  test('muxer: batch-size is the most streams; the legacy one scales to width x height; the new one has neither', () => {
    const muxOf = (name: string) => /^nvstreammux [^!]*/m.exec(deepStreamCoreDescription(pipelines[name].core))![0].trim();
    assert.equal(muxOf('8-rtsp-output'), 'nvstreammux name=mux batch-size=8 drop-pipeline-eos=1 width=1920 '
      + 'height=1080 live-source=1 batched-push-timeout=40000');
    assert.match(muxOf('1-file-headless'), / batch-size=1 .* live-source=0 /);
    assert.equal(muxOf('2-file-headless-new-mux'), 'nvstreammux name=mux batch-size=2 drop-pipeline-eos=1 '
      + 'batched-push-timeout=40000');
    assert.throws(() => deepStreamCoreDescription(core(0, true)), /maxStreams must be an integer >= 1, received 0/);
  });

  test('shared part: nvinfer, nvtracker with its library and config, the demuxer only with outputs', () => {
    const shared = deepStreamCoreDescription(pipelines['8-rtsp-output'].core);
    assert.match(shared, / ! nvinfer name=infer config-file-path="\/run\/owl\/nvinfer\.txt" ! nvtracker name=tracker /);
    assert.match(shared, /ll-lib-file="\/opt\/nvidia\/deepstream\/deepstream\/lib\/libnvds_nvmultiobjecttracker\.so" /);
    assert.match(shared, / tracker-width=640 tracker-height=384 gpu-id=0 ! tee name=t$/m);
    assert.match(shared, /^t\. ! queue ! nvstreamdemux name=demux$/m);
    assert.match(shared, /^t\. ! queue ! nvmsgconv name=msgconv payload-type=1 ! nvmsgbroker /m);
    assert.doesNotMatch(shared, /msg2p-newapi|nvdsosd/, 'events from the engine; drawing per stream');
    const bare = deepStreamCoreDescription(pipelines['8-mixed-headless-no-tracker-no-broker'].core);
    assert.match(bare, /nvinfer name=infer config-file-path="[^"]+" ! tee name=t\nt\. ! queue ! fakesink sync=false async=false$/);
  });

  test('RTSP transport: TCP is select-rtp-protocol=4; UDP leaves nvurisrcbin\'s default (UDP, multicast, then TCP)', () => {
    assert.equal(deepStreamSourceDescription(rtsp(0)),
      'nvurisrcbin uri="rtsp://cam0.local:554/stream1" latency=100 select-rtp-protocol=4 ! queue');
    assert.equal(deepStreamSourceDescription(rtsp(1)), 'nvurisrcbin uri="rtsp://cam1.local:554/stream1" latency=100 ! queue');
  });

  test('the parse check fails on a typo, a bad property and a syntax error', () => {
    const good = composed(pipelines['2-rtsp-output-sw']);
    assert.ok(gstParse(good.replace('h264parse', 'h264prase')).missing.includes('h264prase'));
    assert.ok(gstParse(good.replace('key-int-max=30', 'key-int-maximum=30')).missing.includes('x264enc'));
    assert.equal(gstParse(withStandIns(good).replace('! tee name=t', '! ! tee name=t')).code, 0, 'GST_PARSE_ERROR_SYNTAX');
  });

  test('the element names the native engine relies on appear exactly once in the shared part', () => {
    const names = [...deepStreamCoreDescription(pipelines['8-rtsp-output'].core).matchAll(/ name=(\S+)/g)].map((m) => m[1]);
    assert.deepEqual(names.sort(), ['broker', 'demux', 'infer', 'msgconv', 'mux', 't', 'tracker']);
    assert.doesNotMatch(deepStreamOutputDescription(hw(0)) + deepStreamSourceDescription(rtsp(0)), / name=(?!enc\b)/,
      'a stream\'s bins name only their encoder');
  });

  test('values are quoted for gst_parse_launch: quotes and backslashes escaped, no line breaks', () => {
    assert.equal(quoteValue('rtsp://u:p"w\\d@h/x y'), '"rtsp://u:p\\"w\\\\d@h/x y"');
    assert.throws(() => quoteValue('a\nb'), /must not contain line breaks/);
    assert.throws(() => deepStreamSourceDescription({ kind: 'file', path: 'rel.mp4' }),
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

test('prepareDeepStream: run folder and the shared pipeline\'s options from the service config', async () => {
  const config: OwlConfig = defaultConfig();
  config.input.maxStreams = 4;
  config.model.nmsIou = 0.3;
  config.overlay = { lineWidth: 4, fontSize: 22, showScores: true };
  const runDir = path.join(workDir, 'run');
  const run = await prepareDeepStream({
    config, model, runDir, deepstreamDir: '/opt/nvidia/deepstream/deepstream', outputs: true, liveSources: true, env: {},
  });
  assert.deepEqual(run.warnings, []);
  // Every file but the adaptor configs of the outputs that are off by default (MQTT, Kafka).
  assert.deepEqual(fs.readdirSync(runDir).sort(), ['nvinfer.txt', 'redis.txt', 'tracker.yml']);
  assert.match(fs.readFileSync(run.files.nvinfer, 'utf8'), /^batch-size=4$/m);
  const { options } = run;
  assert.equal(options.maxStreams, 4);
  assert.match(options.description, /^nvstreammux name=mux batch-size=4 drop-pipeline-eos=1 width=1920 height=1080 live-source=1 /m);
  assert.match(options.description, new RegExp(`config-file-path="${run.files.nvinfer}"`));
  assert.match(options.description, new RegExp(`ll-config-file="${run.files.tracker}"`));
  assert.match(options.description, /nvstreamdemux name=demux/);
  assert.match(options.description, new RegExp('proto-lib="/opt/nvidia/deepstream/deepstream/lib/libnvds_redis_proto\\.so" '
    + 'conn-str="localhost;6379" config="[^"]+/redis\\.txt" topic="owl"'));
  assert.deepEqual(options.reconnect, { initialDelayMs: 1000, maxDelayMs: 30000, stallTimeoutMs: 5000 });
  assert.deepEqual(options.decode, { nmsIou: 0.3, maxDetections: 100 });
  assert.deepEqual(options.messages, [{ componentId: 0, interval: 1 }], 'the Redis branch, every inferred frame');
  assert.deepEqual({ ...options.overlay, palette: options.overlay.palette.length },
    { lineWidth: 4, fontSize: 22, showScores: true, palette: OVERLAY_PALETTE.length });

  config.tracker.enabled = false;
  config.deepstream.inferInterval = 3;
  const headless = await prepareDeepStream({
    config, model, runDir, deepstreamDir: '/ds', outputs: false, liveSources: false, env: {},
  });
  assert.doesNotMatch(headless.options.description, /nvstreamdemux|nvtracker/);
  assert.match(headless.options.description, / live-source=0 /);
  assert.equal(headless.files.tracker, null);
  assert.match(fs.readFileSync(headless.files.nvinfer, 'utf8'), /^interval=3$/m);
});

test('deepStreamStream: a stream\'s source and output bins, a free UDP port, its mount and sensor id', async () => {
  const server = {} as RtspServer;  // stand-in: only handed through
  const stream = await deepStreamStream({
    source: rtsp(0), sensorId: 'dock-4',
    output: { server, mount: '/out/dock-4', encoder: 'sw', bitrateKbps: 1500, swPreset: 'veryfast' },
  });
  assert.equal(stream.description, deepStreamSourceDescription(rtsp(0)));
  assert.deepEqual([stream.sensorId, stream.probeAddress], ['dock-4', 'cam0.local:554']);
  assert.ok(stream.output);
  assert.equal(stream.output.server, server);
  assert.equal(stream.output.mount, '/out/dock-4');
  const udpPort = Number(/udpsink host=127\.0\.0\.1 port=(\d+)/.exec(stream.output.description)?.[1]);
  assert.ok(udpPort > 0);
  assert.equal(stream.output.launch, rtspMountLaunch(udpPort));
  assert.match(stream.output.description, / x264enc name=enc tune=zerolatency speed-preset=veryfast bitrate=1500 /);
  const headless = await deepStreamStream({ source: rtsp(1), sensorId: 'x', output: null });
  assert.equal(headless.output, null);
  const file = await deepStreamStream({ source: { kind: 'file', path: '/v/a.mp4' }, sensorId: 'x', output: null });
  assert.equal(file.probeAddress, '', 'nothing to probe but a camera');
  await assert.rejects(deepStreamStream({ source: rtsp(1), sensorId: '', output: null }),
    /the sensor id is empty/);
});

test('prepareDeepStream: MQTT and Kafka on, Redis off: their branches paired by comp-id, the probe\'s intervals', async () => {
  const config: OwlConfig = defaultConfig();
  config.redis.enabled = false;
  config.mqtt = { ...config.mqtt, enabled: true, url: 'mqtt://broker.local', topic: 'cams/{sensorId}', qos: 1,
    outputInterval: 10 };
  config.kafka = { ...config.kafka, enabled: true, broker: 'kafka.local:9092', topic: 'owl' };
  const runDir = path.join(workDir, 'run-brokers');
  const inputs = { config, model, runDir, deepstreamDir: '/opt/ds', outputs: false, liveSources: true, env: {} };
  await assert.rejects(prepareDeepStream(inputs), /names \{sensorId\}, but engine deepstream publishes every stream's/);
  config.mqtt.topic = 'cams/front';
  const run = await prepareDeepStream(inputs);
  assert.deepEqual(run.warnings, ['engine deepstream publishes MQTT at QoS 0 without retain (its adaptor\'s fixed '
    + 'choice): mqtt.qos 1 ignored']);
  assert.equal(fs.existsSync(path.join(runDir, DEEPSTREAM_FILES.broker)), false, 'no Redis adaptor config');
  const brokers = run.options.description.split('\n').filter((line) => line.includes('nvmsgbroker'));
  assert.deepEqual(brokers, [
    't. ! queue ! nvmsgconv name=msgconv-mqtt payload-type=1 comp-id=1 ! nvmsgbroker name=broker-mqtt '
      + `proto-lib="/opt/ds/lib/libnvds_mqtt_proto.so" conn-str="broker.local;1883" config="${run.files.mqtt}" `
      + 'topic="cams/front" comp-id=1 sync=false async=false',
    't. ! queue ! nvmsgconv name=msgconv-kafka payload-type=1 comp-id=2 ! nvmsgbroker name=broker-kafka '
      + `proto-lib="/opt/ds/lib/libnvds_kafka_proto.so" conn-str="kafka.local;9092" config="${run.files.kafka}" `
      + 'topic="owl" comp-id=2 sync=false async=false',
  ]);
  assert.deepEqual(run.options.messages, [{ componentId: 1, interval: 10 }, { componentId: 2, interval: 1 }]);
  assert.ok(fs.existsSync(run.files.mqtt) && fs.existsSync(run.files.kafka));
});

test('prepareDeepStream reads the environment DeepStream\'s plugins read: the muxer, and the Redis adaptor\'s switch', async () => {
  const env: NodeJS.ProcessEnv = { USE_NEW_NVSTREAMMUX: 'yes', [SENSOR_ID_EXTRACTION_VARIABLE]: '1', OTHER: 'kept' };
  const prepare = () => prepareDeepStream({
    config: defaultConfig(), model, runDir: path.join(workDir, 'run-env'), deepstreamDir: '/ds', outputs: false,
    liveSources: true, env,
  });
  const run = await prepare();
  assert.match(run.options.description, /^nvstreammux name=mux batch-size=8 drop-pipeline-eos=1 batched-push-timeout=40000 ! /m);
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
