// SPDX-License-Identifier: Apache-2.0
// The real service process with `--engine deepstream`, where DeepStream cannot be installed: the addon variant
// built with its DeepStream engine against the STAND-IN headers and library (owl_stream_ds_standin.node, from
// the normal native build) and a preload that puts stand-ins in place of DeepStream's elements in the generated
// descriptions (test/helpers/deepstream-standin-preload.ts; the stand-in nvinfer gives every frame four made-up
// patches of image-encoder tensors, padded to the tiny model's embedding size). Real here: the supervisor's
// engine choice, the DeepStream stream runner, the text encoder and its prompt sets, prepareDeepStream's run
// folder, the N-API DeepStreamPipeline with its decode and label probes and RTSP mount, the REST API,
// redis-server, signals.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';

import { defaultConfig } from '../ts/config/schema';
import { addonPath } from '../ts/native';
import { BrokerStatus } from '../ts/engines/broker-status';
import { deepStreamSource } from '../ts/engines/deepstream-stream';
import { RedisServer } from './helpers/redis-server';
import { RtspWatcher } from './helpers/rtsp-reader';
import { ServiceProcess, TINY_MODEL } from './helpers/service-process';

const standInAddon = path.join(path.dirname(addonPath), 'owl_stream_ds_standin.node');
const preload = path.join(__dirname, 'helpers', 'deepstream-standin-preload.js');
// Only builds without the SDK have the stand-in variant (native/CMakeLists.txt).
const skip = fs.existsSync(standInAddon) ? false : `no ${standInAddon} (an addon built with the DeepStream SDK?)`;

interface SetPromptsLine {
  labels: string[];
  numQueries: number;
  embedValues: number;
}

/** The stand-in preload's record of each DeepStreamPipeline.setPrompts call, in order (without the stream id). */
function setPromptsCalls(log: string): SetPromptsLine[] {
  return [...log.matchAll(/^\[deepstream stand-in\] setPrompts (.*)$/gm)].map((m) => {
    const { stream, ...call } = JSON.parse(m[1]) as SetPromptsLine & { stream: string };
    assert.equal(stream, 'test');
    return call;
  });
}

