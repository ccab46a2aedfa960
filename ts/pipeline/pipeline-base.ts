// SPDX-License-Identifier: Apache-2.0
// What both engines' pipeline classes (ts/pipeline.ts Pipeline, deepstream-pipeline.ts DeepStreamPipeline) share:
// the state union and its one setter, native events turned into 'state' events and PipelineError 'error'
// events, the started-once guard, and a stop that never blocks the JS thread (the addon stops and joins on a
// worker thread and settles a Promise).
import { EventEmitter } from 'node:events';

import createDebug from 'debug';

import type { NativePipelineEvent, NativePipelineState, NativePipelineStats } from '../native';
import { PipelineError } from './pipeline-error';

const debug = createDebug('owl:pipeline');

/**
 * `idle` before start; then `connecting` → `playing` → (`lost` → `connecting` …) → `reconnected`; `stopped`.
 * `playing` and `reconnected` both mean frames are flowing.
 */
export type PipelineState = 'idle' | NativePipelineState;

/** A state transition and why it happened (e.g. the input's error message for `lost`). */
export interface PipelineStateChange {
  state: Exclude<PipelineState, 'idle'>;
  reason: string;
}

/** A pipeline's counters before it started. */
export const ZERO_PIPELINE_STATS: Readonly<NativePipelineStats> = Object.freeze(
  { framesIn: 0, framesOut: 0, framesToModel: 0, framesDropped: 0, reconnects: 0, eventsDropped: 0 });

/** The events every pipeline emits; each class adds its own data event. */
export interface PipelineEvents {
  state: [change: PipelineStateChange];
  /**
   * Failures reconnecting cannot fix (e.g. the shared RTSP server stopped, the DeepStream broker failed), with the
   * failing element in `source`. Without a listener, logged.
   */
  error: [error: PipelineError];
}

/** The shared part of a pipeline class; see the file comment. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own constraint on event maps
export abstract class PipelineBase<Events extends PipelineEvents & Record<keyof Events, any[]>>
  extends EventEmitter<Events> {
  #state: PipelineState = 'idle';
  #stopping: Promise<void> | null = null;

  /** The current state. */
  get state(): PipelineState {
    return this.#state;
  }

  /**
   * Stops reading and serving; `state` is `stopped` at once and, if it had started, a final 'state' event `stopped`
   * follows. The native stop (pipeline to NULL, thread joins) runs off the JS thread: the Promise resolves once it
   * is done and never rejects (a failure is logged). Idempotent: every call returns the same Promise. A started
   * pipeline keeps the process alive until then.
   */
  stop(): Promise<void> {
    // At once, so frames still queued are not emitted; the 'state' event itself follows from the native side.
    this.#state = 'stopped';
    this.#stopping ??= this.stopNative().catch((err: unknown) => {
      debug('stop failed: %s', (err as Error)?.message ?? err);
      console.warn(`[owl-stream] pipeline stop failed: ${(err as Error)?.message ?? err}`);
    });
    return this.#stopping;
  }

  /** Stops the native pipeline (and what the subclass owns besides). Called once, by stop(). */
  protected abstract stopNative(): Promise<void>;

  /** @throws {PipelineError} ESTATE unless idle: a pipeline starts once. */
  protected assertIdle(className: string): void {
    if (this.#state !== 'idle') {
      throw new PipelineError(`${className} was already started (state ${this.#state}): create a new one`, 'ESTATE',
        'owl');
    }
  }

  /** The native pipeline has started: connecting happens in the background. */
  protected markStarted(): void {
    this.#state = 'connecting';
  }

  /** The native side's onEvent: a state change becomes 'state', an error 'error' (a PipelineError). */
  protected readonly onNativeEvent = (event: NativePipelineEvent): void => {
    if (event.type === 'error') {
      const error = PipelineError.fromEvent(event);
      if (this.#events.listenerCount('error') > 0) {
        this.#events.emit('error', error);
      } else {
        debug('unhandled error event: %s (%s)', error.message, error.code);
        console.warn(`[owl-stream] pipeline error (no 'error' listener): ${error.message}`);
      }
      return;
    }
    debug('%s: %s', event.state, event.reason);
    // Events queued before stop() still arrive; the state stays `stopped` from stop() on.
    if (this.#stopping === null) this.#state = event.state;
    this.#events.emit('state', { state: event.state, reason: event.reason });
  };

  // This emitter typed by the events every pipeline has, whatever the subclass adds to them.
  get #events(): EventEmitter<PipelineEvents> {
    return this as unknown as EventEmitter<PipelineEvents>;
  }
}
