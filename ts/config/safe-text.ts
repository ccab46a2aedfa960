// SPDX-License-Identifier: Apache-2.0
// The one rule for text from outside (config, flags, environment, requests, VST answers): no control characters.
// A line feed in a prompt forges a log line, a CR/LF in a URL writes a second command into the request another
// server reads (RTSP, Redis). Refused: C0 (U+0000-U+001F), DEL, C1 (U+0080-U+009F), the Unicode line and
// paragraph separators, the bidirectional overrides (they make a log line read other than it is) and lone
// surrogates (not text; UTF-8 cannot carry them). Messages name the character and its position, never the
// character itself.

// Without the `u` flag the surrogate alternatives match single code units, so a lone one is found.
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const FORBIDDEN_ALL = new RegExp(FORBIDDEN.source, 'g');

const NAMES: Record<number, string> = {
  0x00: 'a NUL character', 0x09: 'a tab', 0x0a: 'a line feed', 0x0b: 'a vertical tab', 0x0c: 'a form feed',
  0x0d: 'a carriage return', 0x1b: 'an escape character', 0x20: 'a space', 0x7f: 'a DEL character',
  0x85: 'a next-line character', 0xa0: 'a no-break space', 0x2028: 'a line separator', 0x2029: 'a paragraph separator',
};

/** A refused character: its UTF-16 index in the text and its code unit or point. */
export interface ForbiddenChar {
  /** 0-based index (UTF-16 code units, as JavaScript counts). */
  index: number;
  codePoint: number;
}

/** The first control character (see the file comment) in `text`, or null when there is none. */
export function findControlChar(text: string): ForbiddenChar | null {
  const match = FORBIDDEN.exec(text);
  return match === null ? null : { index: match.index, codePoint: match[0].charCodeAt(0) };
}

/** "a line feed (U+000A)", "a lone surrogate (U+D800)", "a character U+001F": never the character itself. */
export function describeChar(codePoint: number): string {
  const code = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) return `a lone surrogate (${code})`;
  const name = NAMES[codePoint];
  if (name !== undefined) return `${name} (${code})`;
  if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f)) return `a control character (${code})`;
  if (codePoint >= 0x202a && codePoint <= 0x2069) return `a bidirectional control (${code})`;
  if (codePoint > 0x7e) return `a non-ASCII character (${code})`;
  return `the character ${code}`;
}

/** "a line feed (U+000A) at position 6" (1-based, as people count), for messages. */
export function describeAt(found: ForbiddenChar): string {
  return `${describeChar(found.codePoint)} at position ${found.index + 1}`;
}

/**
 * Why `text` is refused ("contains a line feed (U+000A) at position 6"), or null when it has no control character.
 */
export function controlCharProblem(text: string): string | null {
  const found = findControlChar(text);
  return found === null ? null : `contains ${describeAt(found)}`;
}

/**
 * `text` with every control character (see the file comment) written as an escape (`\n`, `\r`, `\t`, `\x1b`,
 * `\u2028`): safe to put inside one line of a log or a message, and still readable.
 */
export function escapeControlChars(text: string): string {
  return text.replace(FORBIDDEN_ALL, (c) => {
    const code = c.charCodeAt(0);
    if (code === 0x0a) return '\\n';
    if (code === 0x0d) return '\\r';
    if (code === 0x09) return '\\t';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** At most `max` characters of `text`, ending in "… (N more characters)" when cut. */
export function boundText(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never cut a surrogate pair in two: half of one is a lone surrogate.
  let end = max;
  if (end > 0 && /[\ud800-\udbff]/.test(text[end - 1])) end--;
  return `${text.slice(0, end)}… (${text.length - end} more characters)`;
}
