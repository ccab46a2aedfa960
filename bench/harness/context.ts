// SPDX-License-Identifier: Apache-2.0
// What every scenario shares: the options, the model, and the stand-ins a run needs (test cameras, a redis-server
// and a mosquitto on loopback), started on first use and stopped at the end.
import path from 'node:path';
import { Mosquitto } from '../../test/helpers/mosquitto';
import { RedisServer } from '../../test/helpers/redis-server';
import { TestCamera } from '../../test/helpers/test-camera';
import type { MetricSpec, Recorder } from './report';

/** The repository root (this file runs from build/bench/harness). */
export const REPO = path.resolve(__dirname, '..', '..', '..');
/** The full-size random-weight benchmark model (deploy/export/regenerate-base.js writes it). */
export const BASE_MODEL = path.join(REPO, 'bench', 'models', 'owlvit-base-patch32');
/** The tiny random model of the tests: for --smoke and the soak. */
export const TINY_MODEL = path.join(REPO, 'test', 'fixtures', 'owl-tiny');

/** Options of one `npm run bench`. */
export interface BenchOptions {
  /** Tiny model, one run, second-long windows: checks the harness, not speeds. */
  smoke: boolean;
  /** Runs per scenario (each alternates the things compared). */
  runs: number;
  /** Measuring window of one measurement, in seconds. */
  seconds: number;
  /** Length of the soak, in seconds. */
  durationS: number;
  /** Longest wait for a quiet machine before each scenario, in seconds. */
  waitQuietS: number;
  /** ONNX Runtime intra-op threads everywhere (the service's model.threads). */
  threads: number;
  /** Where results are written. */
  outDir: string;
}

/** Options, model and shared stand-ins of a run. */
export class BenchContext {
  readonly #cameras = new Map<string, Promise<TestCamera>>();
  #redis: Promise<RedisServer> | null = null;
  #mosquitto: Promise<Mosquitto> | null = null;

  constructor(readonly options: BenchOptions, readonly log: (line: string) => void) {}

  /** The model the encoder benchmarks run: base-patch32, or the tiny one in a smoke run. */
  get model(): string {
    return this.options.smoke ? TINY_MODEL : BASE_MODEL;
  }

  /** The size of the scenarios' main camera: 720p, or 320x180 in a smoke run. */
  get cameraSize(): [number, number] {
    return this.options.smoke ? [320, 180] : [1280, 720];
  }

  /** A test camera (H.264 over RTSP on 127.0.0.1, 30 fps, moving ball), one per size, shared. */
  camera(width = 1280, height = 720): Promise<TestCamera> {
    const key = `${width}x${height}`;
    let camera = this.#cameras.get(key);
    if (camera === undefined) {
      camera = TestCamera.start({ width, height, fps: 30, pattern: 'ball' });
      this.#cameras.set(key, camera);
    }
    return camera;
  }

  /** A redis-server on a free loopback port, shared. */
  redis(): Promise<RedisServer> {
    this.#redis ??= RedisServer.start();
    return this.#redis;
  }

  /** A mosquitto broker on a free loopback port (anonymous, no persistence), shared. */
  mosquitto(): Promise<Mosquitto> {
    this.#mosquitto ??= Mosquitto.start();
    return this.#mosquitto;
  }

  /** Stops what was started. */
  async close(): Promise<void> {
    for (const camera of this.#cameras.values()) await (await camera.catch(() => null))?.stop();
    await (await this.#redis?.catch(() => null))?.dispose();
    await (await this.#mosquitto?.catch(() => null))?.dispose();
  }
}

/** One benchmark scenario: its metrics are declared up front so every result file has the same shape. */
export interface Scenario {
  name: string;
  title: string;
  specs: Readonly<Record<string, MetricSpec>>;
  /** false: needs no model, so a run of only such scenarios skips regenerating the base-size one. @default true */
  needsModel?: boolean;
  /** Measures, adding one value per run to `rec`, plus settings and notes. */
  run(ctx: BenchContext, rec: Recorder): Promise<void>;
}
