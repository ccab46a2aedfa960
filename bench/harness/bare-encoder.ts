// SPDX-License-Identifier: Apache-2.0
// The baseline: onnxruntime-node running the image encoder in a plain loop, with the session options the
// service's worker uses (ts/model/image-worker.ts), nothing else around it.
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { RtspWatcher } from '../../test/helpers/rtsp-reader';
import { loadModelFolder } from '../../ts/model/model-folder';
import type { Precision } from '../../ts/model/precision';
import { processCpuSeconds } from './proc';

/** Frames per second of a loop, and the time per frame. */
interface LoopRate {
  fps: number;
  msPerFrame: number;
}

/** Runs `step` for `seconds` after `warmup` untimed calls. */
export async function timeLoop(step: () => Promise<unknown>, seconds: number, warmup = 2): Promise<LoopRate> {
  for (let i = 0; i < warmup; i++) await step();
  const t0 = performance.now();
  let frames = 0;
  do {
    await step();
    frames++;
  } while (performance.now() - t0 < seconds * 1000);
  const elapsed = performance.now() - t0;
  return { fps: (frames * 1000) / elapsed, msPerFrame: elapsed / frames };
}

/**
 * Frames per second of several loops run in turn, one call each round, for about `seconds` each: noise from
 * the machine (other processes, frequency) then falls on all of them alike.
 */
export async function timeInterleaved(steps: readonly (() => Promise<unknown>)[], seconds: number, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) for (const step of steps) await step();
  const spent = steps.map(() => 0);
  const counts = steps.map(() => 0);
  const t0 = performance.now();
  do {
    for (const [i, step] of steps.entries()) {
      const t = performance.now();
      await step();
      spent[i] += performance.now() - t;
      counts[i]++;
    }
  } while (performance.now() - t0 < seconds * 1000 * steps.length);
  return counts.map((n, i) => (n * 1000) / spent[i]);
}

/** The image encoder of a model folder on a bare ONNX Runtime session. */
export class BareEncoder {
  private constructor(readonly session: ort.InferenceSession, readonly input: ort.Tensor) {}

  /**
   * @param precision which of the folder's image encoders.
   * @throws {Error} when the folder has no int8 image encoder and int8 is asked for.
   */
  static async load(model: string, threads: number, precision: Precision = 'fp32'): Promise<BareEncoder> {
    const folder = await loadModelFolder(path.resolve(model));
    const size = folder.config.imageSize;
    const file = precision === 'int8' ? folder.paths.imageEncoderInt8 : folder.paths.imageEncoder;
    if (file === undefined) throw new Error(`${folder.dir}/owl.json lists no int8 image encoder (owl_export.py --int8)`);
    const session = await ort.InferenceSession.create(file, {
      executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1,
      graphOptimizationLevel: 'all', executionMode: 'sequential',
    });
    // Pixel values of a mid-grey frame with a little structure (values do not change the speed).
    const pixels = Float32Array.from({ length: 3 * size * size }, (_, i) => Math.sin(i / 97) * 0.5);
    return new BareEncoder(session, new ort.Tensor('float32', pixels, [1, 3, size, size]));
  }

  /** One frame, every output fetched. */
  run(): Promise<unknown> {
    return this.session.run({ [this.session.inputNames[0]]: this.input });
  }

  /** Frames per second over `seconds`. */
  measure(seconds: number): Promise<LoopRate> {
    return timeLoop(() => this.run(), seconds);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/**
 * The bare loop while an RTSP client reads the camera, so that the camera's encoder (a separate device in a
 * real deployment, a process here) loads the machine as it does while the service reads it. With the camera's
 * process id, also its CPU over the loop (NaN without).
 */
export async function measureBareWhileStreaming(model: string, threads: number, seconds: number, cameraUrl: string,
  cameraPid: number | null, precision: Precision = 'fp32'): Promise<LoopRate & { cameraCores: number }> {
  const reader = new RtspWatcher(cameraUrl);
  try {
    await reader.ready;
    const encoder = await BareEncoder.load(model, threads, precision);
    try {
      const cpu0 = cameraPid === null ? NaN : processCpuSeconds(cameraPid);
      const t0 = performance.now();
      const rate = await encoder.measure(seconds);
      const cameraCores = cameraPid === null ? NaN : (processCpuSeconds(cameraPid) - cpu0) / ((performance.now() - t0) / 1000);
      return { ...rate, cameraCores };
    } finally {
      await encoder.release();
    }
  } finally {
    await reader.stop();
  }
}
