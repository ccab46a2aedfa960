// SPDX-License-Identifier: Apache-2.0
// The portable pipeline's video branch measured on its own (no model), for the `pipeline` scenario: frames per
// second served and CPU from an RTSP test camera, headless and with the branch (scale, overlay, x264, RTSP), and
// the latency the video path adds. The test camera and the ffmpeg clients run in other processes, so the CPU
// figures are the pipeline's own (this process).
import { spawn, type ChildProcess } from 'node:child_process';

import { Pipeline, type PipelineOptions } from '../../ts/pipeline';
import { freePort } from '../../test/helpers/ports';
import { RtspWatcher } from '../../test/helpers/rtsp-reader';
import { TestCamera } from '../../test/helpers/test-camera';

/** One throughput case: the test camera's size (ball pattern, 30 fps). */
interface ThroughputCase {
  width: number;
  height: number;
}

/** What one throughput case measured. */
interface ThroughputResult {
  /** Frames per second a client received. */
  fps: number;
  /** CPU of the pipeline process with the video branch, in cores (1.0 = one core busy). */
  cpuCores: number;
  /** The same pipeline headless (RTSP receive and decode only), in cores. */
  sourceCpuCores: number;
  /** CPU time of the video branch (scale, overlay, encode, RTSP) per served frame: the difference. */
  branchMsPerFrame: number;
}

/** The latency the video path adds, at a 720p30 test camera. */
interface LatencyResult {
  /** Camera frame seen by a client of the camera vs. the same frame seen by a client of the output. */
  cameraToOutputMs: number;
  /** setDetections() to the box visible at a client of the output: median of 10 runs. */
  overlayMedianMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function startPipeline(input: string, extra: Partial<PipelineOptions> = {}): Promise<Pipeline> {
  const pipeline = new Pipeline();
  pipeline.start({ input, output: `rtsp://127.0.0.1:${await freePort()}/out`, overlay: { fontSize: 24 }, ...extra });
  const deadline = Date.now() + 15_000;
  while (pipeline.state !== 'playing') {
    if (Date.now() > deadline) throw new Error(`pipeline on ${input} did not start playing`);
    await sleep(50);
  }
  return pipeline;
}

/** CPU of this process over the next `seconds`, in cores, and the window measured (performance.now() ms). */
async function cpuCores(seconds: number): Promise<{ cores: number; from: number; to: number }> {
  const cpu0 = process.cpuUsage();
  const from = performance.now();
  await sleep(seconds * 1000);
  const cpu = process.cpuUsage(cpu0);
  const to = performance.now();
  return { cores: (cpu.user + cpu.system) / 1000 / (to - from), from, to };
}

// Five labelled boxes, so the cost includes the frame copy and the drawing.
const BOXES = Array.from({ length: 5 }, (_, i) => ({ label: `object ${i}`, labelIndex: i, score: 0.5,
  box: [60 + i * 220, 80 + i * 40, 240 + i * 220, 500 + i * 40] as const }));

/** Frames/s served and CPU of one case: the pipeline headless first, then with its video branch and a client. */
export async function measureThroughput(c: ThroughputCase, windowSeconds: number): Promise<ThroughputResult> {
  const camera = await TestCamera.start({ width: c.width, height: c.height, pattern: 'ball' });
  const input = camera.url;
  try {
    const headless = await startPipeline(input, { output: null });
    await sleep(1000);
    const source = await cpuCores(windowSeconds).finally(() => headless.stop());

    const pipeline = await startPipeline(input);
    pipeline.setDetections(0, BOXES);
    const watcher = new RtspWatcher(pipeline.outputUrl!);
    try {
      await watcher.ready;
      await sleep(1000);
      const full = await cpuCores(windowSeconds);
      const frames = watcher.countBetween(full.from, full.to);
      const seconds = (full.to - full.from) / 1000;
      return { fps: frames / seconds, cpuCores: full.cores, sourceCpuCores: source.cores,
        branchMsPerFrame: ((full.cores - source.cores) * seconds * 1000) / Math.max(1, frames) };
    } finally {
      await watcher.stop();
      pipeline.stop();
    }
  } finally {
    await camera.stop();
  }
}

/** Decodes an RTSP stream to small RGB frames (320x180) and records each one's arrival time. */
class PictureReader {
  static readonly WIDTH = 320;
  static readonly HEIGHT = 180;
  readonly frames: { at: number; rgb: Buffer }[] = [];
  readonly #child: ChildProcess;

