// SPDX-License-Identifier: Apache-2.0
// The service as users run it: `owl-stream --config <file>` in its own process, on loopback ports, watched
// through its REST API (/status, /metrics, /detections) and /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import YAML from 'yaml';
import { freePort } from '../../test/helpers/ports';
import type { RtspWatcher } from '../../test/helpers/rtsp-reader';
import type { PrecisionSetting } from '../../ts/model/precision';
import { REPO } from './context';
import { processCpuSeconds, splitCpu } from './proc';

/**
 * How long after a batch ends batchWindow() samples /metrics: every stream offers its next frame within a camera frame
 * or two of the batch's end, and the next batch (0.8 s and more with the base model) is then still running.
 */
const BATCH_SETTLE_MS = 250;

/** What a benchmark varies; everything else is the default configuration. */
interface ServiceSettings {
  input: string;
  /** More streams (config `streams:`), served at <output>/<id>. @default none */
  streams?: string[];
  model: string;
  threads: number;
  /**
   * model.precision. The scenarios compare the service with fp32 loops unless they say otherwise, so fp32 unless
   * given (the service's own default, auto, runs int8 where the folder and the CPU allow it). @default 'fp32'
   */
  precision?: PrecisionSetting;
  /** RTSP output on a free loopback port, or none (headless). */
  output: boolean;
  redis: { host: string; port: number; stream: string };
  prompts?: { objects: string[]; thresholds: number[] };
}

/** Prometheus samples by name with labels, e.g. `owl_frames_in_total{stream="cam"}`. */
export type Samples = Map<string, number>;

/** The service over a window of time. */
interface ServiceWindow {
  seconds: number;
  /** Frames inferred per second. */
  inferFps: number;
  /** Mean detect() time (image encoder + decode + hand-over), from the latency histogram; NaN without frames. */
  inferMs: number;
  /** Frames received from the input per second. */
  inputFps: number;
  /** Frames an RTSP client of the output received per second (NaN without a watcher). */
  outputFps: number;
  /** CPU of the whole process, and of its threads not named "node" (GStreamer's; "node" ones run JavaScript and ONNX Runtime). */
  cores: number;
  gstCores: number;
}

/** Sum of every sample of a metric, whatever its labels. */
export function total(samples: Samples, name: string): number {
  let sum = 0;
  for (const [key, value] of samples) if (key === name || key.startsWith(`${name}{`)) sum += value;
  return sum;
}

/** Two /metrics samples taken as batches ended (ServiceProcess.batchWindow). */
export interface BatchWindow {
  m0: Samples;
  m1: Samples;
  /** Between the two samples. */
  seconds: number;
  /** Batches that ended after the first sample, up to the second. */
  batches: number;
  /** performance.now() of the two samples. */
  t0: number;
  t1: number;
  /** CPU of the process's threads not named "node" (GStreamer's) between the two samples. */
  otherCpuSeconds: number;
}

/** A running service process. */
export class ServiceProcess {
  /** Every service not stopped yet, so an interrupted run can stop them. */
  static readonly #live = new Set<ServiceProcess>();

  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  readonly #dir: string;
  #log = '';

