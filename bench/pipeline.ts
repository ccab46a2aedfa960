// SPDX-License-Identifier: Apache-2.0
// Benchmark of the portable pipeline's video branch (no model): frames per second served and CPU used at
// 720p30 and 1080p30, from a raw test source (overlay + encode) and from an RTSP camera (decode + overlay
// + encode); then the latency the video path adds. The test camera and the ffmpeg clients run in other
// processes, so the CPU figures are the pipeline's own (this process).
//   npm run bench -- pipeline        (or: node build/bench/pipeline.js)
// Writes bench/results/pipeline.json and bench/results/pipeline.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Pipeline, type PipelineOptions } from '../ts/pipeline';
import { freePort } from '../test/helpers/ports';
import { measureRtsp, RtspWatcher } from '../test/helpers/rtsp-reader';
import { TestCamera } from '../test/helpers/test-camera';

const MEASURE_SECONDS = 5;
const RESULTS_DIR = path.resolve(__dirname, '..', '..', 'bench', 'results');

interface ThroughputCase {
  name: string;
  source: 'test' | 'rtsp';
  width: number;
  height: number;
  pattern: string;
}

interface ThroughputResult extends ThroughputCase {
  /** Frames per second a client received. */
  fps: number;
  /** CPU of the pipeline process with the video branch, in cores (1.0 = one core busy). */
  cpuCores: number;
  /** The same pipeline headless (source and decode only), in cores. */
  sourceCpuCores: number;
  /** CPU time of the video branch (scale, overlay, encode, RTSP) per served frame: the difference. */
  branchMsPerFrame: number;
}

interface LatencyResult {
  name: string;
  /** The rtspsrc jitter-buffer latency used (the `latencyMs` option). */
  rtspLatencyMs: number;
  /** Camera frame seen by a client of the camera vs. the same frame seen by a client of the output. */
  cameraToOutputMs: number;
  /** setDetections() to the box visible at a client of the output: median and worst of the runs. */
  overlayMedianMs: number;
  overlayMaxMs: number;
}

