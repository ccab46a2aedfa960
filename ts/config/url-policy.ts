// SPDX-License-Identifier: Apache-2.0
// The one URL validator of every entry point (config file, flags, environment, REST body, VST answers, the
// Redis viewer). A URL reaches other servers (rtspsrc writes it into its request line, fetch into an HTTP
// request) and the log, so it is held to a strict form:
// - printable ASCII only, checked on the RAW string first: the WHATWG parser silently drops tab, CR and LF and
//   trims spaces and C0 controls, so what it parses is not what was given. No whitespace, no control character,
//   none percent-encoded either (%0D%0A), no backslash (special schemes read it as a slash), none of the other
//   characters RFC 3986 leaves out of URIs (" < > ^ ` { | });
// - parsed by the WHATWG URL parser, with an allowed scheme and a host, no fragment;
// - it must round-trip: its normal form parses to itself, and the normal form (not the raw text) is what is passed
//   on, so what is used is exactly what was validated.
// Problems are worded to follow the name of the field ("liveStreamUrl contains a carriage return (U+000D) at
// position 27"), never echoing what was refused.
import { describeChar } from './safe-text';

/** Longest URL accepted (FastAPI's limit for the successor's liveStreamUrl is 1000; RTSP cameras use far less). */
export const MAX_URL_LENGTH = 2048;

/** A URL that passed, in its normal form. */
export interface CheckedUrl {
  ok: true;
  /** The normal form (`URL.href`): what must be passed on. */
  href: string;
  url: URL;
}

/** A refused URL and why, e.g. `contains a line feed (U+000A) at position 24`. */
export interface RefusedUrl {
  ok: false;
  problem: string;
}

/**
 * Checks a URL; see the file comment.
 * @param schemes allowed protocols with the colon, e.g. ['rtsp:', 'rtsps:'].
 * @param needsHost false for file: URLs (file:///path).
 */
export function checkUrl(raw: string, schemes: readonly string[], needsHost = true): CheckedUrl | RefusedUrl {
  const refused = (problem: string): RefusedUrl => ({ ok: false, problem });
  const textProblem = rawProblem(raw);
  if (textProblem !== null) return refused(textProblem);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refused(`is not a URL (expected ${schemes.map((s) => `${s}//host...`).join(' or ')})`);
  }
  if (!schemes.includes(url.protocol)) {
    return refused(`has the scheme ${JSON.stringify(url.protocol.slice(0, 20))}; expected ${schemes.join(' or ')}`);
  }
  if (needsHost && url.hostname === '') return refused('has no host');
  if (raw.includes('#')) return refused('has a fragment (#...); remove it');
  const href = url.href;
  // The normal form must read back as itself, and hold to the same rules, before anything uses it.
  const again = safeParse(href);
  if (again === null || again.href !== href || rawProblem(href) !== null) {
    return refused('does not read back the same once normalised; write it in its plain form');
  }
  return { ok: true, href, url };
}

/** What is wrong with the text of a URL before parsing, or null. */
function rawProblem(raw: string): string | null {
  if (raw.length === 0) return 'is empty';
  if (raw.length > MAX_URL_LENGTH) return `is ${raw.length} characters long, at most ${MAX_URL_LENGTH} allowed`;
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f) {
      const what = describeChar(raw.codePointAt(i)!);
      return `contains ${what} at position ${i + 1}${what.startsWith('a non-ASCII') ? '; percent-encode it' : ''}`;
    }
    if (code === 0x5c) return `contains a backslash at position ${i + 1}`;
    // Printable, but never part of a URI (RFC 3986): another parser may take them differently.
    if ('"<>^`{|}'.includes(raw[i])) {
      return `contains the character ${raw[i]} (U+00${code.toString(16).toUpperCase()}), not allowed in a URL, at position `
        + `${i + 1}; percent-encode it`;
    }
  }
  const encoded = /%(?:[01][0-9a-f]|7f)/i.exec(raw);
  if (encoded !== null) {
    return `contains an encoded control character (${encoded[0].toUpperCase()}) at position ${encoded.index + 1}`;
  }
  return null;
}

function safeParse(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}
