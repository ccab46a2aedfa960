// SPDX-License-Identifier: Apache-2.0
// The DeepStream engine's native pipeline (native/src/deepstream: DsPipeline, DsSource, the probes, the N-API
// DeepStreamPipeline) without DeepStream: the native build compiles it against stand-in headers and a stand-in
// SDK library into owl_stream_ds_standin.node, and a test-only GStreamer plugin stands in for the elements that
// carry DeepStream's metadata (native/test/nvds_standin: a muxer with request pads and batch metadata, nvinfer
// attaching four made-up patches of image-encoder tensors, a tracker giving ids, a demuxer by source id, a message
// converter writing the minimal payload). Descriptions come from ts/deepstream with those stand-ins in place
// (test/helpers/deepstream-standins.ts). Real here: the descriptions, the pads requested and released as streams
// come and go, the decode of each stream's tensors with its own prompts by the decode core, the tracker probe's
// labels and ids, the event metadata that becomes each stream's Redis payload, per-stream reconnects, state
// events, the RTSP mounts read back by ffmpeg, threads and file descriptors of this process.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { freeUdpPort } from '../ts/deepstream/engine';
import {
  deepStreamCoreDescription, deepStreamOutputDescription, deepStreamSourceDescription, rtspMountLaunch,
  type DeepStreamCoreInput,
} from '../ts/deepstream/pipeline-description';
import {
  addonPath, type NativeBinding, type NativeDeepStreamEvent, type NativeDeepStreamFrame, type NativeDeepStreamPipeline,
  type NativeDeepStreamSource, type NativeRtspServer,
} from '../ts/native';
import { parseMinimalSchema } from '../ts/redis/minimal-schema';
import { STANDIN_CAMERA, standInPluginEnv, withStandIns } from './helpers/deepstream-standins';
import { freePort } from './helpers/ports';
import { RtspWatcher } from './helpers/rtsp-reader';

const standInAddon = path.join(path.dirname(addonPath), 'owl_stream_ds_standin.node');
// Only builds without the SDK have the stand-in variant (native/CMakeLists.txt).
const skip = fs.existsSync(standInAddon) ? false : `no ${standInAddon} (an addon built with the DeepStream SDK?)`;
// GStreamer reads these when it initialises in this process (the first pipeline or server below).
const payloadFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'owl-ds-pipeline-')), 'payloads.jsonl');
process.env.GST_PLUGIN_PATH = standInPluginEnv().GST_PLUGIN_PATH;
process.env.OWL_STANDIN_PAYLOADS = payloadFile;
after(() => fs.rmSync(path.dirname(payloadFile), { recursive: true, force: true }));

// eslint-disable-next-line @typescript-eslint/no-require-imports
const standIn = (skip ? null : require(standInAddon)) as NativeBinding;

// Prompts as the stand-in tensors answer them (native/test/nvds_standin/nvds_standin_plugin.cc kTensors): each
// embedding matches one patch at sigmoid(10); threshold 0.9 keeps that patch alone.
const PROMPTS: Record<string, [number, number]> = {
  'a person': [1, 0], 'a hat': [0, 1], 'a dog': [-1, 0], 'a cat': [0, -1],
};
// The patch each prompt finds, in the stand-in camera's pixels (320x240): patch 2 reaches below the frame and is
// clipped to it; patch 3 ("a cat") lies wholly in the padding above the frame, so it is never an object.
const BOXES: Record<string, number[]> = {
  'a person': [32, 56, 96, 120], 'a hat': [160, 88, 256, 184], 'a dog': [192, 200, 288, 240],
};
const SCORE = 0.99995;  // sigmoid(10), rounded as detections() rounds

function promptSet(labels: string[], threshold = 0.9) {
  return {
    textEmbeds: Float32Array.from(labels.flatMap((label) => PROMPTS[label] ?? [0.6, 0.8])),
    numQueries: labels.length,
    thresholds: Float32Array.from(labels.map(() => threshold)),
  };
}

