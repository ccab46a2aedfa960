// SPDX-License-Identifier: Apache-2.0
// The reload plan (SIGHUP) without a process: which changes apply live, in which order, and which are named as
// needing a restart, for an engine whose Redis writer takes changes (portable) and for one whose writer is part of
// its pipeline (DeepStream). The executor is exercised by the real-process tests (service-lifecycle, multistream).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { configSchema, type OwlConfig } from '../ts/config/schema';
import { DEFAULT_PROMPT_LIMITS } from '../ts/model/prompts';
import { planReload, type ReloadAction, type ReloadTraits } from '../ts/service/reload-plan';

// As the engines declare them (ts/engines/portable.ts, deepstream.ts).
const PORTABLE: ReloadTraits = { redis: true, mqtt: true, model: true, tracker: true,
  unused: ['deepstream', 'kafka'] };
const DEEPSTREAM: ReloadTraits = { redis: false, mqtt: false, model: false, tracker: false,
  unused: ['tracker.drawPredicted', 'tracker.lowScoreRatio', 'tracker.minHits', 'tracker.bufferMs', 'tracker.matchIou',
    'tracker.lowMatchIou'] };

/** A configuration as a file would give it (every default filled in). */
function config(file: Record<string, unknown> = {}): OwlConfig {
  return configSchema.parse({ input: { uri: 'test:' }, ...file });
}

const kinds = (actions: ReloadAction[]) => actions.map((action) => action.kind);

