// SPDX-License-Identifier: Apache-2.0
// Carries out a reload plan (reload-plan.ts) on the running parts, step by step in the plan's order: streams that
// stop are awaited before any starts (a changed stream keeps its id and mount), and each step's failure is logged
// without stopping the others. What needs a restart is said in one line at the end.
import type { OwlConfig } from '../config/schema';
import type { Engine } from './engine';
import type { PromptLimits } from '../model/prompts';
import type { Logger } from './logger';
import type { ModelLoader } from './model-loader';
import type { PromptControl } from './prompt-control';
import type { ReloadAction, ReloadTraits } from './reload-plan';
import type { ServiceStream } from './service-stream';
import { sameSpec } from './stream-spec';
import type { StreamRegistry } from './stream-registry';

/** The running parts a reload changes. */
export interface ReloadParts {
  engine: Pick<Engine, 'name' | 'redis' | 'mqtt' | 'modelLive' | 'trackerLive'
    | 'unusedSettings'>;
  registry: StreamRegistry;
  model: Pick<ModelLoader, 'load'>;
  prompts: PromptControl;
  /** The prompt limits in force (shared with the API and the model's prompt sets): updated in place. */
  promptLimits: PromptLimits;
  log: Logger;
}

/** What the running engine takes live (the plan's input). */
export function reloadTraits(engine: ReloadParts['engine']): ReloadTraits {
  return { redis: engine.redis.update !== null, mqtt: (engine.mqtt?.update ?? null) !== null,
    model: engine.modelLive, tracker: engine.trackerLive,
    unused: engine.unusedSettings };
}

/**
 * Applies the plan's steps.
 * @throws {ServiceError | PromptError | ModelError} when the new service-wide prompts cannot be applied (the
 *   steps before it are applied; the restart line is still logged).
 */
export async function executeReload(actions: readonly ReloadAction[], parts: ReloadParts): Promise<void> {
  const { engine, registry, model, prompts, promptLimits, log } = parts;
  const stops: Promise<void>[] = [];
  const restart = actions.flatMap((action) => (action.kind === 'restart-needed' ? action.keys : []));
  const noEffect = actions.flatMap((action) => (action.kind === 'no-effect' ? action.keys : []));
  try {
    for (const action of actions) {
      switch (action.kind) {
        case 'log-level':
          log.setLevel(action.level);
          break;
        case 'redis': {
          const { enabled, host, port, stream, maxlen, queueSize, outputInterval, idFormat } = action.redis;
          applyOutput('Redis', () => engine.redis.update?.(action.redis), log, !enabled ? 'Redis output now off'
            : `Redis target now ${host}:${port} stream ${stream} (maxlen ${maxlen}, queue ${queueSize}, `
              + `${every(outputInterval)}, ids as ${idFormat}s)`);
          break;
        }
        case 'mqtt': {
          const { enabled, url, topic, qos, retain, queueSize, outputInterval } = action.mqtt;
          applyOutput('MQTT', () => engine.mqtt?.update?.(action.mqtt), log, !enabled ? 'MQTT output now off'
            : `MQTT output now ${url} topic ${topic} (QoS ${qos}${retain ? ', retained' : ''}, queue ${queueSize}, `
              + `${every(outputInterval)})`);
          break;
        }
        case 'prompt-limits':
          Object.assign(promptLimits, action.limits);
          log.info(`prompt limits now ${promptLimits.maxPrompts} prompts of at most ${promptLimits.maxPromptLength} `
            + 'characters');
          break;
        case 'overlay':
          eachStream(parts, 'overlay', (stream) => stream.setOverlay(action.overlay));
          break;
        case 'tracker':
          eachStream(parts, 'tracker', (stream) => stream.setTracker(action.tracker));
          log.info(`tracker now ${describeTracker(action.tracker)}`);
          break;
        case 'model':
          await model.load(action.model);  // never rejects: a failure is logged, the model in use runs on
          break;
        case 'stop-stream': {
          const running = registry.list().find((stream) => stream.spec.origin === 'config'
            && sameSpec(stream.spec, action.spec));
          if (running !== undefined) stops.push(registry.stop(running, 'no longer configured'));
          break;
        }
        case 'start-stream':
          await Promise.all(stops.splice(0));
          try {
            registry.start(action.spec);
          } catch (err) {
            log.error(`stream ${action.spec.id || action.spec.uri} not started: ${(err as Error).message}`);
          }
          break;
        case 'prompts':
          await Promise.all(stops.splice(0));
          // Unlike a prompt change through the API, the file still gives its streams prompts of their own.
          await prompts.set(action.prompts.objects, action.prompts.thresholds);
          await prompts.reapplyConfigured();
          break;
        case 'restart-needed':  // said at the end, whatever fails before
        case 'no-effect':
          break;
      }
    }
    await Promise.all(stops);
  } finally {
    if (restart.length > 0) log.warn(`changes to ${restart.join(', ')} take effect after a restart`);
    if (noEffect.length > 0) log.warn(`changes to ${noEffect.join(', ')} have no effect with engine ${engine.name}`);
  }
}

/** Applies a setting to every running stream; a stream that refuses it is logged, the others still get it. */
function eachStream({ registry, log }: ReloadParts, what: string, apply: (stream: ServiceStream) => void): void {
  for (const stream of registry.list()) {
    try {
      apply(stream);
    } catch (err) {
      log.error(`${what} of stream ${stream.id}: ${(err as Error).message}`);
    }
  }
}

/** The tracker settings for the log, e.g. "on (boxes predicted per frame, min hits 2, buffer 3000 ms, ...)". */
function describeTracker(tracker: OwlConfig['tracker']): string {
  if (!tracker.enabled) return 'off (every detection a new object)';
  return `on (boxes ${tracker.drawPredicted ? 'predicted per frame' : 'at the model\'s'}, low scores down to `
    + `${tracker.lowScoreRatio} x the threshold, min hits ${tracker.minHits}, buffer ${tracker.bufferMs} ms, `
    + `match IoU ${tracker.matchIou} / ${tracker.lowMatchIou})`;
}

/** "every 1 frame", "every 60 frames". */
function every(interval: number): string {
  return `every ${interval} frame${interval === 1 ? '' : 's'}`;
}

/** Applies an output's new settings and says so; settings it refuses (e.g. an unreadable TLS file) are logged. */
function applyOutput(name: string, apply: () => void, log: Logger, done: string): void {
  try {
    apply();
  } catch (err) {
    log.error(`${name} settings not applied, the previous ones stay in force: ${(err as Error).message}`);
    return;
  }
  log.info(done);
}
