// SPDX-License-Identifier: Apache-2.0
// PromptControl: prompt changes and a model taking over happen one at a time, so a change made while a new model
// loads (a SIGHUP reload) is in that model once it is in use, and a stream removed meanwhile leaves nothing in it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PromptSets } from '../ts/model/prompt-sets';
import type { EngineModel } from '../ts/service/engine';
import { InferenceMetrics } from '../ts/service/inference-metrics';
import type { Logger } from '../ts/service/logger';
import { PromptControl, type PromptedStreams } from '../ts/service/prompt-control';
import type { ServiceStream } from '../ts/service/service-stream';

const LIMITS = { maxPrompts: 16, maxPromptLength: 100 };
const quiet: Logger = {
  error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined,
  child: () => quiet, setLevel: () => undefined,
};

/** A model whose text encoder is a stand-in (one number per prompt: its length). */
function model(): EngineModel {
  const encode = async (objects: readonly string[]) => Float32Array.from(objects, (o) => o.length);
  return { promptSets: new PromptSets(encode, LIMITS), summary: 'stand-in',
    precision: { running: 'fp32', reason: 'stand-in', warning: null } };
}

/** A stream as PromptControl sees it; `redecodes` counts the changes it was asked to apply to its newest frame. */
function stream(key: string): ServiceStream & { redecodes: number } {
  const counted = { id: key, key, ownPromptSet: `stream:${key}`, prompts: null, spec: { prompts: null }, redecodes: 0,
    redecode: () => { counted.redecodes++; return true; } };
  return counted as unknown as ServiceStream & { redecodes: number };
}

function streamsOf(list: ServiceStream[]): PromptedStreams {
  return {
    list: () => [...list],
    has: (s) => list.includes(s),
    get: (id) => list.find((s) => s.id === id)!,
    unknown: (id) => new Error(`unknown ${id}`),
  };
}

function controlWith(list: ServiceStream[]): PromptControl {
  return new PromptControl({ initial: { objects: ['a person'], thresholds: [0.1] }, streams: streamsOf(list),
    metrics: new InferenceMetrics(), log: quiet });
}

/**
 * A reload whose model is prepared at once but taken into use only when `inUse()` is called (an engine that takes
 * a while to swap it in); resolves once the preparation has started.
 */
async function adoptHeld(control: PromptControl, next: EngineModel):
  Promise<{ reloading: Promise<EngineModel>; inUse: () => void }> {
  let inUse!: () => void;
  const reloading = control.adopt(async (prepare) => {
    await prepare(next);
    await new Promise<void>((resolve) => { inUse = resolve; });
    return next;
  });
  await new Promise((resolve) => setImmediate(resolve));
  return { reloading, inUse: () => inUse() };
}

test('a change made while a new model loads is in that model once it is in use', async () => {
  const cam = stream('cam');
  const control = controlWith([cam]);
  const first = model();
  await control.adopt(async (prepare) => { await prepare(first); return first; });
  await control.setForStream('cam', ['a dog'], [0.3]);

  // A reload: the new model is prepared, then the engine takes a while before it is in use.
  const next = model();
  const { reloading, inUse } = await adoptHeld(control, next);
  let changed = false;
  const change = control.set(['a hat', 'a bike'], [0.2, 0.4]).then(() => { changed = true; });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(changed, false, 'the change waits for the model taking over');
  inUse();
  await reloading;
  await change;

  assert.deepEqual(next.promptSets.get('default')?.state.objects, ['a hat', 'a bike'], 'the new model has the change');
  assert.deepEqual(next.promptSets.get('stream:cam')?.state.objects, ['a dog'], 'the stream\'s own, prepared');
  assert.equal(cam.prompts, null, 'the service-wide change replaced the stream\'s own prompts');
  assert.deepEqual(control.get(), { objects: ['a hat', 'a bike'], thresholds: [0.2, 0.4] });
});

test('a new model holds each running stream\'s own prompts; a stream removed meanwhile leaves nothing in it', async () => {
  const kept = stream('kept');
  const gone = stream('gone');
  const list = [kept, gone];
  const control = controlWith(list);
  const first = model();
  await control.adopt(async (prepare) => { await prepare(first); return first; });
  await control.setForStream('kept', ['a cat'], [0.5]);
  await control.setForStream('gone', ['a car'], [0.5]);

  const next = model();
  const { reloading, inUse } = await adoptHeld(control, next);
  list.splice(list.indexOf(gone), 1);
  control.released(gone);
  inUse();
  await reloading;
  await control.reapplyConfigured();  // runs after the release queued before it

  assert.deepEqual(next.promptSets.get('stream:kept')?.state.objects, ['a cat'], 'the running stream\'s own prompts');
  assert.equal(next.promptSets.get('stream:gone'), null, 'the removed stream left nothing in the new model');
});

test('a model that fails to load leaves the one in use, and changes go on to it', async () => {
  const control = controlWith([]);
  const first = model();
  await control.adopt(async (prepare) => { await prepare(first); return first; });
  await assert.rejects(control.adopt(async (prepare) => { await prepare(model()); throw new Error('corrupt'); }),
    /corrupt/);
  await control.set(['a tree'], [0.2]);
  assert.deepEqual(first.promptSets.get('default')?.state.objects, ['a tree']);
});

test('each change asks the streams it concerns, and only those, to apply it to their newest frame', async () => {
  const [front, side] = [stream('front'), stream('side')];
  const control = controlWith([front, side]);
  const first = model();
  await control.adopt(async (prepare) => { await prepare(first); return first; });
  const counts = () => [front.redecodes, side.redecodes];
  await control.setForStream('side', ['a car'], [0.2]);
  assert.deepEqual(counts(), [0, 1], 'a stream\'s own prompts: that stream');
  await control.set(['a dog'], [0.3]);
  assert.deepEqual(counts(), [1, 2], 'service-wide: every stream (side back to them)');
  await control.setForStream('side', [], []);
  assert.deepEqual(counts(), [1, 3], 'no prompts: that stream (its boxes go)');
  await control.resetStream('side');
  assert.deepEqual(counts(), [1, 4], 'back to the service-wide prompts: that stream');
});