  constructor(url: string) {
    // One decoder thread and low_delay: both readers add the same, small decode delay.
    this.#child = spawn('ffmpeg', ['-v', 'error', '-threads', '1', '-flags', 'low_delay', '-rtsp_transport', 'tcp',
      '-i', url, '-vf', `scale=${PictureReader.WIDTH}:${PictureReader.HEIGHT}`, '-pix_fmt', 'rgb24', '-f', 'rawvideo',
      '-'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const size = PictureReader.WIDTH * PictureReader.HEIGHT * 3;
    let pending = Buffer.alloc(0);
    this.#child.stdout!.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= size) {
        this.frames.push({ at: performance.now(), rgb: pending.subarray(0, size) });
        pending = pending.subarray(size);
      }
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.kill('SIGTERM');
    await exited;
  }
}

/** Where a reader saw the ball, and when. */
interface Sighting {
  at: number;
  c: [number, number];
}

/** Centre of the bright pixels (the test pattern's white ball), or null if none. */
function ballCentre(rgb: Buffer): [number, number] | null {
  let sx = 0, sy = 0, n = 0;
  for (let i = 0, p = 0; i < rgb.length; i += 3, p++) {
    if (rgb[i] > 160 && rgb[i + 1] > 160 && rgb[i + 2] > 160) {
      sx += p % PictureReader.WIDTH;
      sy += Math.floor(p / PictureReader.WIDTH);
      n++;
    }
  }
  return n < 4 ? null : [sx / n, sy / n];
}

/**
 * The delay between two clients' views of the same moving ball: the lag that best aligns the output's
 * ball trajectory with the camera's (camera positions interpolated between frame arrivals).
 */
function trajectoryLag(camera: Sighting[], output: Sighting[]): number {
  let best = { lag: 0, error: Infinity };
  for (let lag = 0; lag <= 1500; lag += 2) {
    let error = 0, n = 0;
    for (const o of output) {
      const t = o.at - lag;
      const k = camera.findIndex((f) => f.at >= t);
      if (k <= 0) continue;
      const a = camera[k - 1], b = camera[k];
      const w = (t - a.at) / (b.at - a.at);
      error += Math.hypot(o.c[0] - (a.c[0] + w * (b.c[0] - a.c[0])), o.c[1] - (a.c[1] + w * (b.c[1] - a.c[1])));
      n++;
    }
    if (n > output.length / 2 && error / n < best.error) best = { lag, error: error / n };
  }
  return best.lag;
}

/** The lag a client of the output sees behind a client of the camera, and the overlay's delay (720p30 camera). */
export async function measureLatency(rtspLatencyMs: number): Promise<LatencyResult> {
  const camera = await TestCamera.start({ width: 1280, height: 720, pattern: 'ball' });
  const pipeline = await startPipeline(camera.url,
    { latencyMs: rtspLatencyMs, overlay: { lineWidth: 24, fontSize: 0 } });
  const direct = new PictureReader(camera.url);
  const served = new PictureReader(pipeline.outputUrl!);
  try {
    await sleep(2000);
    const from = performance.now();
    await sleep(4000);
    const track = (reader: PictureReader) => reader.frames.filter((f) => f.at >= from)
      .map((f) => ({ at: f.at, c: ballCentre(f.rgb) })).filter((f): f is Sighting => f.c !== null);
    const cameraToOutputMs = trajectoryLag(track(direct), track(served));

    // A thick box around most of the frame, toggled: the time until the output shows it (red at the band).
    const overlay: number[] = [];
    const [bx, by] = [Math.round(100 * 320 / 1280 + 3), Math.round(360 * 180 / 720)];  // left band, mid height
    const isRed = (rgb: Buffer) => {
      const i = (by * PictureReader.WIDTH + bx) * 3;
      return rgb[i] > 150 && rgb[i + 1] < 110 && rgb[i + 2] < 140;
    };
    for (let run = 0; run < 10; run++) {
      const show = run % 2 === 0;
      const since = performance.now();
      pipeline.setDetections(run, show ? [{ label: '', labelIndex: 0, score: 1, box: [100, 100, 1180, 620] }] : []);
      const deadline = since + 3000;
      let seen: number | null = null;
      while (seen === null && performance.now() < deadline) {
        await sleep(2);
        seen = served.frames.find((f) => f.at >= since && isRed(f.rgb) === show)?.at ?? null;
      }
      if (seen === null) throw new Error('the overlay never showed up at the client');
      overlay.push(seen - since);
      await sleep(300);
    }
    overlay.sort((a, b) => a - b);
    return { cameraToOutputMs, overlayMedianMs: overlay[Math.floor(overlay.length / 2)] };
  } finally {
    await direct.stop();
    await served.stop();
    pipeline.stop();
    await camera.stop();
  }
}
