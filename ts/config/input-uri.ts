// SPDX-License-Identifier: Apache-2.0
// What kind of video input a `stream_input` / `input.uri` names. The seed took `rtsp://` as a camera and
// anything else as a VST address; we also take file paths and the built-in `test:` source.
import { fileURLToPath } from 'node:url';

/** A classified video input. */
export type InputSource =
  | { kind: 'rtsp'; url: string }
  /** A VST base address such as `http://host:81`; the RTSP URL is discovered through its REST API. */
  | { kind: 'vst'; base: string }
  | { kind: 'file'; path: string }
  /** The built-in moving test pattern; `pattern` may be empty (the engine's default pattern). */
  | { kind: 'test'; pattern: string };

/** What `classifyInput` accepts, for error messages. */
export const INPUT_URI_ALLOWED = 'an rtsp:// URL, a VST http(s):// address, a file path or test:[pattern]';

const TEST_PREFIX = 'test:';

/**
 * Classifies an input URI.
 * @returns the input, or null when the URI is none of the accepted kinds (e.g. `ftp://x`, `rtsp://`).
 */
export function classifyInput(uri: string): InputSource | null {
  const value = uri.trim();
  if (value === '') return null;
  if (value.startsWith(TEST_PREFIX)) return { kind: 'test', pattern: value.slice(TEST_PREFIX.length) };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'file', path: value };
  const url = parseUrl(value);
  if (url === null) return null;
  if ((scheme === 'rtsp' || scheme === 'rtsps') && url.hostname !== '') return { kind: 'rtsp', url: value };
  if ((scheme === 'http' || scheme === 'https') && url.hostname !== '') return { kind: 'vst', base: value };
  if (scheme === 'file') return { kind: 'file', path: fileURLToPath(url) };
  return null;
}

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}
