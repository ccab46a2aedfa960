// SPDX-License-Identifier: Apache-2.0
// The RTSP output URL (`--stream_output`, default rtsp://0.0.0.0:6000/out) split into what the in-process
// RTSP server binds and the mount it serves.
import { checkUrl } from './url-policy';

/** Where the annotated video is served. */
export interface OutputAddress {
  /** Address to bind, e.g. "0.0.0.0". */
  host: string;
  port: number;
  /** Mount path, e.g. "/out". */
  mount: string;
}

/** What `parseOutputUrl` accepts, for error messages. */
export const OUTPUT_URL_ALLOWED = 'an rtsp://host:port/path URL such as rtsp://0.0.0.0:6000/out';

/**
 * Checks an output URL (the one URL validator, then the parts the server needs).
 * @returns its normal form, or the problem worded to follow the field's name.
 */
export function checkOutputUrl(value: string): { ok: true; value: string } | { ok: false; problem: string } {
  const checked = checkUrl(value, ['rtsp:']);
  if (!checked.ok) return checked;
  const { url } = checked;
  if (url.port === '') return { ok: false, problem: 'has no port' };
  if (url.pathname === '' || url.pathname === '/') return { ok: false, problem: 'has no mount path such as /out' };
  if (url.search !== '' || url.username !== '' || url.password !== '') {
    return { ok: false, problem: 'has a query or credentials, which the server cannot use' };
  }
  return { ok: true, value: checked.href };
}

/** Splits an `rtsp://host:port/path` URL; null when it is not one (no port, no path, other scheme). */
export function parseOutputUrl(value: string): OutputAddress | null {
  const checked = checkOutputUrl(value);
  if (!checked.ok) return null;
  const url = new URL(checked.value);
  // WHATWG URL keeps IPv6 brackets in hostname; the server binds the bare address.
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port), mount: url.pathname };
}
