// SPDX-License-Identifier: Apache-2.0
// The `streams:` list and the multi-stream keys of the config: defaults, shorthand forms, and refusals
// that name the entry and key to fix. Also which streams a configuration starts with.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { resolveConfig } from '../ts/cli/args';
import { loadConfigFile } from '../ts/config/load';
import { redactConfig } from '../ts/config/redact';
import { defaultConfig } from '../ts/config/schema';
import { configuredStreams } from '../ts/service/stream-spec';

const load = (yaml: string) => loadConfigFile('configs/x.yaml', () => yaml);

function refusal(yaml: string): string {
  try {
    load(yaml);
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail(`expected a ConfigError for:\n${yaml}`);
}

describe('streams in the config', () => {
  it('defaults to none, eight at most, batches of up to eight', () => {
    const config = defaultConfig();
    assert.deepEqual(config.streams, []);
    assert.equal(config.input.maxStreams, 8);
    assert.deepEqual([config.input.allowEmpty, config.input.vst.follow, config.input.vst.pollMs], [false, false, 10_000]);
    assert.deepEqual([config.model.maxBatch, config.model.batchWindowMs], [8, 50]);
  });

  it('takes full entries, bare URIs, and a comma-separated OWL_STREAMS', () => {
    const config = load([
      'streams:',
      '  - rtsp://cam1/live',
      '  - uri: "test:"',
      '    id: lab',
      '    name: Lab bench',
      '    output: /lab',
      '    prompts: {objects: "a cat, a dog", thresholds: 0.2}',
      '    sensor: {id: lab-cam, location: bench}',
    ].join('\n'));
    assert.deepEqual(config.streams, [
      { id: '', name: '', uri: 'rtsp://cam1/live', output: '', sensor: { id: '', type: '', location: '' } },
      { id: 'lab', name: 'Lab bench', uri: 'test:', output: '/lab',
        prompts: { objects: ['a cat', 'a dog'], thresholds: [0.2, 0.2] }, sensor: { id: 'lab-cam', type: '', location: 'bench' } },
    ]);
    const fromEnv = resolveConfig([], { OWL_STREAMS: 'rtsp://a/1, test:ball' });
    assert.equal(fromEnv.kind, 'run');
    if (fromEnv.kind === 'run') assert.deepEqual(fromEnv.config.streams.map((s) => s.uri), ['rtsp://a/1', 'test:ball']);
  });

  it('refuses bad entries, naming the entry and the key', () => {
    assert.equal(refusal('streams:\n  - id: x\n'), 'configs/x.yaml: streams[0].uri: expected an rtsp:// URL, a file path '
      + 'or test:[pattern] (a VST address belongs in input.uri, with input.vst.follow: true), received nothing');
    assert.match(refusal('streams: [http://vst:81]\n'), /^configs\/x\.yaml: streams\[0\]\.uri: .* received "http:\/\/vst:81"$/);
    assert.equal(refusal('streams: 5\n'), 'configs/x.yaml: streams: expected a list of streams, received 5');
    assert.equal(refusal('streams:\n  - {uri: "test:", id: "a b"}\n'), 'configs/x.yaml: streams[0].id: expected letters, '
      + 'digits, ".", "_", "~" or "-" (at most 100), received "a b"');
    assert.equal(refusal('streams:\n  - {uri: "test:", output: out}\n'),
      'configs/x.yaml: streams[0].output: expected a mount path such as /out/front, received "out"');
    assert.equal(refusal('streams:\n  - {uri: "test:", colour: red}\n'),
      'configs/x.yaml: streams[0].colour: unknown key; allowed keys: id, name, uri, output, prompts, sensor');
    assert.equal(refusal('streams:\n  - {uri: "test:", id: a}\n  - {uri: "test:", id: a}\n'),
      'configs/x.yaml: streams[1].id: "a" is already used by an earlier stream; give each stream its own');
    assert.equal(refusal('streams:\n  - {uri: "test:", output: /o}\n  - {uri: "test:", output: /o}\n'),
      'configs/x.yaml: streams[1].output: "/o" is already used by an earlier stream; give each stream its own');
    assert.equal(refusal('streams:\n  - {uri: "test:", prompts: {objects: "a, b", thresholds: "0.1, 0.2, 0.3"}}\n'),
      'configs/x.yaml: streams[0].prompts.thresholds: 2 prompts but 3 thresholds: give one threshold per prompt, or a '
      + 'single threshold for all');
    assert.equal(refusal('prompts: {maxPrompts: 1}\nstreams:\n  - {uri: "test:", prompts: {objects: "a, b", thresholds: 0.1}}\n'),
      'configs/x.yaml: streams[0].prompts.objects: 2 prompts given, at most 1 allowed');
    assert.equal(refusal('input: {uri: "test:", maxStreams: 2}\nstreams: ["test:", "test:"]\n'),
      'configs/x.yaml: streams: 3 streams configured, at most input.maxStreams (2) allowed');
    assert.equal(refusal('input: {uri: "test:", vst: {follow: true}}\n'), 'configs/x.yaml: input.vst.follow: following VST '
      + 'needs a VST address (http://host:81) in input.uri, received "test:"');
  });

  it('needs an input unless streams are listed or the service may start empty', () => {
    assert.throws(() => resolveConfig([], {}), /no video input/);
    assert.equal(resolveConfig([], { OWL_STREAMS: 'test:' }).kind, 'run');
    assert.equal(resolveConfig([], { OWL_INPUT_ALLOW_EMPTY: 'true' }).kind, 'run');
  });

  it('masks passwords of stream URLs wherever the config is shown', () => {
    const config = load('streams: ["rtsp://admin:secret@cam/live"]\n');
    assert.equal(redactConfig(config).streams[0].uri, 'rtsp://admin:***@cam/live');
  });

  it('starts input.uri first (at output.url\'s mount), then the streams in order', () => {
    const config = load('input: {uri: "rtsp://cam0/front"}\nsensor: {location: hall}\nstreams: ["test:", {uri: "test:", id: x}]\n');
    const specs = configuredStreams(config);
    assert.deepEqual(specs.map((s) => [s.origin, s.id, s.uri, s.mount]),
      [['input', '', 'rtsp://cam0/front', '/out'], ['config', '', 'test:', ''], ['config', 'x', 'test:', '']]);
    assert.equal(specs[0].sensor.location, 'hall');
    const following = load('input: {uri: "http://vst:81", vst: {follow: true}}\nstreams: ["test:"]\n');
    assert.deepEqual(configuredStreams(following).map((s) => s.uri), ['test:'], 'a followed VST adds its streams later');
  });
});
