// SPDX-License-Identifier: Apache-2.0
// The DeepStream engine's shared pipeline (ts/engines/deepstream-shared.ts) in this process, on the addon variant
// built against STAND-IN headers and library (owl_stream_ds_standin.node) with stand-ins in place of DeepStream's
// elements (test/helpers/deepstream-standins.ts): how streams join and leave it when their lives overlap, whose
// states reach which stream, and the metadata outputs' state as the pipeline reports its branches (the stand-in
// nvmsgbroker behaves as DeepStream's with the Redis adaptor: it connects at start, and a failed send is an
// error). Real here: prepareDeepStream's run folder, the N-API DeepStreamPipeline, its per-stream events,
// redis-server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { defaultConfig, type OwlConfig } from '../ts/config/schema';
import type { DeepStreamModel } from '../ts/deepstream/config-input';
import { deepStreamSourceDescription } from '../ts/deepstream/pipeline-description';
import { BrokerStatus } from '../ts/engines/broker-status';
import { SharedDeepStreamPipeline, type DeepStreamMember } from '../ts/engines/deepstream-shared';
import { addonPath, type DeepStreamBinding, type NativeBinding } from '../ts/native';
import type { DeepStreamDetections, PipelineStateChange } from '../ts/pipeline';
import type { Logger } from '../ts/service/logger';
import { standInPluginEnv, withStandIns } from './helpers/deepstream-standins';
import { freePort } from './helpers/ports';
import { RedisServer } from './helpers/redis-server';
import { waitFor } from './helpers/wait';

const standInAddon = path.join(path.dirname(addonPath), 'owl_stream_ds_standin.node');
// Only builds without the SDK have the stand-in variant (native/CMakeLists.txt).
const skip = fs.existsSync(standInAddon) ? false : `no ${standInAddon} (an addon built with the DeepStream SDK?)`;
process.env.GST_PLUGIN_PATH = standInPluginEnv().GST_PLUGIN_PATH;  // before GStreamer starts in this process

const model: DeepStreamModel = { onnxFile: '/m/image_encoder.onnx', engineFile: '/m/owl.engine', inputSize: 768,
  mean: [0.48, 0.46, 0.41], std: [0.27, 0.26, 0.28] };
const camera = withStandIns(deepStreamSourceDescription({ kind: 'rtsp', url: 'rtsp://cam.local/1', transport: 'tcp',
  latencyMs: 100 }));

/** A stream as the pipeline sees it, recording what reached it. */
class Member implements DeepStreamMember {
  readonly states: string[] = [];
  readonly frames: DeepStreamDetections[] = [];
  joins = 0;
  constructor(readonly id: string) {}
  joined(): void {
    this.joins++;
  }
  onState({ state }: PipelineStateChange): void {
    this.states.push(state);
  }
  onError(): void {}
  onDetections(frame: DeepStreamDetections): void {
    this.frames.push(frame);
  }
}

const quiet: Logger = { error() {}, warn() {}, info() {}, debug() {}, child: () => quiet, setLevel() {} };

/**
 * The stand-in addon's DeepStream part with stand-ins in every description; `failStarts` starts fail first; with
 * `redisBroker`, nvmsgbroker's stand-in writes Redis (else it drops the payloads).
 */
function standInBinding(failStarts = 0, redisBroker = false): DeepStreamBinding & { created: number } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const real = (require(standInAddon) as NativeBinding).DeepStreamPipeline!;
  const binding = {
    deepstreamAvailable: true, deepstreamDir: '/opt/ds', created: 0,
    DeepStreamPipeline: function DeepStreamPipelineStandIn(...[options, onEvent, onFrame]: ConstructorParameters<typeof real>) {
      if (binding.created++ < failStarts) throw Object.assign(new Error('no element "nvinfer"'), { code: 'ENOPLUGIN' });
      const pipeline = new real({ ...options, description: withStandIns(options.description,
        { broker: redisBroker ? 'redis' : 'drop' }) }, onEvent, onFrame);
      return {
        start: () => pipeline.start(),
        addSource: (id: string, source: Parameters<typeof pipeline.addSource>[1]) =>
          pipeline.addSource(id, { ...source, description: withStandIns(source.description) }),
        removeSource: (id: string) => pipeline.removeSource(id),
        setPrompts: (...args: Parameters<typeof pipeline.setPrompts>) => pipeline.setPrompts(...args),
        setOverlayStyle: (style: Parameters<typeof pipeline.setOverlayStyle>[0]) => pipeline.setOverlayStyle(style),
        stats: () => pipeline.stats(),
        stop: () => pipeline.stop(),
      };
    } as unknown as typeof real,
  };
  return binding;
}

