// SPDX-License-Identifier: Apache-2.0
// `outputs`: the metadata outputs. Redis entries per second the publisher sustains (queue kept full, against a
// redis-server on loopback), and the REST API's latency under a bounded load from a second process
// (autocannon on loopback) while the service runs with its video output and a client reading it.
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { RtspWatcher } from '../../test/helpers/rtsp-reader';
import { RedisPublisher } from '../../ts/redis/publisher';
import { REPO, type BenchContext, type Scenario } from '../harness/context';
import type { MetricSpec, Recorder } from '../harness/report';
import { ServiceProcess } from '../harness/service';

/** The bounded load: connections, and requests per second over all of them. */
const CONNECTIONS = 10;
const RATE = 200;
const ROUTES = { detections: '/detections', prompt: '/prompt', metrics: '/metrics' } as const;

const SPECS: Record<string, MetricSpec> = {
  redis_entries_per_s: { unit: 'entries/s', digits: 0, description: 'XADDs acknowledged per second, the publisher\'s queue kept full (10 objects each)' },
  redis_dropped: { unit: 'entries', digits: 0, goal: { op: '<=', target: 0 }, description: 'entries the publisher dropped meanwhile' },
  ...Object.fromEntries(Object.keys(ROUTES).flatMap((route) => [
    [`api_${route}_p50_ms`, { unit: 'ms', description: `GET ${ROUTES[route as keyof typeof ROUTES]}: median latency under ${RATE} req/s` }],
    [`api_${route}_p99_ms`, { unit: 'ms', description: `GET ${ROUTES[route as keyof typeof ROUTES]}: 99th percentile latency` }],
  ])),
  api_rps: { unit: 'req/s', digits: 0, description: `requests answered per second, all routes (offered: ${RATE} per route)` },
  api_errors: { unit: 'requests', digits: 0, goal: { op: '<=', target: 0 }, description: 'errors, timeouts and non-2xx answers' },
  output_fps: { unit: 'frames/s', digits: 1, description: 'frames a client of the RTSP output receives per second during the API load' },
  infer_fps: { unit: 'frames/s', description: 'frames inferred per second during the API load' },
};

/** autocannon's --json summary (the fields used here). */
interface AutocannonResult {
  latency: { p50: number; p99: number };
  requests: { average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

async function autocannon(url: string, seconds: number): Promise<AutocannonResult> {
  const bin = path.join(REPO, 'node_modules', 'autocannon', 'autocannon.js');
  const { stdout } = await promisify(execFile)(process.execPath, [bin, '--json', '-c', String(CONNECTIONS),
    '-d', String(Math.max(1, Math.round(seconds))), '-R', String(RATE), url], { maxBuffer: 16 << 20 });
  return JSON.parse(stdout) as AutocannonResult;
}

/** Entries per second a publisher writes with its queue kept full, and how many it dropped. */
async function redisRate(host: string, port: number, seconds: number): Promise<{ perSecond: number; dropped: number }> {
  const warnings: string[] = [];
  const publisher = new RedisPublisher({ host, port, stream: 'bench-outputs', maxlen: 100_000, warn: (m) => warnings.push(m) });
  const objects = Array.from({ length: 10 }, (_, i) => ({ label: `object ${i % 3}`, box: [10 * i, 20, 10 * i + 100, 220] as const }));
  try {
    const deadline = Date.now() + 10_000;
    while (publisher.status().state !== 'ready') {
      if (Date.now() > deadline) throw new Error(`the publisher did not connect to ${host}:${port}: ${warnings.join('; ')}`);
      await sleep(10);
    }
    const queueSize = 1000;
    let frameId = 0;
    const sent0 = publisher.status().sent;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      while (publisher.status().queued < queueSize - 100) {
        publisher.publish({ frameId: frameId++, timestamp: new Date(), sensorId: 'bench', objects });
      }
      await yieldToLoop();
    }
    const status = publisher.status();
    return { perSecond: (status.sent - sent0) / ((performance.now() - t0) / 1000), dropped: status.dropped };
  } finally {
    await publisher.close({ flushMs: 2000 });
  }
}

export const outputsScenario: Scenario = {
  name: 'outputs',
  title: 'Outputs: Redis publisher throughput, REST API latency under load with video running',
  specs: SPECS,
  async run(ctx: BenchContext, rec: Recorder): Promise<void> {
    const { seconds, runs, threads } = ctx.options;
    const [width, height] = ctx.cameraSize;
    const camera = await ctx.camera(width, height);
    const redis = await ctx.redis();
    Object.assign(rec.settings, { model: ctx.model, threads, runs, windowS: seconds,
      apiLoad: `autocannon in a second process, ${CONNECTIONS} connections, ${RATE} req/s, one route after another`,
      service: `camera ${width}x${height}@30, RTSP output read by a client` });
    rec.notes.push('The publisher figure is its capacity: the service itself publishes one entry per inferred frame.');

    for (let run = 0; run < runs; run++) {
      const r = await redisRate(redis.host, redis.port, seconds);
      rec.add('redis_entries_per_s', r.perSecond);
      rec.add('redis_dropped', r.dropped);

      const service = await ServiceProcess.start({ input: camera.url, model: ctx.model, threads, output: true,
        redis: { host: redis.host, port: redis.port, stream: 'bench-outputs-service' } });
      const watcher = new RtspWatcher(service.outputUrl!);
      try {
        await watcher.ready;
        const t0 = performance.now();
        const m0 = await service.metrics();
        let requests = 0, errors = 0;
        for (const [route, url] of Object.entries(ROUTES)) {
          const result = await autocannon(`${service.apiUrl}${url}`, seconds);
          rec.add(`api_${route}_p50_ms`, result.latency.p50);
          rec.add(`api_${route}_p99_ms`, result.latency.p99);
          requests += result.requests.average;
          errors += result.errors + result.timeouts + result.non2xx;
        }
        const m1 = await service.metrics();
        const dt = (performance.now() - t0) / 1000;
        rec.add('api_rps', requests / Object.keys(ROUTES).length);
        rec.add('api_errors', errors);
        rec.add('output_fps', watcher.countBetween(t0, performance.now()) / dt);
        rec.add('infer_fps', ((m1.get('owl_inferences_total') ?? 0) - (m0.get('owl_inferences_total') ?? 0)) / dt);
        ctx.log(`outputs run ${run + 1}/${runs}: redis ${r.perSecond.toFixed(0)} entries/s; API p99 `
          + Object.keys(ROUTES).map((route) => `${route} ${rec.values(`api_${route}_p99_ms`).at(-1)} ms`).join(', '));
      } finally {
        await watcher.stop();
        await service.stop();
      }
    }
  },
};
