// SPDX-License-Identifier: Apache-2.0
// The metadata outputs of a DeepStream pipeline, one nvmsgconv -> nvmsgbroker branch each (pipeline-description.ts):
// Redis (the default), MQTT and Kafka, as the configuration turns them on, with their adaptor libraries, connection
// strings, generated configs (run-folder.ts) and topics.
import { redisConnStr, redisProtoLib } from './broker-config';
import type { DeepStreamConfigInput } from './config-input';
import { kafkaConnStr, kafkaProtoLib } from './kafka-broker-config';
import { mqttConnStr, mqttProtoLib } from './mqtt-broker-config';
import type { BrokerBranch } from './pipeline-description';
import type { DeepStreamConfigPaths } from './run-folder';

/** The branches for the outputs that are on, Redis first. */
export function brokerBranches(input: DeepStreamConfigInput, files: DeepStreamConfigPaths,
  deepstreamDir: string): BrokerBranch[] {
  const branches: BrokerBranch[] = [];
  const common = { msgconvConfigPath: files.msgconv };
  const { redis, mqtt, kafka } = input;
  if (redis !== null) {
    branches.push({ ...common, name: '', frameInterval: redis.frameInterval, protoLib: redisProtoLib(deepstreamDir),
      connStr: redisConnStr(redis), configPath: files.broker, topic: redis.stream });
  }
  if (mqtt !== null) {
    branches.push({ ...common, name: 'mqtt', frameInterval: mqtt.frameInterval, protoLib: mqttProtoLib(deepstreamDir),
      connStr: mqttConnStr(mqtt), configPath: files.mqtt, topic: mqtt.topic });
  }
  if (kafka !== null) {
    branches.push({ ...common, name: 'kafka', frameInterval: kafka.frameInterval,
      protoLib: kafkaProtoLib(deepstreamDir), connStr: kafkaConnStr(kafka), configPath: files.kafka, topic: kafka.topic });
  }
  return branches;
}

/** What the configuration asks of the MQTT output that DeepStream's adaptor does not do, for the log. */
export function deepStreamMqttWarnings(mqtt: { enabled: boolean; qos: number; retain: boolean }): string[] {
  if (!mqtt.enabled || (mqtt.qos === 0 && !mqtt.retain)) return [];
  return [`mqtt.qos ${mqtt.qos}${mqtt.retain ? ' and mqtt.retain' : ''} do not apply to engine deepstream: `
    + 'its MQTT adaptor publishes at QoS 0 without retain'];
}
