// SPDX-License-Identifier: Apache-2.0
// A STAND-IN ControlService for the REST API and web page tests: in-memory state instead of the supervisor,
// pipeline and model (those are tested by their own suites). It checks that the API only ever hands it valid
// prompts and stream URLs, reports one detection per prompt, keeps added streams in a list, and serves real
// JPEGs (test/helpers/test-jpegs.ts) as frames.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApiError } from '../../ts/api/errors';
import type {
  ControlService, FrameDetections, MetricsSnapshot, NewStream, ServiceStatus, StreamInfo,
} from '../../ts/api/service';
import { LatencyHistogram } from '../../ts/api/histogram';
import { controlCharProblem } from '../../ts/config/safe-text';
import { checkUrl } from '../../ts/config/url-policy';
import { defaultConfig, type OwlConfig } from '../../ts/config/schema';
import type { PromptSet } from '../../ts/model/prompts';

/** The stand-in; tests change its public fields to script states. */
export class StandInControlService implements ControlService {
  prompts: PromptSet = { objects: ['a person'], thresholds: [0.1] };
  config: OwlConfig = { ...defaultConfig(), input: { ...defaultConfig().input, uri: 'rtsp://admin:pw@cam:554/live/front' } };
  state: ServiceStatus = {
    engine: 'portable',
    model: { loaded: true, error: null },
    redis: { state: 'ready', error: null },
    streams: [{ id: 'front', state: 'playing', reason: 'first frame', since: '2025-01-01T00:00:00.000Z' }],
    startedAt: '2025-01-01T00:00:00.000Z',
  };
  latency = new LatencyHistogram([0.1, 0.5, 1]);
  promptChanges = 0;
  /** When set, setPrompts rejects with it. */
  failWith: Error | null = null;
  /** Annotated frames snapshot() hands out in turn, so consecutive snapshots differ; none: no frame yet. */
  frames: Buffer[] = [];
  /** How many times snapshot() was called (the MJPEG stream polls it while a viewer watches). */
  snapshotCalls = 0;
  /** Input frames per second the counters advance by (the model runs on every tenth); 0 keeps them fixed. */
  frameRate = 0;
  /** Streams added through addStream(), after the configured one ('front'). */
  added: StreamInfo[] = [];
  /** Most streams in all, as input.maxStreams. */
  maxStreams = 3;
  /** Prompts given to one stream: id -> prompts. */
  streamPrompts = new Map<string, PromptSet>();
  readonly #createdAt = performance.now();

  constructor() {
    for (const seconds of [0.05, 0.3, 0.3, 2]) this.latency.observe(seconds);
  }

  getPrompts(): PromptSet {
    return structuredClone(this.prompts);
  }

  async setPrompts(objects: string[], thresholds: number[]): Promise<PromptSet> {
    // The API must validate before calling: anything else here is an API bug.
    assert.ok(objects.length > 0 && objects.length === thresholds.length, 'API passed unchecked prompts');
    assert.ok(objects.every((o) => typeof o === 'string' && o.trim() === o && o !== '' && !o.includes('|')
      && controlCharProblem(o) === null), 'API passed a prompt with a control character');
    assert.ok(thresholds.every((t) => typeof t === 'number' && t >= 0 && t <= 1));
    if (this.failWith !== null) throw this.failWith;
    this.prompts = { objects: [...objects], thresholds: [...thresholds] };
    this.promptChanges++;
    return this.getPrompts();
  }

  async setStreamPrompts(id: string, objects: string[], thresholds: number[]): Promise<PromptSet> {
    assert.equal(objects.length, thresholds.length, 'API passed unchecked prompts');
    assert.ok(objects.every((o) => controlCharProblem(o) === null) && controlCharProblem(id) === null,
      'API passed text with a control character');
    assert.ok(thresholds.every((t) => typeof t === 'number' && t >= 0 && t <= 1), 'API passed a threshold outside [0,1]');
    if (!this.streams().some((s) => s.id === id)) throw new ApiError(422, 'unknown_stream', `Stream ID "${id}" does not exist`);
    if (this.failWith !== null) throw this.failWith;
    this.streamPrompts.set(id, { objects: [...objects], thresholds: [...thresholds] });
    return structuredClone(this.streamPrompts.get(id)!);
  }