function shared(binding: DeepStreamBinding, maxStreams = 2, change: (config: OwlConfig) => void = () => {}):
  SharedDeepStreamPipeline {
  const config = defaultConfig();
  config.input.maxStreams = maxStreams;
  config.input.reconnect = { initialDelayMs: 100, maxDelayMs: 300, stallTimeoutMs: 2000 };
  config.output.enabled = false;
  config.redis.enabled = false;
  change(config);
  return new SharedDeepStreamPipeline({ binding, config, log: quiet, outputs: outputsOf(config) });
}

// The outputs' state each pipeline above reports to (by its config).
const outputs = new WeakMap<OwlConfig, BrokerStatus>();
function outputsOf(config: OwlConfig): BrokerStatus {
  const status = new BrokerStatus({ redis: config.redis.enabled, mqtt: config.mqtt.enabled, kafka: config.kafka.enabled });
  outputs.set(config, status);
  lastOutputs = status;
  return status;
}
let lastOutputs: BrokerStatus;

const source = async () => ({ description: camera, sensorId: 'cam', output: null });
const joining = () => new AbortController();

describe('the DeepStream engine\'s shared pipeline, on the stand-in addon', { skip }, () => {
  test('one pipeline for every stream, started by the first join; streams keep it playing as they come and go',
    async () => {
      const binding = standInBinding();
      const pipeline = shared(binding);
      const [a, b] = [new Member('a'), new Member('b')];
      try {
        await Promise.all([pipeline.join(a, model, source, joining().signal), pipeline.join(b, model, source,
          joining().signal)]);
        assert.equal(binding.created, 1, 'one native pipeline for both');
        await waitFor(() => a.frames.length > 5 && b.frames.length > 5, 'frames of both', 10_000);
        assert.ok(a.frames.every((f) => f.stream === 'a') && b.frames.every((f) => f.stream === 'b'));
        await pipeline.leave(a);
        await pipeline.leave(b);
        // No stream at all: the pipeline plays on, and the next one joins it without a new start.
        const c = new Member('c');
        await pipeline.join(c, model, source, joining().signal);
        await waitFor(() => c.frames.length > 5, 'frames of the stream that came last', 10_000);
        assert.equal(binding.created, 1);
        assert.deepEqual(a.states, ['connecting', 'playing'], 'a stream never hears its own `stopped`');
      } finally {
        await pipeline.close();
      }
    });

  test('the same id removed and added at once: the new stream gets its own events, none of the old one\'s', async () => {
    const pipeline = shared(standInBinding(), 1);
    const old = new Member('cam');
    try {
      await pipeline.join(old, model, source, joining().signal);
      await waitFor(() => old.frames.length > 3, 'frames of the first', 10_000);
      const left = pipeline.leave(old);
      const again = new Member('cam');
      // One slot: the join waits for the old stream to leave and its slot to drain.
      await pipeline.join(again, model, source, joining().signal);
      await left;
      const oldFrames = old.frames.length;
      await waitFor(() => again.frames.length > 3, 'frames of the second', 10_000);
      assert.deepEqual(again.states.slice(0, 2), ['connecting', 'playing']);
      assert.equal(old.frames.length, oldFrames, 'nothing more for the one that left');
      assert.equal(pipeline.stats(old).stream, null);
      assert.ok((pipeline.stats(again).stream?.framesIn ?? 0) > 0);
    } finally {
      await pipeline.close();
    }
  });

  test('a stream stopped while its join waits for the pipeline to start never joins', async () => {
    const pipeline = shared(standInBinding());
    const early = new Member('early');
    const abort = joining();
    try {
      const join = pipeline.join(early, model, source, abort.signal);
      abort.abort();
      await join;
      assert.equal(early.joins, 0);
      await pipeline.leave(early);  // nothing to leave
      const late = new Member('late');
      await pipeline.join(late, model, source, joining().signal);
      await waitFor(() => late.frames.length > 3, 'frames of the one that joined', 10_000);
      assert.deepEqual(early.frames, []);
    } finally {
      await pipeline.close();
    }
  });

  test('a pipeline that fails to start fails the joins waiting for it; the next join starts it again', async () => {
    const binding = standInBinding(1);
    const pipeline = shared(binding);
    try {
      const [a, b] = [new Member('a'), new Member('b')];
      const failed = await Promise.allSettled([pipeline.join(a, model, source, joining().signal),
        pipeline.join(b, model, source, joining().signal)]);
      assert.deepEqual(failed.map((outcome) => outcome.status === 'rejected' && (outcome.reason as Error).message),
        ['no element "nvinfer"', 'no element "nvinfer"']);
      const c = new Member('c');
      await pipeline.join(c, model, source, joining().signal);
      await waitFor(() => c.frames.length > 3, 'frames after the second start', 10_000);
      assert.equal(binding.created, 2);
    } finally {
      await pipeline.close();
    }
  });

  test('a camera whose input ends is rebuilt alone: its states reach it, the other stream plays on', async () => {
    const pipeline = shared(standInBinding());
    const [steady, ending] = [new Member('steady'), new Member('ending')];
    const once = async () => ({ description: camera.replace('videotestsrc is-live=true', 'videotestsrc is-live=true '
      + 'num-buffers=20'), sensorId: 'ending', output: null });
    try {
      await pipeline.join(steady, model, source, joining().signal);
      await pipeline.join(ending, model, once, joining().signal);
      await waitFor(() => ending.states.includes('reconnected'), 'the ending stream rebuilt', 10_000);
      assert.deepEqual(ending.states.slice(0, 5), ['connecting', 'playing', 'lost', 'connecting', 'reconnected']);
      assert.deepEqual(steady.states, ['connecting', 'playing']);
      const seen = steady.frames.length;
      await waitFor(() => steady.frames.length > seen + 10, 'the steady stream\'s frames meanwhile', 5000);
    } finally {
      await pipeline.close();
    }
  });

  test('the metadata outputs\' state: an output whose broker is down at start is `down` with its element\'s error; '
    + 'Redis lost while playing and back', async () => {
    const closed = await freePort();  // nothing listens there
    // MQTT's broker does not answer: the pipeline cannot start (nvmsgbroker connects in its start), MQTT says why.
    const mqtt = shared(standInBinding(0, true), 1, (config) => {
      config.mqtt = { ...config.mqtt, enabled: true, url: `mqtt://127.0.0.1:${closed}`, topic: 'owl/all' };
    });
    const mqttOutputs = lastOutputs;
    try {
      await mqtt.join(new Member('cam'), model, source, joining().signal);
      await waitFor(() => mqttOutputs.status('mqtt').state === 'down', 'MQTT down', 10_000);
      assert.deepEqual(mqttOutputs.status('mqtt'),
        { state: 'down', error: 'broker-mqtt: Could not configure supporting library. (unable to connect to broker library)' });
      assert.deepEqual(mqttOutputs.status('redis'), { state: 'off', error: null });
    } finally {
      await mqtt.close();
    }
    // Kafka's likewise, with its own element's name.
    const kafka = shared(standInBinding(0, true), 1, (config) => {
      config.kafka = { ...config.kafka, enabled: true, broker: `127.0.0.1:${closed}` };
    });
    const kafkaOutputs = lastOutputs;
    try {
      await kafka.join(new Member('cam'), model, source, joining().signal);
      await waitFor(() => kafkaOutputs.status('kafka').state === 'down', 'Kafka down', 10_000);
      assert.deepEqual(kafkaOutputs.status('kafka'),
        { state: 'down', error: 'broker-kafka: Could not configure supporting library. (unable to connect to broker library)' });
    } finally {
      await kafka.close();
    }
    // Redis answering, then gone while the pipeline plays (a failed send), then back.
    const redis = await RedisServer.start();
    const withRedis = shared(standInBinding(0, true), 1, (config) => {
      config.redis = { ...config.redis, enabled: true, host: redis.host, port: redis.port };
    });
    const redisOutputs = lastOutputs;
    const member = new Member('cam');
    try {
      await withRedis.join(member, model, source, joining().signal);
      withRedis.setPrompts(member, { textEmbeds: Float32Array.of(1, 0), numQueries: 1, thresholds: Float32Array.of(0.5) },
        ['a person']);
      await waitFor(() => redisOutputs.status('redis').state === 'ready', 'Redis ready', 10_000);
      await redis.kill();
      await waitFor(() => redisOutputs.status('redis').state === 'down', 'Redis down', 10_000);
      // The failed send, or (on a loaded machine, where the check comes after the rebuild) the failed connection.
      assert.match(redisOutputs.status('redis').error!, new RegExp('^broker: (GStreamer encountered a general supporting '
        + 'library error\\. \\(failed to send the message\\. err\\(1\\)\\)|Could not configure supporting library\\. '
        + '\\(unable to connect to broker library\\))$'));
      await redis.restart();
      await waitFor(() => redisOutputs.status('redis').state === 'ready', 'Redis ready again', 10_000);
    } finally {
      await withRedis.close();
      await redis.dispose();
    }
  });

  test('close() stops the pipeline and removes its run folder; nothing joins afterwards', async () => {
    const pipeline = shared(standInBinding());
    const a = new Member('a');
    await pipeline.join(a, model, source, joining().signal);
    const runDirs = () => fs.readdirSync('/tmp').filter((name) => name.startsWith('owl-deepstream-'));
    const before = runDirs();
    await pipeline.close();
    assert.equal(runDirs().length, before.length - 1);
    const b = new Member('b');
    await pipeline.join(b, model, source, joining().signal);
    assert.equal(b.joins, 0);
  });
});
