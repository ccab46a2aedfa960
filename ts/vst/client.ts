// SPDX-License-Identifier: Apache-2.0
// One request to VST's REST API, with a timeout. Credentials in the base URL (http://user:pass@host:81)
// become Basic auth, since fetch refuses URLs that carry them.
import { redactUrl } from '../config/redact';
import { VstError } from './errors';

/** Path of the live-stream list, relative to the VST base address. */
const LIVE_STREAMS_PATH = 'api/v1/live/streams';

/**
 * Fetches VST's live-stream list as parsed JSON.
 * @param base VST address such as `http://host:81` (a path prefix such as `http://host:30080/vst` is kept).
 * @param signal cancels the request (discovery passes the caller's signal).
 * @throws {VstError} `unreachable` (no answer, timeout, 5xx), `bad_response` (4xx, not JSON) or `aborted`.
 */
export async function fetchLiveStreams(base: string, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
  const shown = redactUrl(base);
  const url = new URL(base);
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (url.username !== '' || url.password !== '') {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    headers.Authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  const target = new URL(LIVE_STREAMS_PATH, url);
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  let text: string;
  try {
    const either = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    response = await fetch(target, { headers, signal: either });
    text = await response.text();
  } catch (err) {
    if (signal?.aborted === true) {
      throw new VstError('aborted', `VST discovery at ${shown} was cancelled`, { cause: err });
    }
    const why = timeout.aborted ? `no answer within ${timeoutMs} ms` : causeText(err);
    throw new VstError('unreachable', `VST at ${shown} is unreachable: ${why}`, { cause: err });
  }
  const where = `VST at ${shown} answered ${response.status} for /${LIVE_STREAMS_PATH}`;
  if (response.status >= 500) throw new VstError('unreachable', `${where}`);
  if (response.status === 401 || response.status === 403) {
    throw new VstError('bad_response', `${where}: it needs credentials, e.g. http://user:password@host:81`);
  }
  if (!response.ok) throw new VstError('bad_response', `${where}: is this a VST address?`);
  try {
    return JSON.parse(text);
  } catch {
    throw new VstError('bad_response', `${where} with something other than JSON: is this a VST address?`);
  }
}

// fetch reports "fetch failed" and hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`.
function causeText(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