  private constructor(child: ChildProcess, dir: string, readonly apiUrl: string, readonly outputUrl: string | null) {
    this.#child = child;
    this.#dir = dir;
    this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdout!.on('data', (chunk: Buffer) => { this.#log += chunk.toString(); });
    child.stderr!.on('data', (chunk: Buffer) => { this.#log += chunk.toString(); });
  }

  /**
   * Starts the service and resolves once its model is loaded, its input plays and a first frame was inferred.
   * @throws {Error} with the service's log when it exits or is not ready within 60 s.
   */
  static async start(settings: ServiceSettings): Promise<ServiceProcess> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-bench-service-'));
    const apiPort = await freePort();
    const outputUrl = settings.output ? `rtsp://127.0.0.1:${await freePort()}/out` : null;
    const config = {
      input: { uri: settings.input },
      streams: settings.streams ?? [],
      output: { enabled: settings.output, url: outputUrl ?? 'rtsp://127.0.0.1:6000/out' },
      model: { folder: settings.model, threads: settings.threads, precision: settings.precision ?? 'fp32' },
      prompts: settings.prompts ?? { objects: ['a person', 'a hat', 'a bike'], thresholds: [0.1] },
      redis: settings.redis,
      api: { host: '127.0.0.1', port: apiPort },
      log: { level: 'warn' },
    };
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, YAML.stringify(config));
    const child = spawn(process.execPath, [path.join(REPO, 'build', 'ts', 'cli', 'main.js'), '--config', file],
      { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    const service = new ServiceProcess(child, dir, `http://127.0.0.1:${apiPort}`, outputUrl);
    ServiceProcess.#live.add(service);
    try {
      await service.#waitReady();
    } catch (err) {
      await service.stop();
      throw err;
    }
    return service;
  }

  /** The process id (for /proc). */
  get pid(): number {
    return this.#child.pid!;
  }

  /** GET a JSON route. */
  async json<T>(route: string): Promise<T> {
    const response = await fetch(`${this.apiUrl}${route}`);
    if (!response.ok) throw new Error(`GET ${route}: ${response.status} ${await response.text()}`);
    return await response.json() as T;
  }

  /** GET /metrics, parsed. */
  async metrics(): Promise<Samples> {
    const text = await (await fetch(`${this.apiUrl}/metrics`)).text();
    const samples: Samples = new Map();
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
      if (m) samples.set(m[1], Number(m[2]));
    }
    return samples;
  }

  /**
   * Measures the next `seconds`; `watcher` (on the output) counts the frames a client receives. The inference
   * rate is taken between the first and the last inference seen in the window (the counter is polled every
   * 100 ms): at about one frame per second, counting frames over a fixed window would be off by up to one frame.
   */
  async measure(seconds: number, watcher?: RtspWatcher): Promise<ServiceWindow> {
    const m0 = await this.metrics();
    const c0 = processCpuSeconds(this.pid), s0 = splitCpu(this.pid), t0 = performance.now();
    let last = total(m0, 'owl_inferences_total');
    let first: { t: number; count: number } | null = null, latest: { t: number; count: number } | null = null;
    while (performance.now() - t0 < seconds * 1000) {
      await sleep(100);
      const count = total(await this.metrics(), 'owl_inferences_total');
      if (count !== last) {
        const seen = { t: performance.now(), count };
        first ??= seen;
        latest = seen;
        last = count;
      }
    }
    const m1 = await this.metrics();
    const c1 = processCpuSeconds(this.pid), s1 = splitCpu(this.pid), t1 = performance.now();
    const dt = (t1 - t0) / 1000;
    const delta = (name: string) => total(m1, name) - total(m0, name);
    const spanned = first !== null && latest !== null && latest.count - first.count >= 2;
    return {
      seconds: dt,
      inferFps: spanned ? ((latest!.count - first!.count) * 1000) / (latest!.t - first!.t) : delta('owl_inferences_total') / dt,
      inferMs: (delta('owl_inference_latency_seconds_sum') / delta('owl_inference_latency_seconds_count')) * 1000,
      inputFps: delta('owl_frames_in_total') / dt,
      outputFps: watcher === undefined ? NaN : watcher.countBetween(t0, t1) / dt,
      cores: (c1 - c0) / dt,
      gstCores: (s1.other - s0.other) / dt,
    };
  }

  /**
   * /metrics sampled after a batch ends and again after a later one ends, at least `minBatches` batches and `seconds`
   * apart (polled every 50 ms). Rates over whole batches: with batches of several seconds, a fixed window holds
   * one or two of them and its rate jumps by a whole batch. Each sample is taken BATCH_SETTLE_MS after the batch's
   * end, once every stream has offered its next frame: a frame counts as handed to the model when offered, so a
   * sample taken while the streams are still offering theirs would count some streams a frame ahead of others.
   * @throws {Error} when fewer batches end within `timeoutS`.
   */
  async batchWindow(minBatches: number, seconds: number, timeoutS = 300): Promise<BatchWindow> {
    const deadline = performance.now() + timeoutS * 1000;
    let last = total(await this.metrics(), 'owl_inferences_total');
    let start: { samples: Samples; t: number; cpu: ReturnType<typeof splitCpu> } | null = null;
    let batches = 0;
    for (;;) {
      if (performance.now() > deadline) {
        throw new Error(`only ${batches} batches ended within ${timeoutS} s (wanted ${minBatches} over ${seconds} s)`);
      }
      await sleep(50);
      if (total(await this.metrics(), 'owl_inferences_total') === last) continue;
      await sleep(BATCH_SETTLE_MS);
      const samples = await this.metrics();
      last = total(samples, 'owl_inferences_total');
      const t = performance.now(), cpu = splitCpu(this.pid);
      if (start === null) {
        start = { samples, t, cpu };
        continue;
      }
      batches++;
      if (batches >= minBatches && t - start.t >= seconds * 1000) {
        return { m0: start.samples, m1: samples, seconds: (t - start.t) / 1000, batches, t0: start.t, t1: t,
          otherCpuSeconds: cpu.other - start.cpu.other };
      }
    }
  }

  /** Stops every service still running. */
  static async stopAll(): Promise<void> {
    await Promise.all([...ServiceProcess.#live].map((s) => s.stop()));
  }

  /** Stops it with SIGINT (SIGKILL after 5 s) and removes its config. */
  async stop(): Promise<void> {
    ServiceProcess.#live.delete(this);
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGINT');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
      await this.#exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.#dir, { recursive: true, force: true });
  }

  async #waitReady(): Promise<void> {
    const deadline = Date.now() + 60_000;
    let exited = false;
    void this.#exited.then(() => { exited = true; });
    for (;;) {
      if (exited) throw new Error(`the service exited while starting:\n${this.#log}`);
      if (Date.now() > deadline) throw new Error(`the service was not ready within 60 s:\n${this.#log}`);
      try {
        const status = await this.json<{ model: { loaded: boolean }; streams: { state: string }[] }>('/status');
        const playing = status.streams.some((s) => s.state === 'playing' || s.state === 'reconnected');
        if (status.model.loaded && playing && ((await this.metrics()).get('owl_inferences_total') ?? 0) > 0) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
  }
}
