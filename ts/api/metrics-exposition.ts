// SPDX-License-Identifier: Apache-2.0
// The service's metrics as Prometheus families (names follow Prometheus conventions: `_total` counters,
// seconds for durations, a `stream` label per input).
import type { Labels, MetricFamily } from './prometheus';
import { FLOWING_STATES } from './readiness';
import type { MetricsSnapshot, ServiceStatus, StreamCounters } from './service';

type Samples = { labels?: Labels; value: number }[];

const counter = (name: string, help: string, samples: Samples): MetricFamily =>
  ({ type: 'counter', name, help, samples });
const gauge = (name: string, help: string, samples: Samples): MetricFamily =>
  ({ type: 'gauge', name, help, samples });
const one = (value: number): Samples => [{ value }];
const flag = (on: boolean): Samples => one(on ? 1 : 0);

/** Builds the /metrics families from a metrics snapshot and the current status. */
export function metricFamilies(metrics: MetricsSnapshot, status: ServiceStatus): MetricFamily[] {
  const perStream = (pick: (s: StreamCounters) => number): Samples =>
    metrics.streams.map((s) => ({ labels: { stream: s.streamId }, value: pick(s) }));
  const { redis, mqtt } = metrics;
  return [
    counter('owl_frames_in_total', 'Frames decoded from the input.', perStream((s) => s.framesIn)),
    counter('owl_frames_out_total', 'Frames encoded to the RTSP output.', perStream((s) => s.framesOut)),
    counter('owl_frames_to_model_total', 'Frames handed to the model.', perStream((s) => s.framesToModel)),
    counter('owl_frames_dropped_total', 'Frames the model skipped because it was busy.',
      perStream((s) => s.framesDropped)),
    counter('owl_reconnects_total', 'Input reconnections.', perStream((s) => s.reconnects)),
    counter('owl_pipeline_events_dropped_total', 'Pipeline state and error events dropped while JS was busy.',
      perStream((s) => s.eventsDropped)),
    gauge('owl_stream_up', '1 while the stream delivers frames, else 0.',
      status.streams.map((s) => ({ labels: { stream: s.id }, value: FLOWING_STATES.has(s.state) ? 1 : 0 }))),
    gauge('owl_model_loaded', '1 when the model is loaded, else 0.', flag(status.model.loaded)),
    counter('owl_inferences_total', 'Frames run through the model.', one(metrics.inferences)),
    counter('owl_inference_errors_total', 'Model runs that failed.', one(metrics.inferenceErrors)),
    { type: 'histogram', name: 'owl_inference_latency_seconds',
      help: 'Model time per frame (image encoder and decode).', samples: [{ value: metrics.inferenceLatency }] },
    gauge('owl_redis_up', '1 while connected to Redis, else 0.', flag(status.redis.state === 'ready')),
    counter('owl_redis_messages_written_total', 'Metadata messages appended to the Redis stream.', one(redis.written)),
    gauge('owl_redis_queue_depth', 'Metadata messages waiting to be written.', one(redis.queueDepth)),
    counter('owl_redis_messages_dropped_total', 'Metadata messages dropped because the queue was full.',
      one(redis.dropped)),
    counter('owl_redis_errors_total',
      'Redis connection errors (refused, timed out, closed, TLS or password refused) and failed writes.',
      one(redis.errors)),
    counter('owl_redis_messages_rejected_total',
      'Metadata messages not written because they break the Minimal Schema (e.g. a label with |).',
      one(redis.rejected)),
    gauge('owl_mqtt_up', '1 while connected to the MQTT broker, else 0 (also when the MQTT output is off).',
      flag(status.mqtt?.state === 'ready')),
    counter('owl_mqtt_written_total',
      'Metadata messages the MQTT broker took (QoS 0: written to the connection; 1: PUBACK; 2: PUBCOMP).',
      one(mqtt.written)),
    gauge('owl_mqtt_queue_depth', 'MQTT metadata messages waiting or awaiting their acknowledgement.',
      one(mqtt.queueDepth)),
    counter('owl_mqtt_dropped_total', 'MQTT metadata messages dropped because the queue was full.', one(mqtt.dropped)),
    counter('owl_mqtt_errors_total',
      'MQTT connection errors (refused, timed out, closed, TLS or credentials refused) and failed messages.',
      one(mqtt.errors)),
    counter('owl_mqtt_rejected_total',
      'Metadata messages not published because they break the Minimal Schema or the topic is too long.',
      one(mqtt.rejected)),
    counter('owl_prompt_changes_total', 'Prompt changes applied.', one(metrics.promptChanges)),
  ];
}
