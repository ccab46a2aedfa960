// SPDX-License-Identifier: Apache-2.0
// A configuration reload (SIGHUP) as a plan: from the configuration in force and the new one, the actions that
// apply the change while the streams run, and the settings that need a restart. Pure: no process, no I/O, so
// every rule is unit-tested (test/reload-plan.test.ts); reload-executor.ts carries a plan out.
import type { OwlConfig } from '../config/schema';
import type { PromptLimits, PromptSet } from '../model/prompts';
import type { LogLevel } from './logger';
import { configuredStreams, sameSpec, type StreamSpec } from './stream-spec';

/**
 * What the running engine takes live of its own settings (Engine: redis.update, mqtt.update, modelLive,
 * trackerLive), and what it has no use for (Engine.unusedSettings).
 */
export interface ReloadTraits {
  /** The `redis` section. */
  redis: boolean;
  /** The `mqtt` section. */
  mqtt: boolean;
  /** The `model` section, and a model folder whose files changed. */
  model: boolean;
  /** The `tracker` section. */
  tracker: boolean;
  /** Settings the engine does not use, as dotted keys or whole sections: a change to them has no effect. */
  unused: readonly string[];
}

/** What changed outside the configuration since the model was last loaded. */
export interface ReloadFacts {
  /** The model folder's files (model-watch.ts): a folder fixed on disk, a re-export. */
  modelFiles: boolean;
}

/** One step of a reload, in the order a plan lists them. */
export type ReloadAction =
  | { kind: 'log-level'; level: LogLevel }
  /** The Redis writer's settings (on or off, target, trim, queue bound, interval, id format, access). */
  | { kind: 'redis'; redis: OwlConfig['redis'] }
  /** The MQTT writer's settings (on or off, broker, topic, QoS, retain, client id, access, queue bound, interval). */
  | { kind: 'mqtt'; mqtt: OwlConfig['mqtt'] }
  /** The limits in force for any prompt list (API, configuration). */
  | { kind: 'prompt-limits'; limits: PromptLimits }
  /** The overlay style of every running stream. */
  | { kind: 'overlay'; overlay: OwlConfig['overlay'] }
  /** The model loaded again (its settings or files changed); the one in use runs until the new one is in. */
  | { kind: 'model'; model: OwlConfig['model'] }
  /** The tracker settings of every running stream (tracks and ids are kept). */
  | { kind: 'tracker'; tracker: OwlConfig['tracker'] }
  /** A `streams:` entry removed or changed: its stream stops (before any starts). */
  | { kind: 'stop-stream'; spec: StreamSpec }
  /** A `streams:` entry added or changed: its stream starts. */
  | { kind: 'start-stream'; spec: StreamSpec }
  /** The service-wide prompts (the configured streams' own prompts are given back to them after). */
  | { kind: 'prompts'; prompts: PromptSet }
  /** Changed settings that take effect only after a restart (dotted keys or whole sections). */
  | { kind: 'restart-needed'; keys: string[] }
  /** Changed settings the running engine does not use (ReloadTraits.unused). */
  | { kind: 'no-effect'; keys: string[] };

/** Sections the service does not take while running (`model`: unless the engine does, see ReloadTraits). */
const RESTART_SECTIONS = ['input', 'output', 'engine', 'model', 'kafka', 'api', 'sensor', 'deepstream'] as const;

/** The steps that take the service from `previous` to `next`; see the file comment. */
export function planReload(previous: OwlConfig, next: OwlConfig, traits: ReloadTraits,
  facts: ReloadFacts = { modelFiles: false }): ReloadAction[] {
  const actions: ReloadAction[] = [];
  const restart: string[] = [];
  if (next.log.level !== previous.log.level) actions.push({ kind: 'log-level', level: next.log.level });

  const redis = changedKeys(previous.redis, next.redis);
  if (redis.length > 0 && traits.redis) actions.push({ kind: 'redis', redis: next.redis });
  else restart.push(...redis.map((key) => `redis.${key}`));

  const mqtt = changedKeys(previous.mqtt, next.mqtt);
  if (mqtt.length > 0 && traits.mqtt) actions.push({ kind: 'mqtt', mqtt: next.mqtt });
  else restart.push(...mqtt.map((key) => `mqtt.${key}`));

  if (changedKeys(pick(previous.prompts), pick(next.prompts)).length > 0) {
    actions.push({ kind: 'prompt-limits', limits: pick(next.prompts) });
  }

  if (changedKeys(previous.overlay, next.overlay).length > 0) actions.push({ kind: 'overlay', overlay: next.overlay });

  const tracker = changedKeys(previous.tracker, next.tracker);
  if (tracker.length > 0 && traits.tracker) actions.push({ kind: 'tracker', tracker: next.tracker });
  else restart.push(...tracker.map((key) => `tracker.${key}`));

  // Before the streams and prompts: those that start or change use the new model.
  const modelSettings = changedKeys(previous.model, next.model).length > 0;
  if (traits.model && (modelSettings || facts.modelFiles)) actions.push({ kind: 'model', model: next.model });

  const before = configuredStreams(previous).filter((spec) => spec.origin === 'config');
  const after = configuredStreams(next).filter((spec) => spec.origin === 'config');
  for (const spec of before) {
    if (!after.some((wanted) => sameSpec(wanted, spec))) actions.push({ kind: 'stop-stream', spec });
  }
  for (const spec of after) {
    if (!before.some((running) => sameSpec(running, spec))) actions.push({ kind: 'start-stream', spec });
  }

  const prompts = { objects: next.prompts.objects, thresholds: next.prompts.thresholds };
  if (JSON.stringify(prompts) !== JSON.stringify({ objects: previous.prompts.objects,
    thresholds: previous.prompts.thresholds })) {
    actions.push({ kind: 'prompts', prompts });
  }

  restart.push(...RESTART_SECTIONS.filter((key) => JSON.stringify(next[key]) !== JSON.stringify(previous[key]))
    .filter((key) => key !== 'model' || !traits.model));
  const unused = (key: string) => traits.unused.some((setting) => key === setting || key.startsWith(`${setting}.`));
  const needed = restart.filter((key) => !unused(key));
  if (needed.length > 0) actions.push({ kind: 'restart-needed', keys: needed });
  if (needed.length < restart.length) actions.push({ kind: 'no-effect', keys: restart.filter(unused) });
  return actions;
}

function changedKeys<T extends object>(previous: T, next: T): (keyof T & string)[] {
  return (Object.keys(next) as (keyof T & string)[])
    .filter((key) => JSON.stringify(next[key]) !== JSON.stringify(previous[key]));
}

function pick(prompts: OwlConfig['prompts']): PromptLimits {
  return { maxPrompts: prompts.maxPrompts, maxPromptLength: prompts.maxPromptLength };
}
