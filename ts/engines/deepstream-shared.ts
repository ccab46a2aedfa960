// SPDX-License-Identifier: Apache-2.0
// The DeepStream engine's one pipeline, shared by all its streams (ts/pipeline/deepstream-pipeline.ts). It starts
// when the first stream joins: the run folder of generated configs is written and the shared part is parsed
// (nvstreammux and nvinfer of batch input.maxStreams, nvtracker, the metadata branches). It then plays while streams
// come and go, also with none, and stops with the service: nvinfer deserialises its TensorRT engine once (seconds to
// minutes on a Jetson, and the engine's GPU memory is taken while the pipeline lives either way), so the camera
// added next does not wait for it again.
//
// Each stream is one source of it: join() adds it (addSource) and leave() removes it (removeSource, resolving at
// the stream's `stopped` state); the pipeline's per-stream states, errors and detections go to the stream they name.
// A join waits for a stream of the same id still leaving, so nothing of the old one reaches the new one; and a
// removed stream's slot is free again only once its frames have drained out of the muxer and demuxer (at most about
// 2 s after), so a join that finds every slot taken tries again until one is.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { OwlConfig } from '../config/schema';
import type { DeepStreamModel } from '../deepstream/config-input';
import { prepareDeepStream } from '../deepstream/engine';
import type { DeepStreamBinding, NativePromptSet } from '../native';
import {
  DeepStreamPipeline, PipelineError, type DeepStreamDetections, type DeepStreamPipelineStats,
  type DeepStreamStreamOptions, type DeepStreamStreamStateChange, type PipelineStateChange,
} from '../pipeline';
import type { Logger } from '../service/logger';
import { configuredStreams } from '../service/stream-spec';
import type { BrokerStatus } from './broker-status';

/** A stream of the shared pipeline, as the pipeline's events reach it. */
export interface DeepStreamMember {
  /** Its id in the pipeline (the stream id, final once it joins). */
  readonly id: string;
  /** Called once it is a source, in the same turn: its prompts go in before its first frame is inferred. */
  joined(): void;
  /** Its state: connecting, playing, lost, reconnected (never `stopped`: leaving is the stream's own doing). */
  onState(change: PipelineStateChange): void;
  /** An error of its own part (source, output branch); the pipeline rebuilds that part alone. */
  onError(error: PipelineError): void;
  onDetections(frame: DeepStreamDetections): void;
}

/** What the shared pipeline needs. */
export interface SharedDeepStreamPipelineOptions {
  binding: DeepStreamBinding;
  /** The configuration at start: the pipeline is built for it once. */
  config: OwlConfig;
  log: Logger;
  /** The metadata outputs' state, fed with the pipeline's states and its branches' errors. */
  outputs: BrokerStatus;
}

/** How long leave() waits for the stream's `stopped` state before it resolves anyway. */
const LEAVE_DEADLINE_MS = 3000;
/**
 * How long a join waits for a slot to drain (the native bound is 2 s: a removed stream's end out of the demuxer),
 * trying every SLOT_POLL_MS.
 */
const SLOT_DRAIN_MS = 3000;
const SLOT_POLL_MS = 50;

/** The DeepStream engine's pipeline; see the file comment. */
export class SharedDeepStreamPipeline {
  readonly #options: SharedDeepStreamPipelineOptions;
  #pipeline: DeepStreamPipeline | null = null;
  #starting: Promise<DeepStreamPipeline> | null = null;
  #runDir: string | null = null;
  #closed = false;
  #overlay: OwlConfig['overlay'];
  // The streams that are sources now, by id.
  readonly #members = new Map<string, DeepStreamMember>();
  // Streams removed and still draining, by id: settled by their `stopped` state (or the deadline).
  readonly #leaving = new Map<string, { left: Promise<void>; settle: () => void }>();

  constructor(options: SharedDeepStreamPipelineOptions) {
    this.#options = options;
    this.#overlay = options.config.overlay;
  }