  async resetPrompts(): Promise<PromptSet> {
    const { objects, thresholds } = this.config.prompts;
    this.prompts = { objects: [...objects], thresholds: [...thresholds] };
    this.streamPrompts.clear();
    this.promptChanges++;
    return this.getPrompts();
  }

  async resetStreamPrompts(id: string): Promise<PromptSet> {
    if (!this.streams().some((s) => s.id === id)) throw new ApiError(422, 'unknown_stream', `Stream ID "${id}" does not exist`);
    this.streamPrompts.delete(id);
    return this.getPrompts();
  }

  async addStream(stream: NewStream): Promise<StreamInfo> {
    assert.match(stream.uri, /^rtsps?:\/\//, 'API passed a non-RTSP URL');
    // Exactly what the one URL validator passes on, never the raw text: nothing unvalidated may reach a camera.
    const checked = checkUrl(stream.uri, ['rtsp:', 'rtsps:']);
    assert.ok(checked.ok && checked.href === stream.uri, `API passed an unvalidated URL ${JSON.stringify(stream.uri)}`);
    assert.equal(controlCharProblem(stream.description), null, 'API passed a description with a control character');
    if (this.failWith !== null) throw this.failWith;
    if (1 + this.added.length >= this.maxStreams) {
      throw new ApiError(422, 'too_many_streams', `Stream maximum reached: ${this.maxStreams} streams are running`);
    }
    const id = randomUUID();
    const info: StreamInfo = { id, name: id, sensorId: 'added', sensorType: 'camera', location: '',
      description: stream.description, input: { kind: 'rtsp', uri: stream.uri, playingUrl: stream.uri, vst: null },
      outputUrl: `rtsp://0.0.0.0:6000/out/${id}`, prompts: null };
    this.added.push(info);
    return structuredClone(info);
  }

  async removeStream(id: string): Promise<void> {
    const at = this.added.findIndex((s) => s.id === id);
    if (at < 0) throw new ApiError(422, 'unknown_stream', `Stream ID "${id}" does not exist`);
    this.added.splice(at, 1);
  }

  status(): ServiceStatus {
    return structuredClone(this.state);
  }

  metrics(): MetricsSnapshot {
    const frames = Math.floor(this.frameRate * (performance.now() - this.#createdAt) / 1000);
    const runs = Math.floor(frames / 10);
    // Each extra run took 0.3 s, which falls in the (0.1, 0.5] bucket.
    const latency = this.latency.snapshot();
    latency.counts[1] += runs;
    latency.sum += runs * 0.3;
    return {
      streams: [{ streamId: 'front', framesIn: 300 + frames, framesOut: 299 + frames, framesToModel: 30 + runs,
        framesDropped: 270 + frames - runs, reconnects: 1, eventsDropped: 0 }],
      inferences: 30 + runs,
      inferenceErrors: 0,
      inferenceLatency: latency,
      redis: { written: 29, queueDepth: 1, dropped: 0, errors: 2, rejected: 0 },
      mqtt: { written: 0, queueDepth: 0, dropped: 0, errors: 0, rejected: 0 },
      promptChanges: this.promptChanges,
    };
  }

  latestDetections(): FrameDetections[] {
    return [{ streamId: 'front', frameId: 299, timestamp: '2025-01-01T00:00:10.000Z', width: 1280, height: 720,
      objects: this.prompts.objects.map((label, i) => ({ id: 7 + i, label, score: 0.42, left: 10 + 200 * i, top: 20,
        right: 110 + 200 * i, bottom: 320 })) }];
  }

  streams(): StreamInfo[] {
    return [{ id: 'front', name: 'front', sensorId: 'front', sensorType: 'camera', location: '', description: '',
      input: { kind: 'rtsp', uri: this.config.input.uri, playingUrl: this.config.input.uri, vst: null },
      outputUrl: 'rtsp://0.0.0.0:6000/out', prompts: null }, ...structuredClone(this.added)];
  }

  snapshot(): Buffer | null {
    const call = this.snapshotCalls++;
    return this.frames.length === 0 ? null : this.frames[call % this.frames.length];
  }

  effectiveConfig(): OwlConfig {
    return this.config;
  }
}