describe('engine deepstream in the service process, on stand-ins for DeepStream', { skip }, () => {
  let redis: RedisServer;
  let service: ServiceProcess;
  const embedDim = (JSON.parse(fs.readFileSync(path.join(TINY_MODEL, 'owl.json'), 'utf8')) as { embedDim: number }).embedDim;

  const labels = async () => ((await service.get('/detections')).body[0]?.objects ?? [])
    .map((o: { label: string }) => o.label) as string[];
  const postJson = (route: string, body: unknown) => service.get(route, { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    redis = await RedisServer.start();
    service = await ServiceProcess.start({
      args: ['test:', '--engine', 'deepstream', '--model', TINY_MODEL, '--objects', 'a person, a hat',
        '--thresholds', '0.2', '--redis_host', redis.host, '--redis_port', String(redis.port)],
      // DEEPSTREAM_ENABLE_SENSOR_ID_EXTRACTION=1 as a DeepStream 9.1 environment may carry it.
      env: { OWL_NATIVE_ADDON: standInAddon, NODE_OPTIONS: `--require ${preload}`, OWL_INPUT_TEST_WIDTH: '320',
        OWL_INPUT_TEST_HEIGHT: '240', DEEPSTREAM_ENABLE_SENSOR_ID_EXTRACTION: '1', OWL_STANDIN_EMBED_DIM: String(embedDim) },
    });
    await service.waitFor(async () => (await service.get('/ready')).status === 200, 'ready');
  });

  after(async () => {
    await service?.dispose();
    await redis?.dispose();
  });

  test('/status: engine deepstream, the stream playing, Redis reported as nvmsgbroker\'s', async () => {
    const { body } = await service.get('/status');
    assert.equal(body.engine, 'deepstream');
    assert.deepEqual({ ...body.model, precision: undefined }, { loaded: true, error: null, precision: undefined });
    assert.equal(body.model.precision.running, 'tensorrt', 'model.precision is for the portable engine');
    assert.deepEqual(body.redis, { state: 'ready', error: null, writer: 'nvmsgbroker' });
    assert.deepEqual(body.streams.map((s: { id: string; state: string }) => [s.id, s.state]), [['test', 'playing']]);
    assert.match(service.log, /engine deepstream .*Redis is written by nvmsgbroker/);
    const runDir = /DeepStream pipeline for test:; generated files in (\S+)$/m.exec(service.log)?.[1];
    assert.ok(runDir !== undefined, service.log);
    assert.deepEqual(fs.readdirSync(runDir).sort(), ['nvinfer.txt', 'redis.txt', 'tracker.yml']);
  });

  test('DEEPSTREAM_ENABLE_SENSOR_ID_EXTRACTION=1 (Redis adaptor ignores payloadkey) is removed, with a warning', () => {
    assert.match(service.log, /DEEPSTREAM_ENABLE_SENSOR_ID_EXTRACTION=1 removed from this process's environment/);
    const seen = [...service.log.matchAll(/^\[deepstream stand-in\] created; DEEPSTREAM_ENABLE_SENSOR_ID_EXTRACTION=(.*)$/gm)];
    assert.ok(seen.length > 0, service.log);
    for (const [, value] of seen) assert.equal(value, '(unset)', 'every pipeline starts without it');
  });

  test('/detections: the prompts as labels, boxes in source pixels inside the frame', async () => {
    await service.waitFor(async () => (await labels()).length > 0, 'detections');
    const [frame] = (await service.get('/detections')).body;
    assert.equal(frame.streamId, 'test');
    assert.deepEqual([frame.width, frame.height], [320, 240]);
    // The stand-in's patches are fixed; which prompt wins each depends on the tiny model's text embeddings.
    for (const o of frame.objects as { label: string; left: number; top: number; right: number; bottom: number }[]) {
      assert.ok(['a person', 'a hat'].includes(o.label), o.label);
      assert.ok(o.left >= 0 && o.top >= 0 && o.right <= 320 && o.bottom <= 240 && o.left < o.right, JSON.stringify(o));
    }
    // Sent once before the pipeline started: two prompts, their text embeddings from the text encoder.
    assert.deepEqual(setPromptsCalls(service.log)[0], { labels: ['a person', 'a hat'], numQueries: 2, embedValues: 2 * embedDim });
    const metrics = (await service.get('/metrics')).body as string;
    assert.match(metrics, /^owl_inferences_total [1-9]\d*$/m);
    assert.match(metrics, /^owl_frames_in_total\{stream="test"\} [1-9]\d*$/m);
  });

  test('the annotated video is served on the output mount', async () => {
    const watcher = new RtspWatcher(service.outputUrl);
    try {
      const info = await watcher.ready;
      assert.deepEqual([info.codec, info.width, info.height], ['h264', 320, 240]);
    } finally {
      await watcher.stop();
    }
  });

  test('a prompt change is sent to the pipeline and relabels the detections', async () => {
    const changed = await service.get('/prompt?objects=a%20dog,a%20cat,a%20bike&thresholds=0.3');
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    await service.waitFor(async () => {
      const now = await labels();
      return now.length > 0 && now.every((label) => ['a dog', 'a cat', 'a bike'].includes(label));
    }, 'the new labels');
    assert.deepEqual(setPromptsCalls(service.log).at(-1),
      { labels: ['a dog', 'a cat', 'a bike'], numQueries: 3, embedValues: 3 * embedDim });
  });

  test('prompts of the stream\'s own, then none (no detection), then the service-wide ones again', async () => {
    const own = await postJson('/api/v1/detection/classes', { objects: ['a lamp', 'a chair'], thresholds: [0.2], id: 'test' });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    await service.waitFor(async () => {
      const now = await labels();
      return now.length > 0 && now.every((label) => ['a lamp', 'a chair'].includes(label));
    }, 'the stream\'s own labels');
    assert.deepEqual(setPromptsCalls(service.log).at(-1), { labels: ['a lamp', 'a chair'], numQueries: 2, embedValues: 2 * embedDim });

    const none = await postJson('/api/v1/detection/classes', { objects: [], thresholds: [], id: 'test' });
    assert.equal(none.status, 200, JSON.stringify(none.body));
    await service.waitFor(async () => (await labels()).length === 0, 'no detections');
    assert.deepEqual(setPromptsCalls(service.log).at(-1), { labels: [], numQueries: 0, embedValues: 0 });

    const shared = await service.get('/prompt?objects=a%20person&thresholds=0.1');
    assert.equal(shared.status, 200);
    await service.waitFor(async () => {
      const now = await labels();
      return now.length > 0 && now.every((label) => label === 'a person');
    }, 'the service-wide labels');
    assert.deepEqual(setPromptsCalls(service.log).at(-1), { labels: ['a person'], numQueries: 1, embedValues: embedDim });
  });

  test('a second stream is refused with 422 naming the engine; the first runs on', async () => {
    const added = await postJson('/api/v1/live-stream', { liveStreamUrl: 'rtsp://127.0.0.1:1/cam', description: '' });
    assert.equal(added.status, 422);
    assert.equal(added.body.error.code, 'too_many_streams');
    assert.match(added.body.detail, /engine deepstream runs one stream per service .* test is running/);
    assert.deepEqual((await service.get('/streams')).body.map((s: { id: string }) => s.id), ['test']);
  });

  test('this process writes nothing to Redis (nvmsgbroker does), and SIGTERM stops it with exit 0', async () => {
    const client = new Redis(redis.port, redis.host);
    try {
      assert.equal(await client.exists('owl'), 0);
    } finally {
      client.disconnect();
    }
    const { code } = await service.signal('SIGTERM');
    assert.equal(code, 0, service.log);
    const runDir = /generated files in (\S+)$/m.exec(service.log)![1];
    assert.equal(fs.existsSync(runDir), false, 'the run folder is removed with its stream');
  });
});

test('deepStreamSource: a stream\'s input as the DeepStream source, with the configured RTSP and test settings', () => {
  const config = defaultConfig();
  config.input.rtsp = { transport: 'udp', latencyMs: 120 };
  config.input.test = { width: 640, height: 360, fps: 15 };
  assert.deepEqual(deepStreamSource('rtsp://cam.local/live', config),
    { kind: 'rtsp', url: 'rtsp://cam.local/live', transport: 'udp', latencyMs: 120 });
  assert.deepEqual(deepStreamSource('clips/a.mp4', config), { kind: 'file', path: path.resolve('clips/a.mp4') });
  assert.deepEqual(deepStreamSource('test:ball', config), { kind: 'test', pattern: 'ball', width: 640, height: 360, fps: 15 });
  assert.throws(() => deepStreamSource('http://vst:81', config), /engine deepstream cannot play "http:\/\/vst:81"/);
});

test('BrokerStatus: Redis as the pipeline reports nvmsgbroker', () => {
  const broker = new BrokerStatus();
  const seen = (state: Parameters<BrokerStatus['pipelineState']>[0]) => {
    broker.pipelineState(state);
    return broker.status();
  };
  assert.deepEqual(seen('connecting'), { state: 'connecting', error: null });
  assert.deepEqual(seen('playing'), { state: 'ready', error: null });
  assert.deepEqual(seen('lost'), { state: 'reconnecting', error: null });
  assert.deepEqual(seen('reconnected'), { state: 'ready', error: null });
  broker.brokerError('broker: failed to send the message. err(1)');
  assert.deepEqual(seen('lost'), { state: 'down', error: 'broker: failed to send the message. err(1)' });
  assert.deepEqual(seen('connecting'), { state: 'down', error: 'broker: failed to send the message. err(1)' });
  assert.deepEqual(seen('reconnected'), { state: 'ready', error: 'broker: failed to send the message. err(1)' });
  assert.deepEqual(seen('stopped'), { state: 'down', error: 'broker: failed to send the message. err(1)' });
});
