// SPDX-License-Identifier: Apache-2.0
// What one stream is to run, whichever way it came: input.uri (the seed's single stream), an entry of
// `streams:`, POST /api/v1/live-stream, or a camera listed by VST. Defaults are settled here, not per caller.
import { classifyInput, type InputSource } from '../config/input-uri';
import { parseOutputUrl } from '../config/output-url';
import type { OwlConfig } from '../config/schema';
import { deriveSensorId } from '../config/sensor-id';
import type { PromptSet } from '../model/prompts';

/**
 * Where a stream came from: `input` (input.uri), `config` (an entry of `streams:`, re-read on SIGHUP), `api`
 * (POST /api/v1/live-stream) or `vst` (VST's list, followed).
 */
export type StreamOrigin = 'input' | 'config' | 'api' | 'vst';

/** A stream to run. */
export interface StreamSpec {
  /** Stream id (API, metrics label, log scope); '' = derived from the input (a VST input's from discovery). */
  id: string;
  /** Shown by the API; '' = the id. */
  name: string;
  /** Free text from the API client ('' otherwise). */
  description: string;
  /** The input as given. */
  uri: string;
  input: InputSource;
  /** RTSP mount of its annotated video; '' = automatic (the base mount if free, else <base>/<id>). */
  mount: string;
  /** Prompts of its own; null = the service-wide prompts. */
  prompts: PromptSet | null;
  /** `id` '' = the stream id; `type` and `location` '' = the service-wide `sensor` values. */
  sensor: { id: string; type: string; location: string };
  origin: StreamOrigin;
  /** For a stream following VST: VST's id of it. */
  vstStreamId?: string;
}

/**
 * The streams a configuration starts with: input.uri first (unless it is a VST address being followed), then
 * each entry of `streams:`.
 */
export function configuredStreams(config: OwlConfig): StreamSpec[] {
  const specs: StreamSpec[] = [];
  const primary = classifyInput(config.input.uri);
  if (primary !== null && !config.input.vst.follow) {
    specs.push({
      id: config.sensor.id, name: '', description: '', uri: config.input.uri, input: primary,
      mount: parseOutputUrl(config.output.url)?.mount ?? '', prompts: null, sensor: { ...config.sensor },
      origin: 'input',
    });
  }
  for (const stream of config.streams) {
    specs.push({
      id: stream.id, name: stream.name, description: '', uri: stream.uri, input: classifyInput(stream.uri)!,
      mount: stream.output, prompts: stream.prompts ?? null, sensor: { ...stream.sensor }, origin: 'config',
    });
  }
  return specs;
}

/**
 * A stream added through the API (POST /api/v1/live-stream), or one such kept from an earlier run (ts/state/).
 * @returns null when `uri` is not a video input.
 */
export function apiStreamSpec(id: string, uri: string, description: string): StreamSpec | null {
  const input = classifyInput(uri);
  if (input === null) return null;
  return {
    id, name: '', description, uri, input, mount: '', prompts: null,
    sensor: { id: deriveSensorId(input), type: '', location: '' }, origin: 'api',
  };
}

/** Whether two config streams are the same (an unchanged stream keeps running across a SIGHUP). */
export function sameSpec(a: StreamSpec, b: StreamSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