  /**
   * Makes `member` a source of the pipeline, starting the pipeline first when none runs. Waits for a slot while
   * every one is taken by a stream still draining, and for a stream of the same id to finish leaving.
   * @param model the image encoder nvinfer runs (read when the pipeline starts).
   * @param stream builds the source's options (its bins, a free UDP port for its output), once.
   * @param signal aborted when the stream stops meanwhile: it does not join then.
   * @throws {PipelineError | Error} what starting the pipeline or adding the source threw (the message says what
   *   to fix); an aborted join resolves without joining instead.
   */
  async join(member: DeepStreamMember, model: DeepStreamModel, stream: () => Promise<DeepStreamStreamOptions>,
    signal: AbortSignal): Promise<void> {
    const pipeline = await this.#started(model);
    const options = await stream();
    await this.#leaving.get(member.id)?.left;
    // The registry keeps to input.maxStreams streams, the pipeline's slots: no free slot means one is still draining.
    const drained = performance.now() + SLOT_DRAIN_MS;
    for (;;) {
      if (signal.aborted || this.#closed) return;
      try {
        pipeline.addSource(member.id, options);
        break;
      } catch (err) {
        if (!(err instanceof PipelineError && err.code === 'ENOSPC') || performance.now() > drained) throw err;
        await sleep(SLOT_POLL_MS);
      }
    }
    this.#members.set(member.id, member);
    member.joined();
  }

  /**
   * Removes `member` from the pipeline; resolves once its slot has drained (its `stopped` state), or after a
   * deadline. A member that never joined (stopped while discovering or waiting) resolves at once.
   */
  leave(member: DeepStreamMember): Promise<void> {
    const { id } = member;
    const pipeline = this.#pipeline;
    if (this.#members.get(id) !== member || pipeline === null) return Promise.resolve();
    this.#members.delete(id);
    let settle = () => {};
    const left = new Promise<void>((resolve) => { settle = resolve; });
    const timer = setTimeout(settle, LEAVE_DEADLINE_MS);
    this.#leaving.set(id, { left, settle });
    void left.then(() => {
      clearTimeout(timer);
      if (this.#leaving.get(id)?.left === left) this.#leaving.delete(id);
    });
    try {
      pipeline.removeSource(id);
    } catch (err) {
      // Not running any more (the service is stopping): nothing is left to drain.
      this.#options.log.debug(`stream ${id} not removed from the DeepStream pipeline: ${(err as Error).message}`);
      settle();
    }
    return left;
  }

  /**
   * A stream's prompts from its next inferred frame on; nothing while it is not a source.
   * @throws {PipelineError} EINVAL for mismatched embeddings, thresholds or labels.
   */
  setPrompts(member: DeepStreamMember, prompts: NativePromptSet, labels: string[]): void {
    if (this.#members.get(member.id) !== member) return;
    this.#pipeline?.setPrompts(member.id, prompts, labels);
  }

  /** How nvdsosd draws every stream's objects from the next frame on (also a pipeline started later). */
  setOverlay(style: OwlConfig['overlay']): void {
    this.#overlay = style;
    if (this.#pipeline !== null && this.#pipeline.state !== 'stopped') this.#pipeline.setOverlayStyle(style);
  }

  /** A source's counters, or null while it is none; with the pipeline's own. */
  stats(member: DeepStreamMember): { stream: DeepStreamPipelineStats['streams'][string] | null;
    pipeline: DeepStreamPipelineStats | null } {
    const stats = this.#pipeline?.stats() ?? null;
    const joined = this.#members.get(member.id) === member;
    return { stream: joined ? stats?.streams[member.id] ?? null : null, pipeline: stats };
  }

  /** Stops the pipeline (every stream with it) and removes its run folder; nothing joins afterwards. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#starting?.catch(() => undefined);
    await this.#pipeline?.stop();
    for (const { settle } of this.#leaving.values()) settle();
    this.#members.clear();
    this.#removeRunDir();
  }

  // The pipeline, started once; a start that failed is tried again by the next join.
  #started(model: DeepStreamModel): Promise<DeepStreamPipeline> {
    if (this.#pipeline !== null) return Promise.resolve(this.#pipeline);
    this.#starting ??= this.#start(model).catch((err: unknown) => {
      this.#starting = null;
      this.#removeRunDir();
      throw err;
    });
    return this.#starting;
  }

  async #start(model: DeepStreamModel): Promise<DeepStreamPipeline> {
    const { config, binding, log } = this.#options;
    this.#runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-deepstream-'));
    const run = await prepareDeepStream({
      config, model, runDir: this.#runDir, deepstreamDir: binding.deepstreamDir, outputs: config.output.enabled,
      liveSources: liveSources(config),
    });
    for (const warning of run.warnings) log.warn(warning);
    if (this.#closed) throw new Error('the service is stopping');
    const pipeline = new DeepStreamPipeline(binding);
    pipeline.on('state', (change) => this.#onState(change));
    pipeline.on('streamState', (change) => this.#onStreamState(change));
    pipeline.on('error', (error) => this.#onError(error));
    pipeline.on('detections', (frame) => this.#members.get(frame.stream)?.onDetections(frame));
    pipeline.start({ ...run.options, overlay: { ...run.options.overlay, ...this.#overlay } });
    this.#pipeline = pipeline;
    const batch = `nvstreammux batch ${run.options.maxStreams}`;
    log.info(`DeepStream pipeline started for up to ${run.options.maxStreams} streams (${batch}); generated files in `
      + `${this.#runDir}`);
    return pipeline;
  }

  // The shared part's states are the metadata outputs' (nvmsgbroker is part of it); each stream has its own.
  #onState({ state, reason }: PipelineStateChange): void {
    this.#options.outputs.pipelineState(state);
    const line = `DeepStream pipeline ${state}${reason === '' ? '' : `: ${reason}`}`;
    if (state === 'lost') this.#options.log.warn(line); else this.#options.log.info(line);
  }

  #onStreamState({ stream, state, reason }: DeepStreamStreamStateChange): void {
    if (state === 'stopped') {
      this.#leaving.get(stream)?.settle();
      return;
    }
    this.#members.get(stream)?.onState({ state, reason });
  }

  // A stream's own failure is that stream's; one of the shared part (nvinfer, nvtracker, a metadata branch) is the
  // pipeline's, and a metadata branch's also that output's.
  #onError(error: PipelineError): void {
    const member = error.stream === null ? undefined : this.#members.get(error.stream);
    if (member !== undefined) {
      member.onError(error);
      return;
    }
    if (error.source !== null) this.#options.outputs.elementError(error.source, error.message);
    this.#options.log.error(error.stream === null ? error.message : `stream ${error.stream}: ${error.message}`);
  }

  #removeRunDir(): void {
    if (this.#runDir === null) return;
    fs.rmSync(this.#runDir, { recursive: true, force: true });
    this.#runDir = null;
  }
}

/**
 * The legacy nvstreammux's live-source: on unless every configured stream is a file (cameras, VST and streams added
 * through the API are live).
 */
function liveSources(config: OwlConfig): boolean {
  const specs = configuredStreams(config);
  return specs.length === 0 || specs.some((spec) => spec.input.kind !== 'file');
}