const RECONNECT = { initialDelayMs: 200, maxDelayMs: 800, stallTimeoutMs: 1500 };

/** The shared description with stand-ins: nvinfer, nvtracker, nvmsgconv -> nvmsgbroker, and the demuxer. */
function coreDescription(maxStreams: number, change: Partial<DeepStreamCoreInput> = {}): string {
  return withStandIns(deepStreamCoreDescription({
    mux: { kind: 'legacy', ...STANDIN_CAMERA }, maxStreams, liveSources: true, inferConfigPath: '/run/owl/nvinfer.txt',
    tracker: { libPath: '/opt/ds/lib/libnvds_nvmultiobjecttracker.so', configPath: '/run/owl/tracker.yml',
      width: 640, height: 384, gpuId: 0 },
    brokers: [{ name: '', frameInterval: 1, protoLib: '/opt/ds/lib/libnvds_redis_proto.so', connStr: 'localhost;6379',
      configPath: '/run/owl/redis.txt', topic: 'owl' }],
    outputs: true,
    ...change,
  }));
}

/** A stream as addSource takes it, with the stand-in camera; an output on `server` at `mount` unless null. */
async function stream(sensorId: string, server: NativeRtspServer | null, mount: string,
  sourceChange = (d: string) => d): Promise<NativeDeepStreamSource> {
  const description = sourceChange(withStandIns(deepStreamSourceDescription(
    { kind: 'rtsp', url: `rtsp://${sensorId}.local/stream1`, transport: 'tcp', latencyMs: 100 })));
  if (server === null) return { description, sensorId, output: null };
  const udpPort = await freeUdpPort();
  return {
    description, sensorId,
    output: {
      server, mount, launch: rtspMountLaunch(udpPort),
      description: withStandIns(deepStreamOutputDescription({ encoder: 'hw', bitrateKbps: 1000, udpPort, swPreset: 'ultrafast' })),
    },
  };
}

/** A running DeepStreamPipeline of the stand-in addon, with what it reported. */
class Run {
  readonly pipeline: NativeDeepStreamPipeline;
  readonly events: (NativeDeepStreamEvent & { at: number })[] = [];
  readonly frames: (NativeDeepStreamFrame & { at: number })[] = [];

  constructor(description: string, maxStreams: number, messages = [{ componentId: 0, interval: 1 }]) {
    this.pipeline = new standIn.DeepStreamPipeline!({
      description, maxStreams, reconnect: RECONNECT, decode: { nmsIou: 0, maxDetections: 100 },
      overlay: { lineWidth: 3, fontSize: 18, showScores: true, palette: [[255, 0, 0], [0, 255, 0]] }, messages,
    }, (event) => this.events.push({ ...event, at: performance.now() }),
    (frame) => this.frames.push({ ...frame, at: performance.now() }));
  }

  states(stream?: string): string[] {
    return this.events.filter((e) => e.type === 'state' && e.stream === stream).map((e) => (e as { state: string }).state);
  }

  framesOf(stream: string): (NativeDeepStreamFrame & { at: number })[] {
    return this.frames.filter((f) => f.stream === stream);
  }

