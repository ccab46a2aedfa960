// SPDX-License-Identifier: Apache-2.0
// What kind of video input a `stream_input` / `input.uri` names. The seed took `rtsp://` as a camera and
// anything else as a VST address; we also take file paths and the built-in `test:` source. URLs go through the
// one URL validator (ts/config/url-policy.ts) and come out in their normal form, which is what the rest uses.
import { fileURLToPath } from 'node:url';
import { controlCharProblem } from './safe-text';
import { checkUrl } from './url-policy';

/** A classified video input. */
export type InputSource =
  | { kind: 'rtsp'; url: string }
  /** A VST base address such as `http://host:81/`; the RTSP URL is discovered through its REST API. */
  | { kind: 'vst'; base: string }
  | { kind: 'file'; path: string }
  /** The built-in moving test pattern; `pattern` may be empty (the engine's default pattern). */
  | { kind: 'test'; pattern: string };

/** What `classifyInput` accepts, for error messages. */
export const INPUT_URI_ALLOWED = 'an rtsp:// URL, a VST http(s):// address, a file path or test:[pattern]';

const TEST_PREFIX = 'test:';
// videotestsrc pattern nicks: lower-case words joined by dashes.
const TEST_PATTERN = /^[a-z0-9-]{0,40}$/;

/** An input that passed, with its normal form (`uri`: what configs and the API then hold). */
export interface CheckedInput {
  ok: true;
  input: InputSource;
  /** The input in its normal form (a URL's `href`, a path as given). */
  uri: string;
}

/**
 * Checks and classifies an input URI.
 * @returns the input, or the problem worded to follow the field's name ("contains a line feed ..."); '' when it is
 *   simply none of the kinds taken (e.g. ftp://).
 */
export function checkInput(uri: string): CheckedInput | { ok: false; problem: string } {
  const refused = (problem: string) => ({ ok: false as const, problem });
  if (uri === '') return refused('is empty');
  if (uri.startsWith(TEST_PREFIX)) {
    const pattern = uri.slice(TEST_PREFIX.length);
    if (!TEST_PATTERN.test(pattern)) return refused('names no test pattern: use test: or test:<pattern> such as test:ball');
    return { ok: true, input: { kind: 'test', pattern }, uri };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1]?.toLowerCase();
  // "rtsp:/ /cam", "rtsp:cam": a URL gone wrong rather than a file name.
  if (scheme === undefined && /^[a-z][a-z0-9+.-]*:/i.test(uri)) return refused('');
  if (scheme === undefined) {
    // A file path: spaces are fine in a path, control characters never are.
    const problem = controlCharProblem(uri) ?? (uri.trim() !== uri ? 'starts or ends with a space' : null);
    return problem === null ? { ok: true, input: { kind: 'file', path: uri }, uri } : refused(problem);
  }
  if (scheme === 'rtsp' || scheme === 'rtsps') {
    const checked = checkUrl(uri, ['rtsp:', 'rtsps:']);
    return checked.ok ? { ok: true, input: { kind: 'rtsp', url: checked.href }, uri: checked.href } : checked;
  }
  if (scheme === 'http' || scheme === 'https') {
    const checked = checkUrl(uri, ['http:', 'https:']);
    return checked.ok ? { ok: true, input: { kind: 'vst', base: checked.href }, uri: checked.href } : checked;
  }
  if (scheme === 'file') {
    const checked = checkUrl(uri, ['file:'], false);
    if (!checked.ok) return checked;
    try {
      return { ok: true, input: { kind: 'file', path: fileURLToPath(checked.url) }, uri: checked.href };
    } catch (err) {
      return refused(`is not a local file URL (${(err as Error).message})`);
    }
  }
  return refused('');
}

/**
 * Classifies an input URI.
 * @returns the input, or null when the URI is none of the accepted kinds (e.g. `ftp://x`, `rtsp://`, a URL with a
 *   line break).
 */
export function classifyInput(uri: string): InputSource | null {
  const checked = checkInput(uri);
  return checked.ok ? checked.input : null;
}
