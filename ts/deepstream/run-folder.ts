// SPDX-License-Identifier: Apache-2.0
// Writes every generated DeepStream file into one run folder and says where each one is.
import fs from 'node:fs/promises';
import path from 'node:path';
import { redisBrokerConfig } from './broker-config';
import type { DeepStreamConfigInput } from './config-input';
import { kafkaBrokerConfig } from './kafka-broker-config';
import { mqttBrokerConfig } from './mqtt-broker-config';
import { msgconvConfig } from './msgconv-config';
import { LABEL_FILE_NAME, labelFile, nvinferConfig } from './nvinfer-config';

/** File names inside the run folder. */
export const DEEPSTREAM_FILES = {
  nvinfer: 'nvinfer.txt',
  labels: LABEL_FILE_NAME,
  msgconv: 'msgconv.txt',
  broker: 'redis.txt',
  mqtt: 'mqtt.txt',
  kafka: 'kafka.txt',
} as const;

/** Absolute paths of the written files (a broker's only where its output is on). */
export type DeepStreamConfigPaths = Record<keyof typeof DEEPSTREAM_FILES, string>;

/** The generated files by name (pure; what the golden tests pin). @throws on invalid input */
export function deepStreamFiles(input: DeepStreamConfigInput): Record<string, string> {
  return {
    [DEEPSTREAM_FILES.nvinfer]: nvinferConfig(input),
    [DEEPSTREAM_FILES.labels]: labelFile(input),
    [DEEPSTREAM_FILES.msgconv]: msgconvConfig(input),
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
  const paths = {} as DeepStreamConfigPaths;
  for (const [key, name] of Object.entries(DEEPSTREAM_FILES)) {
    paths[key as keyof typeof DEEPSTREAM_FILES] = path.join(root, name);
  }
  return paths;
}