describe('reload plan', () => {
  test('an unchanged configuration plans nothing', () => {
    assert.deepEqual(planReload(config(), config(), PORTABLE), []);
  });

  test('the log level', () => {
    assert.deepEqual(planReload(config(), config({ log: { level: 'debug' } }), PORTABLE),
      [{ kind: 'log-level', level: 'debug' }]);
  });

  test('every redis setting applies live where the engine writes Redis itself', () => {
    const next = config({ redis: { host: 'other', port: 6380, stream: 's2', maxlen: 5, queueSize: 7, outputInterval: 3,
      idFormat: 'number' } });
    assert.deepEqual(planReload(config(), next, PORTABLE), [{ kind: 'redis', redis: next.redis }]);
    // Each of the settings that were once kept silently (maxlen, queueSize, outputInterval, idFormat) on its own.
    for (const [key, value] of [['maxlen', 0], ['queueSize', 1], ['outputInterval', 60], ['idFormat', 'number']]) {
      const one = config({ redis: { [key]: value } });
      assert.deepEqual(planReload(config(), one, PORTABLE), [{ kind: 'redis', redis: one.redis }], String(key));
    }
  });

  test('redis settings need a restart where nvmsgbroker writes Redis, each one named', () => {
    const next = config({ redis: { host: 'other', outputInterval: 60 } });
    assert.deepEqual(planReload(config(), next, DEEPSTREAM),
      [{ kind: 'restart-needed', keys: ['redis.host', 'redis.outputInterval'] }]);
  });

  test('redis.enabled turns the Redis output on or off live where the engine writes Redis itself', () => {
    const off = config({ redis: { enabled: false } });
    assert.deepEqual(planReload(config(), off, PORTABLE), [{ kind: 'redis', redis: off.redis }]);
    assert.deepEqual(planReload(off, config(), PORTABLE), [{ kind: 'redis', redis: config().redis }]);
    assert.deepEqual(planReload(config(), off, DEEPSTREAM), [{ kind: 'restart-needed', keys: ['redis.enabled'] }]);
  });

  test('every mqtt setting applies live where the engine writes MQTT itself, each needs a restart where not', () => {
    const on = config({ mqtt: { enabled: true } });
    const next = config({ mqtt: { enabled: true, url: 'mqtts://broker:8883', topic: 'site/{sensorId}', qos: 1,
      clientId: 'gate', username: 'owl', passwordFile: '/run/secrets/mqtt', caFile: '/ca.pem', queueSize: 5,
      outputInterval: 2 } });
    assert.deepEqual(planReload(on, next, PORTABLE), [{ kind: 'mqtt', mqtt: next.mqtt }]);
    assert.deepEqual(planReload(config(), on, PORTABLE), [{ kind: 'mqtt', mqtt: on.mqtt }]);
    assert.deepEqual(planReload(on, config(), PORTABLE), [{ kind: 'mqtt', mqtt: config().mqtt }]);
    assert.deepEqual(planReload(on, next, DEEPSTREAM), [{ kind: 'restart-needed', keys: ['mqtt.url', 'mqtt.topic',
      'mqtt.qos', 'mqtt.clientId', 'mqtt.username', 'mqtt.passwordFile', 'mqtt.caFile', 'mqtt.outputInterval',
      'mqtt.queueSize'] }]);
  });

  test('the kafka section needs a restart with nvmsgbroker, and has no effect with the portable engine (no Kafka)', () => {
    const next = config({ kafka: { enabled: true, topic: 'cams' } });
    assert.deepEqual(planReload(config(), next, DEEPSTREAM), [{ kind: 'restart-needed', keys: ['kafka'] }]);
    assert.deepEqual(planReload(config(), next, PORTABLE), [{ kind: 'no-effect', keys: ['kafka'] }]);
  });

  test('prompt limits apply live with either engine', () => {
    const next = config({ prompts: { maxPrompts: 40, maxPromptLength: 300 } });
    for (const traits of [PORTABLE, DEEPSTREAM]) {
      assert.deepEqual(planReload(config(), next, traits),
        [{ kind: 'prompt-limits', limits: { maxPrompts: 40, maxPromptLength: 300 } }]);
    }
    assert.deepEqual(planReload(config(), config({ prompts: { maxPrompts: 40 } }), DEEPSTREAM), [{ kind: 'prompt-limits',
      limits: { maxPrompts: 40, maxPromptLength: DEFAULT_PROMPT_LIMITS.maxPromptLength } }]);
  });

  test('the overlay style and the prompts', () => {
    const next = config({ overlay: { lineWidth: 12 }, prompts: { objects: 'a dog, a cat', thresholds: [0.3] } });
    assert.deepEqual(planReload(config(), next, PORTABLE), [
      { kind: 'overlay', overlay: { lineWidth: 12, fontSize: 20, showScores: false } },
      { kind: 'prompts', prompts: { objects: ['a dog', 'a cat'], thresholds: [0.3, 0.3] } },
    ]);
    // Thresholds alone are a change too.
    assert.deepEqual(kinds(planReload(config(), config({ prompts: { thresholds: [0.5] } }), PORTABLE)), ['prompts']);
  });

  test('the tracker settings apply live where the engine tracks in this process; nvtracker needs a restart and has '
    + 'no use for ByteTrack\'s keys', () => {
    const next = config({ tracker: { minHits: 3, drawPredicted: false } });
    assert.deepEqual(planReload(config(), next, PORTABLE), [{ kind: 'tracker', tracker: next.tracker }]);
    assert.deepEqual(next.tracker, { enabled: true, drawPredicted: false, lowScoreRatio: 0.5, minHits: 3,
      bufferMs: 3000, matchIou: 0.3, lowMatchIou: 0.5 });
    assert.deepEqual(planReload(config(), next, DEEPSTREAM),
      [{ kind: 'no-effect', keys: ['tracker.drawPredicted', 'tracker.minHits'] }]);
    // Turning it off is a change like any other: live in this process, nvtracker out of the pipeline at a restart.
    const off = config({ tracker: { enabled: false, minHits: 4 } });
    assert.deepEqual(planReload(config(), off, PORTABLE), [{ kind: 'tracker', tracker: off.tracker }]);
    assert.deepEqual(planReload(config(), off, DEEPSTREAM), [{ kind: 'restart-needed', keys: ['tracker.enabled'] },
      { kind: 'no-effect', keys: ['tracker.minHits'] }]);
    assert.deepEqual(planReload(next, next, PORTABLE), []);
  });

  test('the deepstream section needs a restart with engine deepstream and has no effect with the portable one', () => {
    const next = config({ deepstream: { inferInterval: 2, tracker: { algorithm: 'NvSORT' } } });
    assert.deepEqual(planReload(config(), next, DEEPSTREAM), [{ kind: 'restart-needed', keys: ['deepstream'] }]);
    assert.deepEqual(planReload(config(), next, PORTABLE), [{ kind: 'no-effect', keys: ['deepstream'] }]);
  });

  test('streams: removed and changed entries stop before added and changed ones start; unchanged ones run on', () => {
    const previous = config({ streams: [{ uri: 'test:ball', id: 'a' }, { uri: 'test:snow', id: 'b' },
      { uri: 'test:smpte', id: 'c' }] });
    const next = config({ streams: [{ uri: 'test:ball', id: 'a' }, { uri: 'test:snow', id: 'b', output: '/b' },
      { uri: 'test:pinwheel', id: 'd' }] });
    const actions = planReload(previous, next, PORTABLE);
    assert.deepEqual(actions.map((action) => (action.kind === 'stop-stream' || action.kind === 'start-stream'
      ? `${action.kind} ${action.spec.id} ${action.spec.mount}` : action.kind)),
    ['stop-stream b ', 'stop-stream c ', 'start-stream b /b', 'start-stream d ']);
  });

  test('a stream\'s own prompts are part of it: changing them restarts that stream only', () => {
    const previous = config({ streams: [{ uri: 'test:ball', id: 'a', prompts: { objects: 'a bike', thresholds: [0.2] } }] });
    const next = config({ streams: [{ uri: 'test:ball', id: 'a', prompts: { objects: 'a car', thresholds: [0.2] } }] });
    assert.deepEqual(kinds(planReload(previous, next, PORTABLE)), ['stop-stream', 'start-stream']);
  });

  test('sections no engine takes live are named as needing a restart, after the live steps', () => {
    const next = config({ input: { uri: 'test:snow' }, output: { encoder: { bitrateKbps: 4000 } }, model: { threads: 1 },
      api: { port: 5001 }, sensor: { location: 'gate' }, engine: 'portable', log: { level: 'warn' } });
    assert.deepEqual(planReload(config(), next, DEEPSTREAM), [
      { kind: 'log-level', level: 'warn' },
      { kind: 'restart-needed', keys: ['input', 'output', 'engine', 'model', 'api', 'sensor'] },
    ]);
    assert.deepEqual(planReload(config(), next, PORTABLE), [
      { kind: 'log-level', level: 'warn' },
      { kind: 'model', model: next.model },
      { kind: 'restart-needed', keys: ['input', 'output', 'engine', 'api', 'sensor'] },
    ]);
  });

  test('the model loads again where the engine takes it live: its settings or its folder\'s files changed', () => {
    const next = config({ model: { maxDetections: 5 }, streams: ['test:ball'], prompts: { objects: 'a cat' } });
    // Before the streams start and the prompts change, so that both use the new model.
    assert.deepEqual(kinds(planReload(config(), next, PORTABLE)), ['model', 'start-stream', 'prompts']);
    assert.deepEqual(planReload(config(), config(), PORTABLE, { modelFiles: true }),
      [{ kind: 'model', model: config().model }]);
    assert.deepEqual(planReload(config(), config(), PORTABLE, { modelFiles: false }), []);
    // Where the engine cannot take the model live, only changed settings are named (see the previous test).
    assert.deepEqual(planReload(config(), config(), DEEPSTREAM, { modelFiles: true }), []);
  });

  test('model.precision is a model setting: a change loads the model again live, or needs a restart', () => {
    for (const [from, to] of [['auto', 'fp32'], ['fp32', 'int8'], ['int8', 'auto']]) {
      const previous = config({ model: { precision: from } });
      const next = config({ model: { precision: to } });
      assert.deepEqual(planReload(previous, next, PORTABLE), [{ kind: 'model', model: next.model }],
        `${from} -> ${to}`);
      assert.deepEqual(planReload(previous, next, DEEPSTREAM), [{ kind: 'restart-needed', keys: ['model'] }]);
    }
  });
});
