// SPDX-License-Identifier: Apache-2.0
// The real service process with `--engine deepstream`, where DeepStream cannot be installed: the addon variant
// built with its DeepStream engine against the STAND-IN headers and library (owl_stream_ds_standin.node, from
// the normal native build) and a preload that puts stand-ins in place of DeepStream's elements in the generated
// descriptions (test/helpers/deepstream-standin-preload.ts): the stand-in nvinfer gives every frame four made-up
// patches of image-encoder tensors, padded to the tiny model's embedding size; every camera is a stand-in test
// pattern; the stand-in nvmsgbroker writes each payload to Redis at the generated conn-str and topic. Real here:
// the supervisor's engine choice, the engine's one shared pipeline and its streams, the text encoder and its
// prompt sets, prepareDeepStream's run folder, the N-API DeepStreamPipeline with its decode, tracker and report
// probes, the RTSP mounts (read by ffmpeg), the REST API, redis-server, signals.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';

import { defaultConfig } from '../ts/config/schema';
import { addonPath } from '../ts/native';
import { BrokerStatus } from '../ts/engines/broker-status';
import { deepStreamSource } from '../ts/engines/deepstream-stream';
import { parseMinimalSchema, type MinimalSchemaMessage } from '../ts/redis/minimal-schema';
import { RedisServer } from './helpers/redis-server';
import { freePort } from './helpers/ports';
import { FrameReader, grabFrame, pixelAt, RtspWatcher } from './helpers/rtsp-reader';
import { ServiceProcess, TINY_MODEL } from './helpers/service-process';
import { vstEntry, VstStandIn } from './helpers/vst-standin';

const standInAddon = path.join(path.dirname(addonPath), 'owl_stream_ds_standin.node');
const preload = path.join(__dirname, 'helpers', 'deepstream-standin-preload.js');
// Only builds without the SDK have the stand-in variant (native/CMakeLists.txt).
const skip = fs.existsSync(standInAddon) ? false : `no ${standInAddon} (an addon built with the DeepStream SDK?)`;
const embedDim = (JSON.parse(fs.readFileSync(path.join(TINY_MODEL, 'owl.json'), 'utf8')) as { embedDim: number }).embedDim;

/** The service process on the stand-in addon (see the file comment). */
const STANDIN_ENV = { OWL_NATIVE_ADDON: standInAddon, NODE_OPTIONS: `--require ${preload}`,
  OWL_STANDIN_EMBED_DIM: String(embedDim) };

interface SetPromptsLine {
  stream: string;
  labels: string[];
  numQueries: number;
  embedValues: number;
}

/** The stand-in preload's record of each DeepStreamPipeline.setPrompts call, in order. */
function setPromptsCalls(log: string, stream: string): Omit<SetPromptsLine, 'stream'>[] {
  return [...log.matchAll(/^\[deepstream stand-in\] setPrompts (.*)$/gm)]
    .map((m) => JSON.parse(m[1]) as SetPromptsLine)
    .filter((call) => call.stream === stream)
    .map(({ labels, numQueries, embedValues }) => ({ labels, numQueries, embedValues }));
}