  async waitFor(what: string, ready: () => boolean, timeoutMs = 15000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!ready()) {
      if (performance.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events.slice(-12))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** Each detection of a frame as [label, score, box, track id], rounded (the decode computes in float32). */
function detections(frame: NativeDeepStreamFrame): [string, number, number[], number][] {
  return frame.labels.map((label, i) => [label, round(frame.scores[i], 5),
    Array.from(frame.boxes.subarray(i * 4, i * 4 + 4), (v) => round(v, 3)), frame.trackIds[i]]);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('DeepStream pipeline on stand-ins: many streams in one pipeline (owl_stream_ds_standin.node)', { skip }, () => {
  let server: NativeRtspServer;

  before(async () => {
    server = new standIn.RtspServer({ host: '127.0.0.1', port: await freePort() });
    server.start();
  });
  after(() => server?.stop());

  test('three streams with different prompts: each its own labels, boxes, track ids, Redis payload and mount', async () => {
    fs.rmSync(payloadFile, { force: true });
    const run = new Run(coreDescription(3), 3);
    const own: Record<string, string[]> = { front: ['a person'], north: ['a hat', 'a person'], south: ['a dog', 'a cat'] };
    try {
      run.pipeline.start();
      for (const [id, mount] of [['front', '/out'], ['north', '/out/north'], ['south', '/out/south']]) {
        run.pipeline.addSource(id, await stream(`${id}-cam`, server, mount));
        run.pipeline.setPrompts(id, promptSet(own[id]), own[id]);
      }
      await run.waitFor('frames with objects from every stream', () => Object.keys(own)
        .every((id) => run.framesOf(id).filter((f) => f.labels.length > 0).length >= 5));
      assert.deepEqual(run.states(), ['connecting', 'playing']);
      for (const id of Object.keys(own)) assert.deepEqual(run.states(id).slice(0, 2), ['connecting', 'playing'], id);

      // Pipeline-wide class ids, in the order prompts were first seen: person 0, hat 1, dog 2, cat 3; the stand-in
      // tracker's id is (slot + 1) * 1000 + class id.
      const last = (id: string) => run.framesOf(id).at(-1)!;
      assert.deepEqual(detections(last('front')), [['a person', SCORE, BOXES['a person'], 1000]]);
      assert.deepEqual(detections(last('north')).sort(),
        [['a hat', SCORE, BOXES['a hat'], 2001], ['a person', SCORE, BOXES['a person'], 2000]]);
      assert.deepEqual(detections(last('south')), [['a dog', SCORE, BOXES['a dog'], 3002]],
        'the dog clipped to the frame; the cat, wholly outside it, is no object');
      for (const frame of run.frames) assert.deepEqual([frame.width, frame.height], [STANDIN_CAMERA.width, STANDIN_CAMERA.height]);
      const ids = run.framesOf('front').map((f) => f.frameId);
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'frame ids increase per stream');

      // The Redis payloads nvmsgconv makes of the events the tracker probe attached (DeepStream 9.1's minimal form).
      const payloads = fs.readFileSync(payloadFile, 'utf8').trim().split('\n').map((line) => parseMinimalSchema(line));
      const bySensor = (sensor: string) => payloads.filter((p) => p.sensorId === sensor);
      assert.deepEqual(new Set(payloads.map((p) => p.sensorId)), new Set(['front-cam', 'north-cam', 'south-cam']));
      const south = bySensor('south-cam').at(-1)!;
      assert.deepEqual(south.objects.map((o) => [o.id, o.label, o.left, o.top, o.right, o.bottom, o.confidence]),
        [['3002', 'a dog', 192, 200, 288, 240, 0.999955]]);
      assert.match(south.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.deepEqual(bySensor('north-cam').at(-1)!.objects.map((o) => o.label).sort(), ['a hat', 'a person']);

      // Each stream's video on its own mount of the one RTSP server.
      const port = server.port();
      for (const mount of ['/out', '/out/south']) {
        const watcher = new RtspWatcher(`rtsp://127.0.0.1:${port}${mount}`);
        try {
          const info = await watcher.ready;
          assert.deepEqual([info.codec, info.width, info.height], ['h264', STANDIN_CAMERA.width, STANDIN_CAMERA.height]);
        } finally {
          await watcher.stop();
        }
      }
      const stats = run.pipeline.stats();
      assert.deepEqual(Object.keys(stats.streams).sort(), ['front', 'north', 'south']);
      for (const [id, s] of Object.entries(stats.streams)) {
        assert.ok(s.framesIn > 30 && s.framesOut > 30 && s.framesToJs > 30, `${id}: ${JSON.stringify(s)}`);
      }
    } finally {
      await run.pipeline.stop();
    }
    // Each stream's `stopped`, then the pipeline's (events reach JS after stop() returns).
    await run.waitFor('the stopped events', () => run.states().at(-1) === 'stopped');
    for (const id of Object.keys(own)) assert.equal(run.states(id).at(-1), 'stopped', id);
    const last = run.events.filter((e) => e.type === 'state' && e.state === 'stopped').map((e) => e.stream ?? 'pipeline');
    assert.deepEqual(last, ['front', 'north', 'south', 'pipeline']);
  });

  test('Redis, MQTT and Kafka branches: each converter gets its own events at its own interval (comp-id)', async () => {
    for (const file of [payloadFile, `${payloadFile}.1`, `${payloadFile}.2`, `${payloadFile}.3`]) fs.rmSync(file, { force: true });
    const branch = (name: string, frameInterval: number) => ({ name, frameInterval, protoLib: `/opt/ds/lib/${name}.so`,
      connStr: 'localhost;1', configPath: `/run/owl/${name}.txt`, topic: 'owl' });
    const description = coreDescription(2, { brokers: [branch('', 1), branch('mqtt', 3), branch('kafka', 1)], outputs: false });
    assert.match(description, /standin-nvmsgconv name=msgconv-mqtt comp-id=2/);
    // Kafka's events go to no converter here: what reaches each converter is what the probe stamped for it.
    const run = new Run(description, 2, [{ componentId: 1, interval: 1 }, { componentId: 2, interval: 3 }]);
    try {
      run.pipeline.start();
      run.pipeline.addSource('a', await stream('a-cam', null, ''));
      run.pipeline.addSource('b', await stream('b-cam', null, ''));
      run.pipeline.setPrompts('a', promptSet(['a person']), ['a person']);
      run.pipeline.setPrompts('b', promptSet(['a hat']), ['a hat']);
      await run.waitFor('30 inferred frames with objects per stream', () => ['a', 'b']
        .every((id) => run.framesOf(id).filter((f) => f.labels.length > 0).length >= 30));
    } finally {
      await run.pipeline.stop();
    }
    const read = (file: string) => fs.existsSync(file)
      ? fs.readFileSync(file, 'utf8').trim().split('\n').map((line) => parseMinimalSchema(line)) : [];
    assert.deepEqual(read(payloadFile), [], 'no converter without a comp-id');
    assert.deepEqual(read(`${payloadFile}.3`), [], 'no events for a component the pipeline was not given');
    const [redis, mqtt] = [read(`${payloadFile}.1`), read(`${payloadFile}.2`)];
    for (const sensor of ['a-cam', 'b-cam']) {
      const every = redis.filter((p) => p.sensorId === sensor).length;
      const third = mqtt.filter((p) => p.sensorId === sensor).length;
      assert.ok(every >= 30, `${sensor}: ${every} Redis payloads`);
      assert.ok(Math.abs(third - every / 3) <= 2, `${sensor}: ${third} MQTT payloads, about a third of ${every}`);
    }
    assert.deepEqual(mqtt.find((p) => p.sensorId === 'b-cam')!.objects.map((o) => o.label), ['a hat']);
  });

  test('a prompt change applies from the next frame: objects of a prompt the stream lost leave at once', async () => {
    const run = new Run(coreDescription(1), 1);
    try {
      run.pipeline.start();
      run.pipeline.addSource('cam', await stream('cam', null, ''));
      run.pipeline.setPrompts('cam', promptSet(['a person', 'a hat']), ['a person', 'a hat']);
      await run.waitFor('two objects', () => (run.framesOf('cam').at(-1)?.labels.length ?? 0) === 2);
      const changedAt = performance.now();
      run.pipeline.setPrompts('cam', promptSet(['a hat', 'a dog']), ['a hat', 'a dog']);
      // Frames decoded before the swap may still be on their way; from the first one with the new set on, each has
      // it whole. A person, whose prompt is gone, is never reported again (the tracker carries no stale label).
      await run.waitFor('the new set', () => run.frames.some((f) => f.at > changedAt && f.labels.includes('a dog')));
      const firstNew = run.frames.findIndex((f) => f.at > changedAt && f.labels.includes('a dog'));
      await run.waitFor('frames after the change', () => run.frames.length > firstNew + 10);
      for (const frame of run.frames.slice(firstNew)) assert.deepEqual([...frame.labels].sort(), ['a dog', 'a hat']);
      assert.ok(run.frames.filter((f) => f.at > changedAt).every((f) => !f.labels.includes('a person')));
      const clearedAt = performance.now();
      run.pipeline.setPrompts('cam', promptSet([]), []);
      await run.waitFor('frames without prompts', () => run.frames.filter((f) => f.at > clearedAt + 300).length > 5);
      assert.ok(run.frames.filter((f) => f.at > clearedAt + 300).every((f) => f.labels.length === 0));
    } finally {
      await run.pipeline.stop();
    }
  });

  test('a stream is added and another removed while a third plays on; the removed one stops', async () => {
    const run = new Run(coreDescription(3), 3);
    try {
      run.pipeline.start();
      for (const id of ['keep', 'old']) {
        run.pipeline.addSource(id, await stream(id, server, `/out/${id}`));
        run.pipeline.setPrompts(id, promptSet(['a person']), ['a person']);
      }
      await run.waitFor('both playing', () => run.framesOf('keep').length > 10 && run.framesOf('old').length > 10);
      const t0 = performance.now();
      run.pipeline.addSource('new', await stream('new', server, '/out/new'));
      run.pipeline.setPrompts('new', promptSet(['a hat']), ['a hat']);
      run.pipeline.removeSource('old');
      await run.waitFor('the new stream\'s frames', () => run.framesOf('new').length > 10);
      await run.waitFor('old stopped', () => run.states('old').includes('stopped'));
      await pause(1000);
      const t2 = performance.now();
      // keep never stopped: frames in every 250 ms window from the change on (30 fps: about 7 per window).
      for (let t = t0; t + 250 <= t2; t += 250) {
        const count = run.framesOf('keep').filter((f) => f.at >= t && f.at < t + 250).length;
        assert.ok(count >= 3, `keep: ${count} frames in [${(t - t0).toFixed(0)}, +250) ms`);
      }
      const stoppedAt = run.events.find((e) => e.stream === 'old' && e.type === 'state' && e.state === 'stopped')!.at;
      assert.equal(run.framesOf('old').filter((f) => f.at > stoppedAt + 100).length, 0, 'no old frames after it stopped');
      assert.deepEqual(run.framesOf('new').at(-1)!.labels, ['a hat']);
      assert.deepEqual(run.states('keep'), ['connecting', 'playing']);
      assert.deepEqual(Object.keys(run.pipeline.stats().streams).sort(), ['keep', 'new']);
      assert.throws(() => run.pipeline.setPrompts('old', promptSet([]), []), { code: 'EINVAL', message: /no stream old/ });
    } finally {
      await run.pipeline.stop();
    }
  });

  test('20 add/remove cycles leave no thread or socket behind, and the slot\'s pads are released every time', async () => {
    const run = new Run(coreDescription(2), 2);
    const resources = () => ({ threads: fs.readdirSync('/proc/self/task').length, fds: fs.readdirSync('/proc/self/fd').length });
    try {
      run.pipeline.start();
      run.pipeline.addSource('steady', await stream('steady', server, '/out/steady'));
      await run.waitFor('steady playing', () => run.framesOf('steady').length > 5);
      let cycle = 0;
      // Slot 1 every time: its muxer and demuxer pads must have been released for the next stream to link
      // (the stand-ins, like DeepStream's, refuse a pad name that is taken) and to deliver frames; and the slot is
      // free only once the removed stream has drained (ENOSPC until then).
      const addAndRemove = async () => {
        const id = `cycle${cycle++}`;
        const source = await stream(id, server, `/out/${id}`);
        await run.waitFor(`a free slot for ${id}`, () => {
          try {
            run.pipeline.addSource(id, source);
            return true;
          } catch (err) {
            if ((err as { code?: string }).code !== 'ENOSPC') throw err;
            return false;
          }
        });
        run.pipeline.setPrompts(id, promptSet(['a person']), ['a person']);
        await run.waitFor(`${id} frames`, () => run.framesOf(id).filter((f) => f.labels.length === 1).length >= 3);
        run.pipeline.removeSource(id);
        await run.waitFor(`${id} stopped`, () => run.states(id).includes('stopped'));
      };
      await addAndRemove();  // thread pools that GStreamer and the RTSP server create on first use are not leaks
      await pause(1500);
      const before = resources();
      for (let i = 0; i < 20; i++) await addAndRemove();
      await pause(1500);
      const afterCycles = resources();
      assert.ok(afterCycles.threads <= before.threads, `threads ${before.threads} -> ${afterCycles.threads}`);
      assert.ok(afterCycles.fds <= before.fds, `file descriptors ${before.fds} -> ${afterCycles.fds}`);
      assert.deepEqual(run.states('steady'), ['connecting', 'playing'], 'the steady stream never noticed');
      assert.equal(run.events.filter((e) => e.type === 'error').length, 0, JSON.stringify(run.events.filter((e) => e.type === 'error')));
    } finally {
      await run.pipeline.stop();
    }
  });

  test('a stream whose source ends is rebuilt alone; the others play on', async () => {
    const run = new Run(coreDescription(2), 2);
    try {
      run.pipeline.start();
      run.pipeline.addSource('steady', await stream('steady', null, ''));
      run.pipeline.addSource('ending', await stream('ending', null, '', (d) => d.replace('videotestsrc is-live=true',
        'videotestsrc is-live=true num-buffers=20')));
      await run.waitFor('ending reconnected', () => run.states('ending').includes('reconnected'));
      assert.deepEqual(run.states('ending').slice(0, 5), ['connecting', 'playing', 'lost', 'connecting', 'reconnected']);
      const lost = run.events.find((e) => e.stream === 'ending' && e.type === 'state' && e.state === 'lost')!;
      assert.equal((lost as { reason: string }).reason, 'the input ended (end of stream)');
      assert.deepEqual(run.states('steady'), ['connecting', 'playing']);
      assert.deepEqual(run.states(), ['connecting', 'playing']);
      assert.ok(run.pipeline.stats().streams.ending.reconnects >= 1);
    } finally {
      await run.pipeline.stop();
    }
  });

  test('an error of the shared part (nvinfer) is reported and rebuilds the pipeline; the streams rejoin', async () => {
    const description = coreDescription(1).replace('standin-nvinfer name=infer', 'identity name=infer error-after=40');
    const run = new Run(description, 1);
    try {
      run.pipeline.start();
      run.pipeline.addSource('cam', await stream('cam', null, ''));
      await run.waitFor('the stream back after the rebuild', () => run.states('cam').includes('reconnected'));
      const error = run.events.find((e) => e.type === 'error')!;
      assert.equal(error.stream, undefined);
      assert.match((error as { message: string }).message, /^infer: /);
      assert.deepEqual(run.states().slice(0, 5), ['connecting', 'playing', 'lost', 'connecting', 'reconnected']);
      assert.deepEqual(run.states('cam').slice(0, 5), ['connecting', 'playing', 'lost', 'connecting', 'reconnected']);
      assert.match((run.events.find((e) => e.stream === 'cam' && e.type === 'state' && e.state === 'lost') as { reason: string }).reason,
        /the DeepStream pipeline is rebuilt/);
    } finally {
      await run.pipeline.stop();
    }
  });

  test('tensors the decode cannot use are reported once as an error of infer, with the reason', async () => {
    const run = new Run(coreDescription(1), 1);
    try {
      run.pipeline.start();
      run.pipeline.addSource('cam', await stream('cam', null, ''));
      // Three values per prompt: the engine's class embeddings have two.
      run.pipeline.setPrompts('cam', { textEmbeds: Float32Array.from([1, 0, 0]), numQueries: 1,
        thresholds: Float32Array.from([0.5]) }, ['a person']);
      await run.waitFor('the decode error', () => run.events.some((e) => e.type === 'error'));
      await run.waitFor('more frames', () => run.frames.length > 20);
      const errors = run.events.filter((e) => e.type === 'error') as { message: string; code: string }[];
      assert.deepEqual(errors.map((e) => [e.code, e.message]), [['EINVAL', 'infer: Expected 2 values per query '
        + '(image.embedDim) for prompts.textEmbeds but received 3 per query']]);
      assert.ok(run.frames.every((f) => f.labels.length === 0));
    } finally {
      await run.pipeline.stop();
    }
  });

  test('refusals: start and addSource errors name what to fix; nothing is added', async () => {
    const started = (description: string) => {
      const run = new Run(description, 1);
      try {
        run.pipeline.start();
      } finally {
        void run.pipeline.stop();  // never started: nothing to join
      }
    };
    assert.throws(() => started(coreDescription(1).replace('standin-nvinfer name=infer', 'nvinfer name=infer')),
      { code: 'ENOPLUGIN', message: /no element "nvinfer" \(is this a DeepStream install/ });
    assert.throws(() => started(coreDescription(1).replace('standin-nvinfer name=infer', 'standin-nvinfer name=infer bogus=1')),
      { code: 'EINVAL', message: /no property "bogus"/ });
    assert.throws(() => started(coreDescription(1).replace('name=infer', 'name=model')),
      { code: 'EINVAL', message: 'the DeepStream pipeline description has no nvinfer named "infer"' });

    const run = new Run(coreDescription(2), 2);
    const a = await stream('a', server, '/out/a');
    assert.throws(() => run.pipeline.addSource('a', a), { code: 'ESTATE' });
    try {
      run.pipeline.start();
      run.pipeline.addSource('a', a);
      const plain = { description: a.description, output: null };
      assert.throws(() => run.pipeline.addSource('a', { ...plain, sensorId: 'a' }),
        { code: 'EEXIST', message: 'stream a is already in the DeepStream pipeline' });
      const sameMount = await stream('b', server, '/out/a');
      assert.throws(() => run.pipeline.addSource('b', sameMount), { code: 'EMOUNTINUSE' });
      assert.throws(() => run.pipeline.addSource('b', { ...plain, description: 'videotestsrc ! bogus-element', sensorId: 'b' }),
        { code: 'ENOPLUGIN', message: /the source of stream b: no element "bogus-element"/ });
      assert.throws(() => run.pipeline.addSource('b', { ...plain, description: 'videotestsrc bogus=1 ! queue', sensorId: 'b' }),
        { code: 'EINVAL', message: /the source of stream b: .*bogus/ });
      run.pipeline.addSource('b', { ...plain, sensorId: 'b' });
      assert.throws(() => run.pipeline.addSource('c', { ...plain, sensorId: 'c' }),
        { code: 'ENOSPC', message: 'the DeepStream pipeline takes 2 streams (input.maxStreams)' });
      assert.throws(() => run.pipeline.removeSource('c'), { code: 'EINVAL', message: 'no stream c in the DeepStream pipeline' });
      assert.throws(() => run.pipeline.setPrompts('a', promptSet(['a person']), ['a person', 'a hat']),
        { name: 'RangeError', message: 'Expected one label per prompt (1), received 2' });
      assert.throws(() => run.pipeline.setPrompts('a', promptSet(['a person'], 1.5), ['a person']),
        { name: 'RangeError', message: 'Expected a number in [0,1] for prompts.thresholds[0] but received 1.5' });
    } finally {
      await run.pipeline.stop();
    }
    assert.throws(() => run.pipeline.addSource('z', a), { code: 'ESTATE' });
  });
});
