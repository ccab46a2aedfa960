// SPDX-License-Identifier: Apache-2.0
// VST's live-stream list: `GET {base}/api/v1/live/streams` answers a JSON list of
// `{ "<streamId>": [ {isMain, url, name, ...}, ... ] }`. A stream is usable when its `isMain` substream has
// an rtsp:// URL (as mmj_utils' VST.get_rtsp_streams, which skipped the rest silently; we say why). VST's answer
// is text from outside like any request: its URLs pass the one URL validator (their normal form is what is
// played), its ids and names must be plain text.
import { checkInput } from '../config/input-uri';
import { isMapping } from '../config/layers';
import { controlCharProblem, escapeControlChars } from '../config/safe-text';
import { describeValue } from '../errors/expected';
import { VstError } from './errors';

// Stream ids and names become our stream ids, sensor ids and metric labels: a sane length.
const MAX_ID_LENGTH = 200;

/** A usable VST stream. */
export interface VstStream {
  streamId: string;
  /** The main substream's name ('' when VST gives none). */
  name: string;
  /** RTSP URL of the main substream. */
  url: string;
  /** Sensor id for the Redis messages: the name, else the stream id. */
  sensorId: string;
}

/** An entry that was not usable, and why. */
export interface SkippedStream {
  streamId: string;
  reason: string;
}

/**
 * Reads the live-streams answer.
 * @param base the VST address, for messages (passwords masked).
 * @throws {VstError} `bad_response` when the answer is not a list of stream mappings.
 */
export function parseLiveStreams(base: string, body: unknown): { streams: VstStream[]; skipped: SkippedStream[] } {
  // Tolerate a single mapping as well as the documented list of one-key mappings.
  const entries = Array.isArray(body) ? body : isMapping(body) ? [body] : null;
  if (entries === null) {
    throw new VstError('bad_response',
      `VST at ${base} answered ${describeValue(body)} where a list of streams was expected`);
  }
  const streams: VstStream[] = [];
  const skipped: SkippedStream[] = [];
  for (const entry of entries) {
    if (!isMapping(entry)) {
      skipped.push({ streamId: '', reason: `expected a mapping of stream ids, received ${describeValue(entry)}` });
      continue;
    }
    for (const [streamId, substreams] of Object.entries(entry)) {
      const idProblem = streamId.length > MAX_ID_LENGTH ? `its id is longer than ${MAX_ID_LENGTH} characters`
        : controlCharProblem(streamId);
      const result = idProblem !== null ? `the stream id ${idProblem}` : mainStream(streamId, substreams);
      // A refused id is shown escaped and cut, like every value from outside.
      const shownId = idProblem === null ? streamId : escapeControlChars(streamId.slice(0, 40));
      if (typeof result === 'string') skipped.push({ streamId: shownId, reason: result });
      else streams.push(result);
    }
  }
  return { streams, skipped };
}

/** The usable stream, or why there is none. */
function mainStream(streamId: string, substreams: unknown): VstStream | string {
  if (!Array.isArray(substreams)) return `expected a list of substreams, received ${describeValue(substreams)}`;
  const main = substreams.find((s) => isMapping(s) && s.isMain === true) as Record<string, unknown> | undefined;
  if (main === undefined) return 'no substream has isMain: true';
  const url = typeof main.url === 'string' ? main.url : '';
  if (url === '') return 'the main substream has no url';
  if (!/^rtsps?:\/\//i.test(url)) return `the main substream's url is not rtsp://, received ${describeValue(url)}`;
  const checked = checkInput(url);
  if (!checked.ok) return `the main substream's url ${checked.problem}`;
  const name = typeof main.name === 'string' ? main.name.trim() : '';
  const nameProblem = name.length > MAX_ID_LENGTH ? `is longer than ${MAX_ID_LENGTH} characters` : controlCharProblem(name);
  if (nameProblem !== null) return `the main substream's name ${nameProblem}`;
  return { streamId, name, url: checked.uri, sensorId: name === '' ? streamId : name };
}

/**
 * Picks the stream to play.
 * @param choice a stream name or id; '' for the first usable stream.
 * @throws {VstError} `no_streams` or `stream_not_found`, listing what VST has.
 */
export function chooseStream(base: string, streams: readonly VstStream[], skipped: readonly SkippedStream[],
  choice: string): VstStream {
  if (streams.length === 0) {
    const why = skipped.length === 0 ? 'its stream list is empty'
      : `none has a main RTSP URL (${skipped.map((s) => `${s.streamId || '?'}: ${s.reason}`).join('; ')})`;
    throw new VstError('no_streams', `VST at ${base} has no usable stream: ${why}; add a camera in VST first`);
  }
  if (choice === '') return streams[0];
  const chosen = streams.find((s) => s.streamId === choice) ?? streams.find((s) => s.name === choice);
  if (chosen === undefined) {
    const available = streams.map((s) => (s.name === '' ? s.streamId : `${s.name} (${s.streamId})`)).join(', ');
    throw new VstError('stream_not_found', `VST at ${base} has no usable stream named or with id `
      + `${JSON.stringify(choice)}; available: ${available}`);
  }
  return chosen;
}
