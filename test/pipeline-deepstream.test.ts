// SPDX-License-Identifier: Apache-2.0
// The DeepStreamPipeline TS class (ts/pipeline/deepstream-pipeline.ts) over the addon variant built with its
// DeepStream engine against STAND-IN headers and metadata (owl_stream_ds_standin.node; every frame carries three
// made-up objects of classes 0, 1 and 5), running a generated description with ordinary elements in place of
// DeepStream's (test/helpers/deepstream-standins.ts). Real here: the N-API class, its events and errors as the
// portable Pipeline has them (PipelineError, the element in `source`), and its stop off the JS thread.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { deepStreamDescription } from '../ts/deepstream/pipeline-description';
import { addonPath, type DeepStreamBinding } from '../ts/native';
import { DeepStreamPipeline, PipelineError, type DeepStreamDetections, type PipelineStateChange } from '../ts/pipeline';
import { withStandIns } from './helpers/deepstream-standins';
import { waitFor } from './helpers/wait';

const standInAddon = path.join(path.dirname(addonPath), 'owl_stream_ds_standin.node');
// Only builds without the SDK have the stand-in variant (native/CMakeLists.txt).
const skip = fs.existsSync(standInAddon) ? false : `no ${standInAddon} (an addon built with the DeepStream SDK?)`;

const RECONNECT = { initialDelayMs: 100, maxDelayMs: 200, stallTimeoutMs: 2000 };
const DECODE = { nmsIou: 0, maxDetections: 100 };

/** A generated description (headless, test source, nvmsgbroker) with stand-ins; `broker` replaces the broker's. */
function description(broker = 'fakesink sync=false name=broker'): string {
  const generated = withStandIns(deepStreamDescription({
    source: { kind: 'test', pattern: 'ball', width: 320, height: 240, fps: 30 },
    mux: { kind: 'legacy', width: 320, height: 240 },
    inferConfigPath: '/run/owl/nvinfer.txt',
    output: null,
    brokers: [{ name: '', msgconvConfigPath: '/run/owl/msgconv.txt', frameInterval: 1,
      protoLib: '/opt/ds/lib/libnvds_redis_proto.so', connStr: 'localhost;6379', configPath: '/run/owl/redis.txt',
      topic: 'owl' }],
  }));
  assert.ok(generated.includes('fakesink sync=false name=broker'), generated);
  return generated.replace('fakesink sync=false name=broker', broker);
}

describe('DeepStreamPipeline on the stand-in addon', { skip }, () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const binding = skip === false ? require(standInAddon) as DeepStreamBinding : null;

  test('plays: state events, the prompts given before start, detections per frame; stop() off the JS thread', async () => {
    const pipeline = new DeepStreamPipeline(binding!);
    const states: PipelineStateChange[] = [];
    const frames: DeepStreamDetections[] = [];
    pipeline.on('state', (change) => states.push(change));
    pipeline.on('detections', (frame) => frames.push(frame));
    pipeline.setPrompts({ textEmbeds: new Float32Array(8), numQueries: 2, thresholds: Float32Array.of(0.2, 0.2) },
      ['a person', 'a hat']);
    pipeline.start({ description: description(), output: null, reconnect: RECONNECT, decode: DECODE });
    assert.equal(pipeline.state, 'connecting');
    await waitFor(() => frames.length >= 3, 'detections', 10_000);
    assert.deepEqual(states.map((s) => s.state), ['connecting', 'playing']);
    assert.deepEqual([...frames[0].labels], [0, 1, 5]);
    assert.ok(pipeline.stats().framesIn >= 3);

    const stopping = pipeline.stop();
    assert.equal(pipeline.state, 'stopped', 'stopped at once');
    assert.equal(pipeline.stop(), stopping, 'one stop');
    const seen = frames.length;
    await stopping;
    await waitFor(() => states.at(-1)?.state === 'stopped', 'the final state event', 2000);
    assert.equal(frames.length, seen, 'no detections after stop()');
    assert.throws(() => pipeline.start({ description: description(), output: null, reconnect: RECONNECT, decode: DECODE }),
      (err: unknown) => err instanceof PipelineError && err.code === 'ESTATE');
  });

  test('an error of an element names it in `source` (no message to parse), and the pipeline is rebuilt', async () => {
    const pipeline = new DeepStreamPipeline(binding!);
    const errors: PipelineError[] = [];
    const states: string[] = [];
    pipeline.on('error', (err) => errors.push(err));
    pipeline.on('state', ({ state }) => states.push(state));
    pipeline.start({ description: description('identity name=broker error-after=5 ! fakesink sync=false'), output: null,
      reconnect: RECONNECT, decode: DECODE });
    try {
      await waitFor(() => errors.length > 0 && states.includes('connecting', 1), 'an error and a rebuild', 10_000);
      const [error] = errors;
      assert.ok(error instanceof PipelineError);
      assert.equal(error.source, 'broker');
      assert.match(error.message, /^broker: /);
      assert.equal(error.domain, 'gst-core-error-quark');
      assert.deepEqual(states.slice(0, 4), ['connecting', 'playing', 'lost', 'connecting']);
    } finally {
      await pipeline.stop();
    }
  });

  test('start() throws PipelineError without a `source`: a description without "infer", a build without the engine', () => {
    const noInfer = description().replace('identity name=infer', 'identity name=model');
    assert.throws(() => new DeepStreamPipeline(binding!).start({ description: noInfer, output: null, reconnect: RECONNECT,
      decode: DECODE }), (err: unknown) => err instanceof PipelineError && err.code === 'EINVAL' && err.source === null
      && err.message === 'the DeepStream pipeline description has no element named "infer"');
    const without = { deepstreamAvailable: false, deepstreamDir: '/opt/nvidia/deepstream/deepstream' };
    assert.throws(() => new DeepStreamPipeline(without).start({ description: noInfer, output: null, reconnect: RECONNECT,
      decode: DECODE }), (err: unknown) => err instanceof PipelineError && err.code === 'ENOPLUGIN'
      && /no DeepStream engine \(the SDK was not found at \/opt\/nvidia\/deepstream\/deepstream/.test(err.message));
  });
});
