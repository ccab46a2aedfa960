// SPDX-License-Identifier: Apache-2.0
// The metadata outputs of a DeepStream pipeline, one nvmsgconv -> nvmsgbroker branch each (pipeline-description.ts):
// Redis (the default), MQTT and Kafka, as the configuration turns them on, with their adaptor libraries, connection
// strings, generated configs (run-folder.ts) and topics.
import path from 'node:path';
import type { DeepStreamConfigInput } from './config-input';
import type { BrokerBranch } from './pipeline-description';
import type { DeepStreamConfigPaths } from './run-folder';

/**
 * The protocol adaptors in a DeepStream install's lib folder (nvmsgbroker checks for the MQTT one by this very
 * file name).
 */
const ADAPTORS = { redis: 'libnvds_redis_proto.so', mqtt: 'libnvds_mqtt_proto.so', kafka: 'libnvds_kafka_proto.so' };

/**
 * nvmsgbroker `conn-str` as all three adaptors read it: `host;port` (nvds_redis_client.cpp parse_config,
 * is_valid_mqtt_connection_str, is_valid_kafka_connection_str).
 */
function connStr(target: { host: string; port: number }): string {
  return `${target.host};${target.port}`;
}

/** The branches for the outputs that are on, Redis first. */
export function brokerBranches(input: DeepStreamConfigInput, files: DeepStreamConfigPaths,
  deepstreamDir: string): BrokerBranch[] {
  const branches: BrokerBranch[] = [];
  const lib = (kind: keyof typeof ADAPTORS) => path.join(deepstreamDir, 'lib', ADAPTORS[kind]);
  const { redis, mqtt, kafka } = input;
  if (redis !== null) {
    branches.push({ name: '', frameInterval: redis.frameInterval, protoLib: lib('redis'),
      connStr: connStr(redis), configPath: files.broker, topic: redis.stream });
  }
  if (mqtt !== null) {
    branches.push({ name: 'mqtt', frameInterval: mqtt.frameInterval, protoLib: lib('mqtt'),
      connStr: connStr(mqtt), configPath: files.mqtt, topic: mqtt.topic });
  }
  if (kafka !== null) {
    branches.push({ name: 'kafka', frameInterval: kafka.frameInterval,
      protoLib: lib('kafka'), connStr: connStr(kafka), configPath: files.kafka, topic: kafka.topic });
  }
  return branches;
}

/** What the configuration asks of the MQTT output that DeepStream's adaptor does not do, for the log. */
export function deepStreamMqttWarnings(mqtt: { enabled: boolean; qos: number; retain: boolean }): string[] {
  if (!mqtt.enabled || (mqtt.qos === 0 && !mqtt.retain)) return [];
  return [`engine deepstream publishes MQTT at QoS 0 without retain (its adaptor's fixed choice): mqtt.qos ${mqtt.qos}`
    + `${mqtt.retain ? ' and mqtt.retain' : ''} ignored`];
}
