// SPDX-License-Identifier: Apache-2.0
// Writes every generated DeepStream file into one run folder and says where each one is.
import fs from 'node:fs/promises';
import path from 'node:path';
import { redisBrokerConfig } from './broker-config';
import type { DeepStreamConfigInput } from './config-input';
import { kafkaBrokerConfig } from './kafka-broker-config';
import { mqttBrokerConfig } from './mqtt-broker-config';
import { nvinferConfig } from './nvinfer-config';
import { trackerConfig } from './tracker-config';

/** File names inside the run folder. */
export const DEEPSTREAM_FILES = {
  nvinfer: 'nvinfer.txt',
  tracker: 'tracker.yml',
  broker: 'redis.txt',
  mqtt: 'mqtt.txt',
  kafka: 'kafka.txt',
} as const;

/** Absolute paths of the written files (`tracker` only with a tracker; a broker's only where its output is on). */
export type DeepStreamConfigPaths = Record<Exclude<keyof typeof DEEPSTREAM_FILES, 'tracker'>, string>
  & { tracker: string | null };

/** The generated files by name (pure; what the golden tests pin). @throws on invalid input */
export function deepStreamFiles(input: DeepStreamConfigInput): Record<string, string> {
  return {
    [DEEPSTREAM_FILES.nvinfer]: nvinferConfig(input),
    ...(input.tracker === null ? {} : { [DEEPSTREAM_FILES.tracker]: trackerConfig(input.tracker) }),
    ...(input.redis === null ? {} : { [DEEPSTREAM_FILES.broker]: redisBrokerConfig(input) }),
    ...(input.mqtt === null ? {} : { [DEEPSTREAM_FILES.mqtt]: mqttBrokerConfig(input) }),
    ...(input.kafka === null ? {} : { [DEEPSTREAM_FILES.kafka]: kafkaBrokerConfig(input) }),
  };
}

/**
 * Generates and writes the files into `dir` (created if missing), replacing earlier ones.
 * @returns the absolute path of each file.
 */
export async function writeDeepStreamFiles(input: DeepStreamConfigInput, dir: string): Promise<DeepStreamConfigPaths> {
  const files = deepStreamFiles(input);
  const root = path.resolve(dir);
  await fs.mkdir(root, { recursive: true });
  await Promise.all(Object.entries(files).map(([name, text]) => fs.writeFile(path.join(root, name), text)));
  const at = (name: string) => path.join(root, name);
  return {
    nvinfer: at(DEEPSTREAM_FILES.nvinfer),
    tracker: input.tracker === null ? null : at(DEEPSTREAM_FILES.tracker),
    broker: at(DEEPSTREAM_FILES.broker),
    mqtt: at(DEEPSTREAM_FILES.mqtt),
    kafka: at(DEEPSTREAM_FILES.kafka),
  };
}