/** Threads and open file descriptors (sockets included) of a process. */
function resources(pid: number): { threads: number; fds: number } {
  return { threads: fs.readdirSync(`/proc/${pid}/task`).length, fds: fs.readdirSync(`/proc/${pid}/fd`).length };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The service-wide prompts, and those of the two configured streams with their own.
const SHARED = ['a person', 'a hat'];
const NORTH = ['a hat'];
const SOUTH = ['a dog'];

describe('engine deepstream in the service process: three cameras in one pipeline, on stand-ins', { skip }, () => {
  let redis: RedisServer;
  let client: Redis;
  let service: ServiceProcess;
  let dir: string;

  const detections = async (id: string) => ((await service.get('/detections')).body as { streamId: string;
    objects: { id: number; label: string; left: number; top: number; right: number; bottom: number }[] }[])
    .find((frame) => frame.streamId === id);
  const labelsOf = async (id: string) => (await detections(id))?.objects.map((o) => o.label) ?? [];
  const postJson = (route: string, body: unknown) => service.get(route, { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  /** The Redis entries the stand-in broker wrote since `from` (an entry id; '-' for all), by sensor id. */
  const entries = async (from = '-') => {
    const bySensor = new Map<string, MinimalSchemaMessage[]>();
    for (const [, fields] of await client.xrange('owl-ds', from === '-' ? '-' : `(${from}`, '+')) {
      const message = parseMinimalSchema(fields[fields.indexOf('metadata') + 1]);
      bySensor.set(message.sensorId, [...(bySensor.get(message.sensorId) ?? []), message]);
    }
    return bySensor;
  };
  const lastEntry = async () => (await client.xrevrange('owl-ds', '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';

  before(async () => {
    redis = await RedisServer.start();
    client = new Redis(redis.port, redis.host);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-ds-service-'));
    const config = path.join(dir, 'owl.yaml');
    // input.uri (the positional argument) is the first stream; two more come from `streams:`, each with prompts of
    // its own, one with a sensor id of its own. The cameras' addresses need not answer: the stand-ins play a test
    // pattern in their place.
    fs.writeFileSync(config, [
      'engine: deepstream',
      'input: {maxStreams: 4, reconnect: {initialDelayMs: 200, maxDelayMs: 800}}',
      `model: {folder: ${JSON.stringify(TINY_MODEL)}}`,
      `prompts: {objects: ${JSON.stringify(SHARED)}, thresholds: [0.1]}`,
      `redis: {host: 127.0.0.1, port: ${redis.port}, stream: owl-ds}`,
      'streams:',
      `  - {id: north, uri: "rtsp://cam-north.local/stream1", sensor: {id: north-cam}, prompts: {objects: ${JSON.stringify(NORTH)}, thresholds: [0.1]}}`,
      `  - {id: south, uri: "rtsp://cam-south.local/south", prompts: {objects: ${JSON.stringify(SOUTH)}, thresholds: [0.1]}}`,
      '',
    ].join('\n'));
    service = await ServiceProcess.start({
      args: ['rtsp://cam-front.local/front', '--config', config],
      // DEEPSTREAM_ENABLE_SENSOR_ID_EXTRACTION=1 as a DeepStream 9.1 environment may carry it.
      env: { ...STANDIN_ENV, DEEPSTREAM_ENABLE_SENSOR_ID_EXTRACTION: '1' },
    });
    await service.waitFor(async () => (await service.get('/ready')).status === 200, 'ready');
  });

  after(async () => {
    await service?.dispose();
    client?.disconnect();
    await redis?.dispose();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('/status: engine deepstream, the three streams playing, Redis reported as nvmsgbroker\'s', async () => {
    const { body } = await service.get('/status');
    assert.equal(body.engine, 'deepstream');
    assert.deepEqual({ ...body.model, precision: undefined }, { loaded: true, error: null, precision: undefined });
    assert.equal(body.model.precision.running, 'tensorrt', 'model.precision is for the portable engine');
    assert.deepEqual(body.redis, { state: 'ready', error: null, writer: 'nvmsgbroker' });
    assert.deepEqual(body.streams.map((s: { id: string; state: string }) => [s.id, s.state]),
      [['front', 'playing'], ['north', 'playing'], ['south', 'playing']]);
    assert.match(service.log, /engine deepstream .*one pipeline for up to 4 streams; its metadata outputs are written by nvmsgbroker/);
    // One pipeline for all three: one run folder, one stand-in pipeline created.
    const runDirs = [...service.log.matchAll(/DeepStream pipeline started for up to 4 streams \(nvstreammux batch 4\); generated files in (\S+)$/gm)];
    assert.equal(runDirs.length, 1, service.log);
    assert.deepEqual(fs.readdirSync(runDirs[0][1]).sort(), ['nvinfer.txt', 'redis.txt', 'tracker.yml']);
    assert.match(fs.readFileSync(path.join(runDirs[0][1], 'nvinfer.txt'), 'utf8'), /^batch-size=4$/m);
    assert.equal([...service.log.matchAll(/^\[deepstream stand-in\] created;/gm)].length, 1);
  });

  test('DEEPSTREAM_ENABLE_SENSOR_ID_EXTRACTION=1 (Redis adaptor ignores payloadkey) is removed, with a warning', () => {
    assert.match(service.log, /DEEPSTREAM_ENABLE_SENSOR_ID_EXTRACTION=1 removed from this process's environment/);
    const seen = [...service.log.matchAll(/^\[deepstream stand-in\] created; DEEPSTREAM_ENABLE_SENSOR_ID_EXTRACTION=(.*)$/gm)];
    assert.deepEqual(seen.map(([, value]) => value), ['(unset)'], 'the pipeline starts without it');
  });

  test('each stream on its own mount of the one RTSP server, /out for the first', async () => {
    const streams = (await service.get('/streams')).body;
    assert.deepEqual(streams.map((s: any) => [s.id, s.sensorId, s.outputUrl]), [
      ['front', 'front', service.outputUrl],
      ['north', 'north-cam', `${service.outputUrl}/north`],
      ['south', 'south', `${service.outputUrl}/south`],
    ]);
    const watchers = streams.map((s: any) => new RtspWatcher(s.outputUrl));
    try {
      for (const info of await Promise.all(watchers.map((w: RtspWatcher) => w.ready))) {
        assert.deepEqual([info.codec, info.width, info.height], ['h264', 320, 240]);
      }
    } finally {
      await Promise.all(watchers.map((w: RtspWatcher) => w.stop()));
    }
  });

  test('each stream\'s own prompts label its detections; boxes in source pixels; ids are nvtracker\'s', async () => {
    const own: Record<string, string[]> = { front: SHARED, north: NORTH, south: SOUTH };
    await service.waitFor(async () => (await Promise.all(Object.keys(own).map(labelsOf)))
      .every((labels) => labels.length > 0), 'detections on every stream');
    for (const [id, allowed] of Object.entries(own)) {
      const frame = (await detections(id))!;
      for (const o of frame.objects) {
        assert.ok(allowed.includes(o.label), `${id}: ${o.label}`);
        assert.ok(o.left >= 0 && o.top >= 0 && o.right <= 320 && o.bottom <= 240 && o.left < o.right, JSON.stringify(o));
        // The stand-in tracker's id: (slot + 1) * 1000 + the pipeline's class id of the prompt.
        assert.ok(o.id >= 1000 && o.id < 5000, `${id}: id ${o.id}`);
      }
    }
    // Each stream's prompts went to the pipeline under its own id, with text embeddings from the text encoder.
    assert.deepEqual(setPromptsCalls(service.log, 'north')[0], { labels: NORTH, numQueries: 1, embedValues: embedDim });
    assert.deepEqual(setPromptsCalls(service.log, 'south')[0], { labels: SOUTH, numQueries: 1, embedValues: embedDim });
    assert.deepEqual(setPromptsCalls(service.log, 'front')[0], { labels: SHARED, numQueries: 2, embedValues: 2 * embedDim });
    const metrics = (await service.get('/metrics')).body as string;
    assert.match(metrics, /^owl_inferences_total [1-9]\d*$/m);
    for (const id of Object.keys(own)) assert.match(metrics, new RegExp(`^owl_frames_in_total\\{stream="${id}"\\} [1-9]\\d*$`, 'm'));
  });

  test('Redis: each stream\'s entries tagged with its sensor id, with its own labels', async () => {
    await service.waitFor(async () => {
      const bySensor = await entries();
      return ['front', 'north-cam', 'south'].every((sensor) => (bySensor.get(sensor) ?? []).length >= 3);
    }, 'entries from every stream');
    const bySensor = await entries();
    assert.deepEqual([...bySensor.keys()].sort(), ['front', 'north-cam', 'south']);
    const own: Record<string, string[]> = { front: SHARED, 'north-cam': NORTH, south: SOUTH };
    for (const [sensor, messages] of bySensor) {
      const labels = new Set(messages.flatMap((m) => m.objects.map((o) => o.label)));
      assert.ok([...labels].every((label) => own[sensor].includes(label)), `${sensor}: ${[...labels].join(', ')}`);
      const ids = messages.map((m) => Number(m.id));
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b), `${sensor}: frame ids increase`);
      for (const o of messages.at(-1)!.objects) assert.ok(o.right <= 320 && o.bottom <= 240, `${sensor}: source pixels`);
    }
  });

  test('a prompt change reaches every stream; a stream\'s own prompts, then none, then the service-wide ones', async () => {
    const changed = await service.get('/prompt?objects=a%20dog,a%20cat,a%20bike&thresholds=0.3');
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    await service.waitFor(async () => (await Promise.all(['front', 'north', 'south'].map(labelsOf)))
      .every((now) => now.length > 0 && now.every((label) => ['a dog', 'a cat', 'a bike'].includes(label))),
    'the new labels on every stream');
    assert.deepEqual(setPromptsCalls(service.log, 'south').at(-1),
      { labels: ['a dog', 'a cat', 'a bike'], numQueries: 3, embedValues: 3 * embedDim });

    const own = await postJson('/api/v1/detection/classes', { objects: ['a lamp', 'a chair'], thresholds: [0.2], id: 'front' });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    await service.waitFor(async () => {
      const now = await labelsOf('front');
      return now.length > 0 && now.every((label) => ['a lamp', 'a chair'].includes(label));
    }, 'the stream\'s own labels');
    assert.ok((await labelsOf('south')).every((label) => ['a dog', 'a cat', 'a bike'].includes(label)), 'south unchanged');

    const none = await postJson('/api/v1/detection/classes', { objects: [], thresholds: [], id: 'front' });
    assert.equal(none.status, 200, JSON.stringify(none.body));
    await service.waitFor(async () => (await labelsOf('front')).length === 0, 'no detections on front');
    assert.deepEqual(setPromptsCalls(service.log, 'front').at(-1), { labels: [], numQueries: 0, embedValues: 0 });
    assert.ok((await labelsOf('south')).length > 0, 'south still detects');

    const shared = await service.get('/prompt?objects=a%20person&thresholds=0.1');
    assert.equal(shared.status, 200);
    await service.waitFor(async () => (await Promise.all(['front', 'north', 'south'].map(labelsOf)))
      .every((now) => now.length > 0 && now.every((label) => label === 'a person')), 'the service-wide labels');
  });

  test('JPS API: a stream added and another removed while a third plays on; the removed one\'s output ends', async () => {
    const [, north, south] = (await service.get('/streams')).body;
    const watchSouth = new RtspWatcher(south.outputUrl);
    const watchNorth = new RtspWatcher(north.outputUrl);
    try {
      await Promise.all([watchSouth.ready, watchNorth.ready]);
      await pause(1000);  // past the readers' start-up burst
      const t0 = performance.now();
      const added = await postJson('/api/v1/live-stream', { liveStreamUrl: 'rtsp://cam-spare.local/spare', description: 'spare' });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      const removed = await service.get('/api/v1/live-stream/north', { method: 'DELETE' });
      assert.deepEqual([removed.status, removed.body], [200, { detail: 'Stream removed successfully' }]);
      const t1 = performance.now();
      await pause(1500);
      const t2 = performance.now();
      // South never stopped: frames in every 500 ms window from before the changes to after them.
      for (let t = t0 - 500; t + 500 <= t2; t += 500) {
        assert.ok(watchSouth.countBetween(t, t + 500) >= 5, `south frames in [${(t - t0).toFixed(0)}, +500) ms`);
      }
      assert.equal(watchNorth.countBetween(t1 + 500, t2), 0, 'no north frames after its removal');
      const streams = (await service.get('/streams')).body;
      assert.deepEqual(streams.map((s: any) => s.id), ['front', 'south', added.body.id]);
      assert.deepEqual([streams[2].outputUrl, streams[2].sensorId], [`${service.outputUrl}/${added.body.id}`, 'spare']);
      assert.deepEqual((await service.get('/api/v1/live-stream')).body.map((s: any) => s.id), ['front', 'south', added.body.id]);
      const since = await lastEntry();
      await service.waitFor(async () => ((await entries(since)).get('spare') ?? []).length >= 3, 'the new stream in Redis');
      assert.equal((await entries(since)).has('north-cam'), false, 'nothing of the removed stream');
      assert.deepEqual((await service.get('/status')).body.streams.map((s: any) => s.state), ['playing', 'playing', 'playing']);
    } finally {
      await Promise.all([watchSouth.stop(), watchNorth.stop()]);
    }
  });

  test('input.maxStreams is the pipeline\'s batch: one stream more is refused with 422, the others play on', async () => {
    const fourth = await postJson('/api/v1/live-stream', { liveStreamUrl: 'rtsp://cam-extra.local/extra' });
    assert.equal(fourth.status, 200, JSON.stringify(fourth.body));
    const fifth = await postJson('/api/v1/live-stream', { liveStreamUrl: 'rtsp://cam-more.local/more' });
    assert.equal(fifth.status, 422);
    assert.equal(fifth.body.error.code, 'too_many_streams');
    assert.match(fifth.body.detail, /^engine deepstream's pipeline takes 4 streams \(input\.maxStreams, its nvstreammux and nvinfer batch\) and 4 are running: remove one first/);
    assert.equal((await service.get('/streams')).body.length, 4);
    const removed = await service.get(`/api/v1/live-stream/${fourth.body.id}`, { method: 'DELETE' });
    assert.equal(removed.status, 200);
  });

  test('20 add/remove cycles through the API leave no thread or socket behind; the others never notice', async () => {
    const pid = service.child.pid!;
    const cycle = async (watched: boolean) => {
      const added = await postJson('/api/v1/live-stream', { liveStreamUrl: 'rtsp://cam-cycle.local/cycle' });
      assert.equal(added.status, 200, `${JSON.stringify(added.body)}\n${service.log.slice(-3000)}`);
      // A client on the new mount too (every fourth cycle: a client takes a second to its first frame): its session
      // must go with the stream.
      const watcher = watched ? new RtspWatcher(`${service.outputUrl}/${added.body.id}`) : null;
      await watcher?.ready;
      const removed = await service.get(`/api/v1/live-stream/${added.body.id}`, { method: 'DELETE' });
      assert.equal(removed.status, 200);
      await watcher?.stop();
    };
    // One cycle first: thread pools that GStreamer and the RTSP server create on first use are not leaks. Counted
    // after a watched cycle each time, once a removed stream's bins are surely gone (its slot drains within 2 s).
    await cycle(true);
    await pause(2500);
    const before = resources(pid);
    const reconnects = (await service.get('/metrics')).body.match(/^owl_reconnects_total\{stream="south"\} (\d+)$/m)?.[1];
    for (let i = 0; i < 20; i++) await cycle(i % 4 === 3);
    await pause(2500);
    const afterCycles = resources(pid);
    assert.ok(afterCycles.threads <= before.threads, `threads ${before.threads} -> ${afterCycles.threads}`);
    assert.ok(afterCycles.fds <= before.fds, `file descriptors ${before.fds} -> ${afterCycles.fds}`);
    assert.equal((await service.get('/streams')).body.length, 3);
    assert.deepEqual((await service.get('/status')).body.streams.map((s: any) => s.state), ['playing', 'playing', 'playing']);
    assert.equal((await service.get('/metrics')).body.match(/^owl_reconnects_total\{stream="south"\} (\d+)$/m)?.[1],
      reconnects, 'south was never rebuilt');
    assert.equal(service.exitCode, null);
  });

  test('SIGTERM stops the pipeline and every stream with exit 0; the run folder is removed', async () => {
    const { code } = await service.signal('SIGTERM');
    assert.equal(code, 0, service.log);
    const runDir = /generated files in (\S+)$/m.exec(service.log)![1];
    assert.equal(fs.existsSync(runDir), false, 'the run folder is removed with the pipeline');
  });
});

describe('engine deepstream: each metadata output in /status, as the pipeline reports its branch', { skip }, () => {
  test('an MQTT broker that does not answer at start: MQTT down with its element\'s error, no stream plays; '
    + 'once it answers, everything plays', async () => {
    const redis = await RedisServer.start();
    const mqttPort = await freePort();  // nothing there yet: then a server the stand-in broker can talk to
    const service = await ServiceProcess.start({
      args: ['rtsp://cam-front.local/front', '--engine', 'deepstream', '--model', TINY_MODEL, '--redis_host', redis.host,
        '--redis_port', String(redis.port)],
      env: { ...STANDIN_ENV, OWL_MQTT_ENABLED: 'true', OWL_MQTT_URL: `mqtt://127.0.0.1:${mqttPort}`,
        OWL_MQTT_TOPIC: 'owl/all', OWL_INPUT_RECONNECT_INITIAL_DELAY_MS: '200', OWL_INPUT_RECONNECT_MAX_DELAY_MS: '500' },
    });
    let broker: RedisServer | null = null;
    try {
      await service.waitFor(async () => (await service.get('/status')).body.mqtt?.state === 'down', 'MQTT down');
      const { body } = await service.get('/status');
      // nvmsgbroker connects when the pipeline starts: the pipeline cannot start without it (DeepStream's behaviour).
      assert.deepEqual(body.mqtt, { state: 'down', writer: 'nvmsgbroker',
        error: 'broker-mqtt: Could not configure supporting library. (unable to connect to broker library)' });
      assert.deepEqual(body.kafka, { state: 'off', error: null, writer: 'nvmsgbroker' });
      assert.ok(['connecting', 'reconnecting'].includes(body.redis.state), JSON.stringify(body.redis));
      assert.notEqual(body.streams[0].state, 'playing');
      assert.equal((await service.get('/ready')).status, 503);
      assert.match(service.log, /error \[owl-stream:deepstream\] broker-mqtt: Could not configure supporting library/);
      // The broker comes (a stand-in: nvmsgbroker's stand-in speaks Redis for every adaptor): the pipeline's next try
      // starts, and both outputs and the stream are up.
      broker = await RedisServer.start({ port: mqttPort });
      await service.waitFor(async () => (await service.get('/ready')).status === 200, 'ready once the broker answers');
      const after = (await service.get('/status')).body;
      assert.deepEqual([after.redis.state, after.mqtt.state, after.streams[0].state], ['ready', 'ready', 'playing']);
      const client = new Redis(broker.port, broker.host);
      try {
        await service.waitFor(async () => (await client.xlen('owl/all')) > 0, 'MQTT payloads on the one topic');
      } finally {
        client.disconnect();
      }
    } finally {
      await service.dispose();
      await broker?.dispose();
      await redis.dispose();
    }
  });
});

describe('engine deepstream: a stream whose camera VST names late', { skip }, () => {
  test('its mount is served (black) meanwhile, and a viewer already watching gets the stream\'s video', async () => {
    let listed = false;
    const vst = new VstStandIn(() => ({ status: 200, body: listed ? [vstEntry('cam-1', 'dock', 'rtsp://cam-dock.local/dock')] : [] }));
    const base = await vst.start();
    const service = await ServiceProcess.start({
      args: [base, '--engine', 'deepstream', '--model', TINY_MODEL, '--redis_port', '1'],
      env: { ...STANDIN_ENV, OWL_REDIS_ENABLED: 'false', OWL_INPUT_RECONNECT_INITIAL_DELAY_MS: '100',
        OWL_INPUT_RECONNECT_MAX_DELAY_MS: '300', OWL_OUTPUT_ENCODER_WIDTH: '320', OWL_OUTPUT_ENCODER_HEIGHT: '240' },
    });
    let early: FrameReader | null = null;
    try {
      await service.waitFor(async () => (await service.get('/status')).body.streams?.[0]?.state === 'discovering',
        'discovering');
      const black = await grabFrame(service.outputUrl, 320, 240);
      assert.ok(pixelAt(black, 320, 10, 60).every((c) => c < 40), `black while held: ${pixelAt(black, 320, 10, 60)}`);
      early = new FrameReader(service.outputUrl, 320, 240);
      await early.next();
      listed = true;
      await service.waitFor(async () => (await service.get('/status')).body.streams?.[0]?.state === 'playing', 'playing');
      // The viewer from before: the stand-in camera's test pattern (bars), not black, on the held media.
      await service.waitFor(async () => pixelAt(await early!.next(), 320, 10, 60).every((c) => c > 150),
        'the stream\'s video for the viewer already watching', 10_000);
      // A new viewer gets it too (the mount's own media).
      const fresh = await grabFrame(service.outputUrl, 320, 240);
      assert.ok(pixelAt(fresh, 320, 10, 60).every((c) => c > 150), `bars for a new viewer: ${pixelAt(fresh, 320, 10, 60)}`);
      assert.deepEqual((await service.get('/streams')).body.map((s: any) => [s.id, s.input.playingUrl]),
        [['dock', 'rtsp://cam-dock.local/dock']]);
    } finally {
      early?.stop();
      await service.dispose();
      await vst.stop();
    }
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

test('BrokerStatus: each output as the pipeline reports its branch; an error of one branch is that output\'s', () => {
  const outputs = new BrokerStatus({ redis: true, mqtt: true, kafka: false });
  const seen = (state?: Parameters<BrokerStatus['pipelineState']>[0]) => {
    if (state !== undefined) outputs.pipelineState(state);
    return [outputs.status('redis'), outputs.status('mqtt'), outputs.status('kafka')].map((s) => [s.state, s.error]);
  };
  assert.deepEqual(seen(), [['connecting', null], ['connecting', null], ['off', null]]);
  assert.deepEqual(seen('playing'), [['ready', null], ['ready', null], ['off', null]]);
  assert.deepEqual(seen('lost'), [['reconnecting', null], ['reconnecting', null], ['off', null]]);
  assert.deepEqual(seen('reconnected'), [['ready', null], ['ready', null], ['off', null]]);
  const sendFailed = 'broker-mqtt: failed to send the message. err(1)';
  assert.equal(outputs.elementError('broker-mqtt', sendFailed), 'mqtt');
  assert.deepEqual(seen('lost'), [['reconnecting', null], ['down', sendFailed], ['off', null]]);
  assert.deepEqual(seen('connecting'), [['reconnecting', null], ['down', sendFailed], ['off', null]]);
  assert.deepEqual(seen('reconnected'), [['ready', null], ['ready', sendFailed], ['off', null]]);
  assert.equal(outputs.elementError('msgconv', 'msgconv: no payload'), 'redis');
  assert.equal(outputs.elementError('msgconv-kafka', 'msgconv-kafka: off'), null, 'an output that is off');
  assert.equal(outputs.elementError('infer', 'infer: failed'), null, 'not an output\'s element');
  assert.deepEqual(seen('stopped'), [['down', 'msgconv: no payload'], ['down', sendFailed], ['off', null]]);
});
