// SPDX-License-Identifier: Apache-2.0
// `outputs`: the metadata outputs. Messages per second each publisher sustains with its queue kept full, side by side
// in one run (Redis entries against a redis-server on loopback, MQTT messages at QoS 0 and 1 against a mosquitto on
// loopback, taken in turn, the order rotated per run), and the REST API's latency under a bounded load from a second
// process (autocannon on loopback) while the service runs with its video output and a client reading it.
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { RtspWatcher } from '../../test/helpers/rtsp-reader';
import { MqttPublisher } from '../../ts/mqtt/publisher';
import type { PublisherStatus } from '../../ts/output/queued-output';
import type { FrameMetadata } from '../../ts/redis/minimal-schema';
import { RedisPublisher } from '../../ts/redis/publisher';
import { REPO, type BenchContext, type Scenario } from '../harness/context';
import type { MetricSpec, Recorder } from '../harness/report';
import { ServiceProcess } from '../harness/service';

/** The bounded load: connections, and requests per second over all of them. */
const CONNECTIONS = 10;
const RATE = 200;
const ROUTES = { detections: '/detections', prompt: '/prompt', metrics: '/metrics' } as const;

/** The publishers compared, each as its metric names it. */
const PUBLISHERS = ['redis', 'mqtt_qos0', 'mqtt_qos1'] as const;
type PublisherName = typeof PUBLISHERS[number];

const SPECS: Record<string, MetricSpec> = {
  redis_entries_per_s: { unit: 'entries/s', digits: 0, description: 'XADDs acknowledged per second, the publisher\'s queue kept full (10 objects each)' },
  mqtt_qos0_messages_per_s: { unit: 'messages/s', digits: 0, description: 'MQTT QoS 0 messages written to the connection per second, the same queue and payloads' },
  mqtt_qos1_messages_per_s: { unit: 'messages/s', digits: 0, description: 'MQTT QoS 1 messages acknowledged (PUBACK) per second, the same queue and payloads' },
  mqtt_qos0_per_redis: { unit: '×', digits: 2, description: 'MQTT QoS 0 messages per Redis entry, in the same run' },
  mqtt_qos1_per_redis: { unit: '×', digits: 2, description: 'MQTT QoS 1 messages per Redis entry, in the same run' },
  redis_dropped: { unit: 'entries', digits: 0, goal: { op: '<=', target: 0 }, description: 'entries the Redis publisher dropped meanwhile' },
  mqtt_dropped: { unit: 'messages', digits: 0, goal: { op: '<=', target: 0 }, description: 'messages the MQTT publisher dropped meanwhile (both QoS)' },
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

/** What the measurement needs of a publisher (RedisPublisher, MqttPublisher). */
interface Publisher {
  publish(frame: FrameMetadata): boolean;
  status(): PublisherStatus;
  close(options: { flushMs: number }): Promise<void>;
}

/** The queue bound of every publisher measured (the service's default). */
const QUEUE_SIZE = 1000;

/** A new publisher of each kind, to the shared redis-server and mosquitto. */
async function createPublisher(name: PublisherName, ctx: BenchContext, warn: (m: string) => void): Promise<Publisher> {
  if (name === 'redis') {
    const { host, port } = await ctx.redis();
    return new RedisPublisher({ host, port, stream: 'bench-outputs', maxlen: 100_000, queueSize: QUEUE_SIZE, warn });
  }
  const broker = await ctx.mosquitto();
  return new MqttPublisher({ url: broker.url, topic: 'bench/{sensorId}', qos: name === 'mqtt_qos0' ? 0 : 1,
    queueSize: QUEUE_SIZE, warn });
}

/** Messages per second a publisher delivers with its queue kept full, and how many it dropped. */
async function sustainedRate(publisher: Publisher, seconds: number, warnings: string[]): Promise<{ perSecond: number; dropped: number }> {
  const objects = Array.from({ length: 10 }, (_, i) => ({ label: `object ${i % 3}`, box: [10 * i, 20, 10 * i + 100, 220] as const }));
  try {
    const deadline = Date.now() + 10_000;
    while (publisher.status().state !== 'ready') {
      if (Date.now() > deadline) throw new Error(`the publisher did not connect: ${warnings.join('; ')}`);
      await sleep(10);
    }
    let frameId = 0;
    const sent0 = publisher.status().sent;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      while (publisher.status().queued < QUEUE_SIZE - 100) {
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
  title: 'Outputs: Redis and MQTT publisher throughput, REST API latency under load with video running',
  specs: SPECS,
  async run(ctx: BenchContext, rec: Recorder): Promise<void> {
    const { seconds, runs, threads } = ctx.options;
    const [width, height] = ctx.cameraSize;
    const camera = await ctx.camera(width, height);
    const redis = await ctx.redis();
    Object.assign(rec.settings, { model: ctx.model, threads, runs, windowS: seconds, queueSize: QUEUE_SIZE,
      publishers: 'redis-server and mosquitto (Debian) on loopback, no reader or subscriber; in turn, order rotated per run',
      apiLoad: `autocannon in a second process, ${CONNECTIONS} connections, ${RATE} req/s, one route after another`,
      service: `camera ${width}x${height}@30, RTSP output read by a client` });
    rec.notes.push('The publisher figures are capacities: the service itself publishes one message per inferred frame '
      + 'and output.');

    for (let run = 0; run < runs; run++) {
      const rates = {} as Record<PublisherName, number>;
      let mqttDropped = 0;
      for (const name of PUBLISHERS.map((_, i) => PUBLISHERS[(i + run) % PUBLISHERS.length])) {
        const warnings: string[] = [];
        const r = await sustainedRate(await createPublisher(name, ctx, (m) => warnings.push(m)), seconds, warnings);
        rates[name] = r.perSecond;
        if (name === 'redis') rec.add('redis_dropped', r.dropped);
        else mqttDropped += r.dropped;
      }
      rec.add('redis_entries_per_s', rates.redis);
      rec.add('mqtt_qos0_messages_per_s', rates.mqtt_qos0);
      rec.add('mqtt_qos1_messages_per_s', rates.mqtt_qos1);
      rec.add('mqtt_qos0_per_redis', rates.mqtt_qos0 / rates.redis);
      rec.add('mqtt_qos1_per_redis', rates.mqtt_qos1 / rates.redis);
      rec.add('mqtt_dropped', mqttDropped);

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
        ctx.log(`outputs run ${run + 1}/${runs}: redis ${rates.redis.toFixed(0)} entries/s, MQTT QoS 0 `
          + `${rates.mqtt_qos0.toFixed(0)}, QoS 1 ${rates.mqtt_qos1.toFixed(0)} messages/s; API p99 `
          + Object.keys(ROUTES).map((route) => `${route} ${rec.values(`api_${route}_p99_ms`).at(-1)} ms`).join(', '));
      } finally {
        await watcher.stop();
        await service.stop();
      }
    }
  },
};
