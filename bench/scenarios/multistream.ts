// SPDX-License-Identifier: Apache-2.0
// `multistream`: one service, one model, 1, 2, 4 and 8 cameras. The model takes the newest frame of every
// stream as one batch whenever it is free, so its frames are shared among the streams: the total stays about
// that of one camera while each stream gets its share. Also the CPU the video side costs per stream (decode,
// overlay, x264, RTSP: GStreamer's threads) and whether the output keeps the camera's rate. Rates are taken
// over whole batches (at least MIN_BATCHES of them): a batch of 8 base-size frames takes seconds on a CPU.
import { setTimeout as sleep } from 'node:timers/promises';
import { RtspWatcher } from '../../test/helpers/rtsp-reader';
import type { BenchContext, Scenario } from '../harness/context';
import type { MetricSpec, Recorder } from '../harness/report';
import { ServiceProcess, total, type Samples } from '../harness/service';
import { median } from '../harness/stats';

const COUNTS = [1, 2, 4, 8] as const;
const SMOKE_COUNTS = [1, 2] as const;
/** Each figure spans at least this many whole batches (and the --seconds window). */
const MIN_BATCHES = 6;

const SPECS: Record<string, MetricSpec> = {
  ...Object.fromEntries(COUNTS.filter((n) => n > 1).map((n) => [`share_${n}`, { unit: 'ratio', ratio: true,
    goal: { op: '>=', target: 0.8 },
    description: `${n} cameras: model frames/s of all streams together over those of one camera (1 = adding cameras costs the model nothing)` }])),
  ...Object.fromEntries(COUNTS.flatMap((n) => [
    [`model_fps_per_stream_${n}`, { unit: 'frames/s', description: `${n} camera(s): frames each stream gets through the model per second (median stream)` }],
    [`model_fps_total_${n}`, { unit: 'frames/s', description: `${n} camera(s): frames through the model per second, all streams` }],
    [`fairness_${n}`, { unit: 'ratio', goal: n > 1 ? { op: '>=', target: 0.8 } : undefined,
      description: `${n} camera(s): slowest stream's model frames/s over the fastest's` }],
    [`batches_${n}`, { unit: 'batches', digits: 0, description: `${n} camera(s): whole batches the figures span` }],
    [`frame_ms_${n}`, { unit: 'ms', digits: 0, description: `${n} camera(s): from a frame's hand-over to its detections (batch wait and run)` }],
    [`video_cores_per_stream_${n}`, { unit: 'cores', description: `${n} camera(s): GStreamer threads' CPU (receive, decode, overlay, x264, RTSP) per stream` }],
    [`output_fps_${n}`, { unit: 'frames/s', digits: 1, goal: n <= 2 ? { op: '>=', target: 29 } : undefined,
      description: `${n} camera(s): frames a client of the first stream's output receives per second` }],
  ])),
};

/** Per-stream deltas of a counter between two /metrics samples, by stream label. */
function perStream(m0: Samples, m1: Samples, name: string): Map<string, number> {
  const deltas = new Map<string, number>();
  for (const [key, value] of m1) {
    const stream = new RegExp(`^${name}\\{stream="(.*)"\\}$`).exec(key)?.[1];
    if (stream !== undefined) deltas.set(stream, value - (m0.get(key) ?? 0));
  }
  return deltas;
}

export const multistreamScenario: Scenario = {
  name: 'multistream',
  title: 'Several cameras, one model: model frames per stream and video CPU per stream',
  specs: SPECS,
  async run(ctx: BenchContext, rec: Recorder): Promise<void> {
    const { seconds, runs, threads, smoke } = ctx.options;
    const counts = smoke ? SMOKE_COUNTS : COUNTS;
    const [width, height] = smoke ? [320, 180] : [640, 360];
    // Every stream reads the same camera: one camera process whatever the count, so that its encoder's CPU is
    // the same in every case and the service's own cost is what changes.
    const camera = await ctx.camera(width, height);
    const redis = await ctx.redis();
    Object.assign(rec.settings, { model: ctx.model, threads, runs, windowS: seconds, counts, precision: 'fp32',
      window: 'from the end of a batch to the end of a later one (each sampled 250 ms after it, once every stream '
        + `offered its next frame), at least ${smoke ? 2 : MIN_BATCHES} batches and ${seconds} s apart`,
      service: `N streams of one camera ${width}x${height}@30, RTSP output of each, a client on the first, Redis on`,
      batching: 'model.maxBatch 8, model.batchWindowMs 50 (the defaults)' });
    rec.notes.push('video_cores_per_stream counts the service\'s non-"node" threads (GStreamer) divided by the streams; '
      + 'ONNX Runtime, the worker and JavaScript run on "node" threads and are the model\'s share.');

    for (let run = 0; run < runs; run++) {
      for (const n of counts) {
        const service = await ServiceProcess.start({ input: camera.url, streams: Array(n - 1).fill(camera.url),
          model: ctx.model, threads, output: true, redis: { host: redis.host, port: redis.port, stream: 'bench-multistream' } });
        const watcher = new RtspWatcher(service.outputUrl!);
        try {
          await watcher.ready;
          // Every stream playing and through the model once before measuring.
          const deadline = Date.now() + 60_000;
          while ([...perStream(new Map(), await service.metrics(), 'owl_frames_to_model_total').values()]
            .filter((frames) => frames > 0).length < n) {
            if (Date.now() > deadline) throw new Error(`${n} streams: not every stream reached the model within 60 s`);
            await sleep(200);
          }
          const { m0, m1, seconds: dt, batches, t0, t1, otherCpuSeconds } =
            await service.batchWindow(smoke ? 2 : MIN_BATCHES, seconds);
          const fps = [...perStream(m0, m1, 'owl_frames_to_model_total').values()].map((frames) => frames / dt);
          const totalFps = (total(m1, 'owl_inferences_total') - total(m0, 'owl_inferences_total')) / dt;
          rec.add(`model_fps_per_stream_${n}`, median(fps));
          rec.add(`model_fps_total_${n}`, totalFps);
          rec.add(`fairness_${n}`, Math.min(...fps) / Math.max(...fps));
          rec.add(`frame_ms_${n}`, 1000 * (total(m1, 'owl_inference_latency_seconds_sum') - total(m0, 'owl_inference_latency_seconds_sum'))
            / (total(m1, 'owl_inference_latency_seconds_count') - total(m0, 'owl_inference_latency_seconds_count')));
          rec.add(`batches_${n}`, batches);
          rec.add(`video_cores_per_stream_${n}`, otherCpuSeconds / dt / n);
          rec.add(`output_fps_${n}`, watcher.countBetween(t0, t1) / dt);
          const one = rec.values('model_fps_total_1').at(-1);
          if (n > 1 && one !== undefined && one > 0) rec.add(`share_${n}`, totalFps / one);
          ctx.log(`multistream run ${run + 1}/${runs}, ${n} camera(s): ${totalFps.toFixed(2)} model frames/s in all, `
            + `${median(fps).toFixed(2)} per stream, ${rec.values(`video_cores_per_stream_${n}`).at(-1)!.toFixed(2)} video cores per stream`);
        } finally {
          await watcher.stop();
          await service.stop();
        }
      }
    }
  },
};
