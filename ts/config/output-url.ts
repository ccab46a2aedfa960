// SPDX-License-Identifier: Apache-2.0
// The RTSP output URL (`--stream_output`, default rtsp://0.0.0.0:6000/out) split into what the in-process
// RTSP server binds and the mount it serves.

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

/** Splits an `rtsp://host:port/path` URL; null when it is not one (no port, no path, other scheme). */
export function parseOutputUrl(value: string): OutputAddress | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'rtsp:' || url.hostname === '' || url.port === '') return null;
  if (url.pathname === '' || url.pathname === '/' || url.search !== '' || url.username !== '') return null;
  // WHATWG URL keeps IPv6 brackets in hostname; the server binds the bare address.
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port), mount: url.pathname };
}