const THROUGHPUT_CASES: ThroughputCase[] = [
  { name: 'test source 720p30, ball (little motion)', source: 'test', width: 1280, height: 720, pattern: 'ball' },
  { name: 'test source 720p30, snow (worst case)', source: 'test', width: 1280, height: 720, pattern: 'snow' },
  { name: 'RTSP camera 720p30, ball', source: 'rtsp', width: 1280, height: 720, pattern: 'ball' },
  { name: 'test source 1080p30, ball (little motion)', source: 'test', width: 1920, height: 1080, pattern: 'ball' },
  { name: 'test source 1080p30, snow (worst case)', source: 'test', width: 1920, height: 1080, pattern: 'snow' },
  { name: 'RTSP camera 1080p30, ball', source: 'rtsp', width: 1920, height: 1080, pattern: 'ball' },
];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function startPipeline(input: string, width: number, height: number, pattern: string,
  extra: Partial<PipelineOptions> = {}): Promise<Pipeline> {
  const pipeline = new Pipeline();
  pipeline.start({ input, testSource: { width, height, fps: 30 }, output: `rtsp://127.0.0.1:${await freePort()}/out`,
    overlay: { fontSize: 24 }, ...extra });
  const deadline = Date.now() + 15_000;
  while (pipeline.state !== 'playing') {
    if (Date.now() > deadline) throw new Error(`pipeline on ${input} (${pattern}) did not start playing`);
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
export async function measureThroughput(c: ThroughputCase, windowSeconds = MEASURE_SECONDS): Promise<ThroughputResult> {
  const camera = c.source === 'rtsp'
    ? await TestCamera.start({ width: c.width, height: c.height, pattern: c.pattern }) : null;
  const input = camera?.url ?? `test:${c.pattern}`;
  try {
    const headless = await startPipeline(input, c.width, c.height, c.pattern, { output: null });
    await sleep(1000);
    const source = await cpuCores(windowSeconds).finally(() => headless.stop());

    const pipeline = await startPipeline(input, c.width, c.height, c.pattern);
    pipeline.setDetections(0, BOXES);
    const watcher = new RtspWatcher(pipeline.outputUrl!);
    try {
      await watcher.ready;
      await sleep(1000);
      const full = await cpuCores(windowSeconds);
      const frames = watcher.countBetween(full.from, full.to);
      const seconds = (full.to - full.from) / 1000;
      return { ...c, fps: frames / seconds, cpuCores: full.cores, sourceCpuCores: source.cores,
        branchMsPerFrame: ((full.cores - source.cores) * seconds * 1000) / Math.max(1, frames) };
    } finally {
      await watcher.stop();
      pipeline.stop();
    }
  } finally {
    await camera?.stop();
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

export async function measureLatency(rtspLatencyMs: number): Promise<LatencyResult> {
  const camera = await TestCamera.start({ width: 1280, height: 720, pattern: 'ball' });
  const pipeline = await startPipeline(camera.url, 1280, 720, 'ball',
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
    return { name: `RTSP camera 720p30, rtspsrc latency ${rtspLatencyMs} ms`, rtspLatencyMs, cameraToOutputMs,
      overlayMedianMs: overlay[Math.floor(overlay.length / 2)], overlayMaxMs: overlay[overlay.length - 1] };
  } finally {
    await direct.stop();
    await served.stop();
    pipeline.stop();
    await camera.stop();
  }
}

function markdown(machine: Record<string, unknown>, throughput: ThroughputResult[], latency: LatencyResult[]): string {
  const f1 = (x: number) => x.toFixed(1);
  return [
    '# Portable pipeline: video branch',
    '',
    `Machine: ${machine.cpu} × ${machine.cores}, load ${machine.loadBefore} before the run; ${machine.date}.`,
    'No model. Each case runs twice: headless (source, or RTSP receive + decode, only), then with the video',
    'branch (scale, 5 labelled boxes drawn, x264 ultrafast/zerolatency 4 Mbit/s, RTSP) and one client reading',
    'the output. CPU is the pipeline process\'s own (camera and clients are other processes), over',
    `${MEASURE_SECONDS} s; the video branch costs the difference. Test-source rows include drawing the pattern.`,
    '',
    '| case | fps served | CPU total (cores) | source only (cores) | video branch (ms / frame) |',
    '|---|---:|---:|---:|---:|',
    ...throughput.map((r) => `| ${r.name} | ${f1(r.fps)} | ${r.cpuCores.toFixed(2)} | ` +
      `${r.sourceCpuCores.toFixed(2)} | ${f1(r.branchMsPerFrame)} |`),
    '',
    'Latency added by the video path (test camera 720p30 → pipeline → client; clients decode alike, so',
    'decoding cancels out). Camera → output: the lag aligning the ball seen by a camera client with the ball',
    'seen by an output client. Overlay: setDetections() until the box shows at the output client (10 runs).',
    '',
    '| case | camera → output (ms) | overlay median (ms) | overlay max (ms) |',
    '|---|---:|---:|---:|',
    ...latency.map((r) => `| ${r.name} | ${r.cameraToOutputMs} | ${Math.round(r.overlayMedianMs)} | ` +
      `${Math.round(r.overlayMaxMs)} |`),
    '',
  ].join('\n');
}

/** Runs every case, writes bench/results/pipeline.{json,md} and returns the markdown table. */
export async function benchPipeline(): Promise<string> {
  const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length,
    loadBefore: os.loadavg()[0].toFixed(2), date: new Date().toISOString(), node: process.version };
  const throughput: ThroughputResult[] = [];
  for (const c of THROUGHPUT_CASES) {
    throughput.push(await measureThroughput(c));
    const r = throughput.at(-1)!;
    console.log(`[bench:pipeline] ${c.name}: ${r.fps.toFixed(1)} fps, ${r.cpuCores.toFixed(2)} cores ` +
      `(${r.sourceCpuCores.toFixed(2)} headless)`);
  }
  const latency = [await measureLatency(200), await measureLatency(0)];
  // Guard: the output must carry what the benchmark claims to measure.
  const check = await startPipeline('test:ball', 1280, 720, 'ball');
  const probe = await measureRtsp(check.outputUrl!, 1, 0.5).finally(() => check.stop());
  if (probe.codec !== 'h264' || probe.width !== 1280) throw new Error(`unexpected output ${JSON.stringify(probe)}`);

  const table = markdown(machine, throughput, latency);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = JSON.stringify({ machine, throughput, latency }, null, 2);
  writeFileSync(path.join(RESULTS_DIR, 'pipeline.json'), `${json}\n`);
  writeFileSync(path.join(RESULTS_DIR, 'pipeline.md'), table);
  return table;
}

if (require.main === module) {
  benchPipeline().then((table) => console.log(table), (err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
