// SPDX-License-Identifier: Apache-2.0
// `soak`: the service at full rate for --duration seconds (default 10 minutes) with the tiny model, so that
// inference runs as often as frames come: resident memory, open file descriptors and threads at the start
// and at the end should be flat; dropped frames and entries are counted.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { RtspWatcher } from '../../test/helpers/rtsp-reader';
import { TINY_MODEL, type BenchContext, type Scenario } from '../harness/context';
import { footprint } from '../harness/proc';
import type { Recorder } from '../harness/report';
import { ServiceProcess, total, type Samples } from '../harness/service';

const SPECS = {
  rss_growth_mib: { unit: 'MiB', digits: 1, goal: { op: '<=', target: 32 }, description: 'resident memory at the end minus after warm-up' },
  fd_growth: { unit: 'fds', digits: 0, goal: { op: '<=', target: 2 }, description: 'open file descriptors at the end minus after warm-up' },
  thread_growth: { unit: 'threads', digits: 0, goal: { op: '<=', target: 2 }, description: 'threads at the end minus after warm-up' },
  output_fps: { unit: 'frames/s', digits: 2, goal: { op: '>=', target: 29 }, description: 'frames an RTSP client of the output received per second over the soak' },
  redis_dropped: { unit: 'entries', digits: 0, goal: { op: '<=', target: 0 }, description: 'metadata entries the publisher dropped' },
  inference_errors: { unit: 'frames', digits: 0, goal: { op: '<=', target: 0 }, description: 'frames whose inference failed' },
  rss_start_mib: { unit: 'MiB', digits: 1, description: 'resident memory after warm-up' },
  rss_end_mib: { unit: 'MiB', digits: 1, description: 'resident memory at the end' },
  rss_max_mib: { unit: 'MiB', digits: 1, description: 'highest resident memory sampled' },
  fds_start: { unit: 'fds', digits: 0, description: 'open file descriptors after warm-up' },
  fds_end: { unit: 'fds', digits: 0, description: 'open file descriptors at the end' },
  threads_start: { unit: 'threads', digits: 0, description: 'threads after warm-up' },
  threads_end: { unit: 'threads', digits: 0, description: 'threads at the end' },
  infer_fps: { unit: 'frames/s', digits: 1, description: 'frames inferred per second over the soak' },
  input_fps: { unit: 'frames/s', digits: 2, description: 'frames received from the camera per second' },
  frames_dropped_for_model: { unit: 'frames', digits: 0, description: 'frames the model skipped while busy (by design: the video still shows them)' },
  redis_written: { unit: 'entries', digits: 0, description: 'metadata entries written to Redis' },
} as const;

export const soakScenario: Scenario = {
  name: 'soak',
  title: 'Soak: the service at full rate with the tiny model',
  specs: SPECS,
  async run(ctx: BenchContext, rec: Recorder): Promise<void> {
    const { durationS, threads, smoke } = ctx.options;
    const [width, height] = ctx.cameraSize;
    const warmupS = smoke ? 0.5 : 30;
    const sampleS = smoke ? 0.5 : 10;
    const camera = await ctx.camera(width, height);
    const redis = await ctx.redis();
    Object.assign(rec.settings, { model: TINY_MODEL, threads, durationS, warmupS, sampleEveryS: sampleS,
      service: `camera ${width}x${height}@30, RTSP output read by a client, Redis on`, runs: 1 });
    const service = await ServiceProcess.start({ input: camera.url, model: TINY_MODEL, threads, output: true,
      redis: { host: redis.host, port: redis.port, stream: 'bench-soak' } });
    const watcher = new RtspWatcher(service.outputUrl!);
    const trace: { t: number; rssMiB: number; fds: number; threads: number }[] = [];
    try {
      await watcher.ready;
      await sleep(warmupS * 1000);
      const start = footprint(service.pid);
      const m0: Samples = await service.metrics();
      const t0 = performance.now();
      let rssMax = start.rssMiB;
      while (performance.now() - t0 < durationS * 1000) {
        await sleep(Math.min(sampleS * 1000, Math.max(0, durationS * 1000 - (performance.now() - t0))));
        const f = footprint(service.pid);
        rssMax = Math.max(rssMax, f.rssMiB);
        trace.push({ t: (performance.now() - t0) / 1000, ...f });
      }
      const end = footprint(service.pid);
      const m1 = await service.metrics();
      const dt = (performance.now() - t0) / 1000;
      const delta = (name: string) => total(m1, name) - total(m0, name);
      rec.add('rss_start_mib', start.rssMiB);
      rec.add('rss_end_mib', end.rssMiB);
      rec.add('rss_max_mib', rssMax);
      rec.add('rss_growth_mib', end.rssMiB - start.rssMiB);
      rec.add('fds_start', start.fds);
      rec.add('fds_end', end.fds);
      rec.add('fd_growth', end.fds - start.fds);
      rec.add('threads_start', start.threads);
      rec.add('threads_end', end.threads);
      rec.add('thread_growth', end.threads - start.threads);
      rec.add('output_fps', watcher.countBetween(t0, performance.now()) / dt);
      rec.add('infer_fps', delta('owl_inferences_total') / dt);
      rec.add('input_fps', delta('owl_frames_in_total') / dt);
      rec.add('frames_dropped_for_model', delta('owl_frames_dropped_total'));
      rec.add('redis_written', delta('owl_redis_messages_written_total'));
      rec.add('redis_dropped', total(m1, 'owl_redis_messages_dropped_total'));
      rec.add('inference_errors', total(m1, 'owl_inference_errors_total'));
      rec.settings.trace = trace.map((s) => [Math.round(s.t), Math.round(s.rssMiB * 10) / 10, s.fds, s.threads]);
      rec.notes.push('settings.trace holds [seconds, RSS MiB, fds, threads] every sample.');
      ctx.log(`soak: RSS ${start.rssMiB.toFixed(1)} → ${end.rssMiB.toFixed(1)} MiB, fds ${start.fds} → ${end.fds}, `
        + `threads ${start.threads} → ${end.threads}, ${(delta('owl_inferences_total') / dt).toFixed(1)} inferences/s`);
    } finally {
      await watcher.stop();
      await service.stop();
    }
  },
};
