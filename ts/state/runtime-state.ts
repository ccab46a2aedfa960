// SPDX-License-Identifier: Apache-2.0
// What the service keeps across restarts: what was changed through the API and would otherwise be lost with the
// process. The prompts set with /prompt or /api/v1/detection/classes (service-wide and per stream) and the
// streams added with POST /api/v1/live-stream. Everything else comes from the configuration again.
//
// On disk: one JSON document, `{"version": 1, "prompts": …, "streamPrompts": {…}, "streams": […]}`. A document
// whose shape is wrong is refused as a whole (StateFormatError: the file is then moved aside); single entries
// that the current configuration refuses (a prompt list over today's limits, a stream id no longer valid) are left
// out with a warning, so one stale entry does not cost the others.
import { classifyInput } from '../config/input-uri';
import { STREAM_ID } from '../config/schema';
import { describeValue } from '../errors/expected';
import { parsePrompts, PromptError, type PromptLimits, type PromptSet } from '../model/prompts';

/** The version written; a file of another version is refused (moved aside) rather than misread. */
export const STATE_VERSION = 1;

/** A stream added through the API, as needed to add it again. */
export interface SavedStream {
  /** Its id (a uuid), kept so its own prompts and the clients that know it find it again. */
  id: string;
  /** The rtsp:// URL it was added with (credentials included: the file is readable by its owner only). */
  uri: string;
  description: string;
}

/** The runtime state; see the file comment. */
export interface RuntimeState {
  /** Service-wide prompts set through the API; null: the configuration's. */
  prompts: PromptSet | null;
  /** Prompts of single streams set through the API, by stream id (empty lists: no detection on it). */
  streamPrompts: Record<string, PromptSet>;
  /** Streams added through the API, in the order they were added. */
  streams: SavedStream[];
}

/** A state document that cannot be read as one. */
export class StateFormatError extends Error {
  override readonly name = 'StateFormatError';
}

/** Nothing changed through the API. */
export function emptyState(): RuntimeState {
  return { prompts: null, streamPrompts: {}, streams: [] };
}

/** The document written to disk. */
export function serializeState(state: RuntimeState): string {
  return `${JSON.stringify({ version: STATE_VERSION, ...state }, null, 2)}\n`;
}

/**
 * Reads a state document.
 * @param limits the prompt limits in force: longer lists are left out (with a warning).
 * @returns the state and one warning per entry left out.
 * @throws {StateFormatError} when the text is not a state document of this version.
 */
export function parseState(text: string, limits: PromptLimits): { state: RuntimeState; warnings: string[] } {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new StateFormatError(`not JSON (${(err as Error).message})`);
  }
  const root = mapping(document, 'the document');
  if (root.version !== STATE_VERSION) {
    throw new StateFormatError(`expected version ${STATE_VERSION}, received ${describeValue(root.version)}`);
  }
  const warnings: string[] = [];
  const prompts = (value: unknown, where: string, emptyAllowed: boolean): PromptSet | null => {
    const entry = mapping(value, where);
    if (emptyAllowed && isEmptyList(entry.objects) && isEmptyList(entry.thresholds)) return { objects: [], thresholds: [] };
    try {
      return parsePrompts(entry.objects, entry.thresholds, limits);
    } catch (err) {
      if (!(err instanceof PromptError)) throw err;
      warnings.push(`${where} left out: ${err.message}`);
      return null;
    }
  };
  const state = emptyState();
  if (root.prompts !== null && root.prompts !== undefined) state.prompts = prompts(root.prompts, 'prompts', false);
  for (const [id, value] of Object.entries(mapping(root.streamPrompts ?? {}, 'streamPrompts'))) {
    if (!STREAM_ID.test(id)) {
      warnings.push(`prompts of stream ${describeValue(id.slice(0, 100))} left out: not a valid stream id`);
      continue;
    }
    const set = prompts(value, `prompts of stream ${id}`, true);
    if (set !== null) state.streamPrompts[id] = set;
  }
  const streams = root.streams ?? [];
  if (!Array.isArray(streams)) throw new StateFormatError(`streams: expected a list, received ${describeValue(streams)}`);
  streams.forEach((value, i) => {
    const entry = mapping(value, `streams[${i}]`);
    const { id, uri, description } = entry;
    if (typeof id !== 'string' || typeof uri !== 'string' || typeof description !== 'string') {
      throw new StateFormatError(`streams[${i}]: expected id, uri and description as text`);
    }
    if (!STREAM_ID.test(id) || classifyInput(uri)?.kind !== 'rtsp' || /[\u0000-\u001f\u007f]/.test(description)) {
      warnings.push(`stream ${describeValue(id.slice(0, 100))} left out: not a valid id, rtsp:// URL and description`);
      return;
    }
    state.streams.push({ id, uri, description });
  });
  return { state, warnings };
}

function isEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0;
}

function mapping(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StateFormatError(`${where}: expected a JSON object, received ${describeValue(value)}`);
  }
  return value as Record<string, unknown>;
}
