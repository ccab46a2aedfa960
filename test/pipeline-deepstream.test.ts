// SPDX-License-Identifier: Apache-2.0
// The DeepStreamPipeline TS class (ts/pipeline/deepstream-pipeline.ts) over the addon variant built with its
// DeepStream engine against STAND-IN headers and library (owl_stream_ds_standin.node), running generated
// descriptions with stand-ins in place of DeepStream's elements (test/helpers/deepstream-standins.ts; the stand-in
// nvinfer gives every frame four made-up patches of image-encoder tensors). Real here: the N-API class, its events
// and errors as the portable Pipeline has them (PipelineError, the element in `source`, a stream's id in `stream`),
// the streams' own states, and its stop off the JS thread. The multi-stream behaviour itself:
// test/deepstream-pipeline.test.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import {
  deepStreamCoreDescription, deepStreamOutputDescription, deepStreamSourceDescription, rtspMountLaunch,
} from '../ts/deepstream/pipeline-description';
import { addonPath, type DeepStreamBinding, type NativeBinding } from '../ts/native';
import {
  DeepStreamPipeline, PipelineError, type DeepStreamDetections, type DeepStreamPipelineOptions,
  type DeepStreamStreamStateChange, type PipelineStateChange, type RtspServer,
} from '../ts/pipeline';
import { STANDIN_CAMERA, standInPluginEnv, withStandIns } from './helpers/deepstream-standins';
import { waitFor } from './helpers/wait';

const standInAddon = path.join(path.dirname(addonPath), 'owl_stream_ds_standin.node');
// Only builds without the SDK have the stand-in variant (native/CMakeLists.txt).
const skip = fs.existsSync(standInAddon) ? false : `no ${standInAddon} (an addon built with the DeepStream SDK?)`;
process.env.GST_PLUGIN_PATH = standInPluginEnv().GST_PLUGIN_PATH;  // before GStreamer starts in this process

const OPTIONS: Omit<DeepStreamPipelineOptions, 'description'> = {
  maxStreams: 2,
  reconnect: { initialDelayMs: 100, maxDelayMs: 200, stallTimeoutMs: 2000 },
  decode: { nmsIou: 0, maxDetections: 100 },
  overlay: { lineWidth: 3, fontSize: 18, showScores: false, palette: [[255, 0, 0]] },
  messages: [{ componentId: 0, interval: 1 }],
};

/** The shared description (nvinfer, nvtracker, nvmsgconv -> nvmsgbroker) with stand-ins; `broker` replaces the broker. */
function description(broker = 'fakesink sync=false async=false name=broker'): string {
  const generated = withStandIns(deepStreamCoreDescription({
    mux: { kind: 'legacy', ...STANDIN_CAMERA }, maxStreams: 2, liveSources: true, inferConfigPath: '/run/owl/nvinfer.txt',
    tracker: { libPath: '/opt/ds/lib/libnvds_nvmultiobjecttracker.so', configPath: '/run/owl/tracker.yml', width: 640,
      height: 384, gpuId: 0 },
    brokers: [{ name: '', frameInterval: 1, protoLib: '/opt/ds/lib/libnvds_redis_proto.so', connStr: 'localhost;6379',
      configPath: '/run/owl/redis.txt', topic: 'owl' }],
    outputs: false,
  }));
  assert.ok(generated.includes('fakesink sync=false async=false name=broker'), generated);
  return generated.replace('fakesink sync=false async=false name=broker', broker);
}

const camera = withStandIns(deepStreamSourceDescription({ kind: 'rtsp', url: 'rtsp://cam.local/1', transport: 'tcp',
  latencyMs: 100 }));
const PERSON = { textEmbeds: Float32Array.of(1, 0), numQueries: 1, thresholds: Float32Array.of(0.9) };

describe('DeepStreamPipeline on the stand-in addon', { skip }, () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const binding = skip === false ? require(standInAddon) as DeepStreamBinding : null;

  test('plays: the pipeline\'s states, the stream\'s, its detections with its prompts; stop() off the JS thread', async () => {
    const pipeline = new DeepStreamPipeline(binding!);
    const states: PipelineStateChange[] = [];
    const streamStates: DeepStreamStreamStateChange[] = [];
    const frames: DeepStreamDetections[] = [];
    pipeline.on('state', (change) => states.push(change));
    pipeline.on('streamState', (change) => streamStates.push(change));
    pipeline.on('detections', (frame) => frames.push(frame));
    pipeline.start({ ...OPTIONS, description: description() });
    assert.equal(pipeline.state, 'connecting');
    pipeline.addSource('cam', { description: camera, sensorId: 'cam-1', output: null });
    pipeline.setPrompts('cam', PERSON, ['a person']);
    await waitFor(() => frames.filter((f) => f.labels.length > 0).length >= 3, 'detections', 10_000);
    assert.deepEqual(states.map((s) => s.state), ['connecting', 'playing']);
    assert.deepEqual(streamStates.map((s) => [s.stream, s.state]), [['cam', 'connecting'], ['cam', 'playing']]);
    const frame = frames.at(-1)!;
    assert.deepEqual([frame.stream, frame.labels, [frame.width, frame.height]],
      ['cam', ['a person'], [STANDIN_CAMERA.width, STANDIN_CAMERA.height]]);
    assert.ok(pipeline.stats().framesIn >= 3);
    assert.ok(pipeline.stats().streams.cam.framesToJs >= 3);

    const stopping = pipeline.stop();
    assert.equal(pipeline.state, 'stopped', 'stopped at once');
    assert.equal(pipeline.stop(), stopping, 'one stop');
    const seen = frames.length;
    await stopping;
    await waitFor(() => states.at(-1)?.state === 'stopped', 'the final state event', 2000);
    assert.equal(streamStates.at(-1)?.state, 'stopped');
    assert.equal(frames.length, seen, 'no detections after stop()');
    assert.throws(() => pipeline.start({ ...OPTIONS, description: description() }),
      (err: unknown) => err instanceof PipelineError && err.code === 'ESTATE');
    assert.throws(() => pipeline.addSource('late', { description: camera, sensorId: 'l', output: null }),
      (err: unknown) => err instanceof PipelineError && err.code === 'ESTATE');
  });

  test('errors name their element in `source` (no message to parse), a stream\'s also the stream', async () => {
    const pipeline = new DeepStreamPipeline(binding!);
    const errors: PipelineError[] = [];
    const states: string[] = [];
    pipeline.on('error', (err) => errors.push(err));
    pipeline.on('state', ({ state }) => states.push(state));
    pipeline.start({ ...OPTIONS, description: description('identity name=broker error-after=5 ! fakesink sync=false async=false') });
    pipeline.addSource('cam', { description: camera, sensorId: 'cam', output: null });
    try {
      await waitFor(() => errors.length > 0 && states.includes('connecting', 1), 'an error and a rebuild', 10_000);
      const [error] = errors;
      assert.ok(error instanceof PipelineError);
      assert.deepEqual([error.source, error.stream, error.domain], ['broker', null, 'gst-core-error-quark']);
      assert.match(error.message, /^broker: /);
      assert.deepEqual(states.slice(0, 4), ['connecting', 'playing', 'lost', 'connecting']);
    } finally {
      await pipeline.stop();
    }

    // The stream's encoder fails: the error carries the stream's id, and the stream alone is rebuilt.
    const server = new (binding as NativeBinding).RtspServer({ host: '127.0.0.1', port: 0 });
    server.start();
    const withOutput = new DeepStreamPipeline(binding!);
    const streamErrors: PipelineError[] = [];
    const streamStates: string[] = [];
    withOutput.on('error', (err) => streamErrors.push(err));
    withOutput.on('streamState', ({ state }) => streamStates.push(state));
    const core = withStandIns(deepStreamCoreDescription({
      mux: { kind: 'new' }, maxStreams: 1, liveSources: true, inferConfigPath: '/run/owl/nvinfer.txt', tracker: null,
      brokers: [], outputs: true,
    }));
    withOutput.start({ ...OPTIONS, maxStreams: 1, description: core });
    try {
      const failing = withStandIns(deepStreamOutputDescription({ encoder: 'hw', bitrateKbps: 500, udpPort: 9,
        swPreset: 'ultrafast' })).replace(/x264enc [^!]*name=enc/, 'identity name=enc error-after=5 ! x264enc');
      // The TS class reads only the native server of an RtspServer; this one is the stand-in addon's own.
      withOutput.addSource('cam', { description: camera, sensorId: 'cam',
        output: { server: { nativeServer: server } as unknown as RtspServer, mount: '/cam', launch: rtspMountLaunch(9),
          description: failing } });
      await waitFor(() => streamErrors.length > 0 && streamStates.includes('connecting', 1), 'the stream\'s error', 10_000);
      assert.deepEqual([streamErrors[0].source, streamErrors[0].stream], ['enc', 'cam']);
      assert.match(streamErrors[0].message, /^enc: /);
      assert.deepEqual(streamStates.slice(0, 4), ['connecting', 'playing', 'lost', 'connecting']);
      assert.equal(withOutput.state, 'playing', 'the shared pipeline plays on');
    } finally {
      await withOutput.stop();
      server.stop();
    }
  });

  test('start() throws PipelineError without a `source`: a description without "infer", a build without the engine', () => {
    const noInfer = description().replace('standin-nvinfer name=infer', 'standin-nvinfer name=model');
    assert.throws(() => new DeepStreamPipeline(binding!).start({ ...OPTIONS, description: noInfer }),
      (err: unknown) => err instanceof PipelineError && err.code === 'EINVAL' && err.source === null
        && err.message === 'the DeepStream pipeline description has no nvinfer named "infer"');
    const without = { deepstreamAvailable: false, deepstreamDir: '/opt/nvidia/deepstream/deepstream' };
    assert.throws(() => new DeepStreamPipeline(without).start({ ...OPTIONS, description: noInfer }),
      (err: unknown) => err instanceof PipelineError && err.code === 'ENOPLUGIN'
        && /no DeepStream engine \(the SDK was not found at \/opt\/nvidia\/deepstream\/deepstream/.test(err.message));
  });
});
