// SPDX-License-Identifier: Apache-2.0
// Checks the RAW path and query string of every request before anything decodes them. Koa's query parser turns
// broken percent-encoding (%FF%FE) and encoded lone surrogates (%ED%A0%80) into U+FFFD without a word, so a
// prompt would silently become something else; and an encoded control character (%0A) would reach the log and
// Redis. Refused with 400, naming the position in the raw text.
import type { Context, Next } from 'koa';
import { describeChar, findControlChar } from '../config/safe-text';
import { ApiError } from './errors';

/** Middleware: 400 `invalid_encoding` / `invalid_character` for a path or query that is not clean UTF-8 text. */
export function encodingGuard() {
  return async (ctx: Context, next: Next): Promise<void> => {
    checkRaw(ctx.path, 'path', false);
    checkRaw(ctx.querystring, 'query string', true);
    await next();
  };
}

/**
 * Decodes `raw` as percent-encoded UTF-8 and refuses what is not text.
 * @param plusIsSpace true for query strings (form encoding), false for paths.
 * @throws {ApiError} 400 naming the 1-based position in `raw`.
 */
function checkRaw(raw: string, what: string, plusIsSpace: boolean): void {
  // Bytes as sent, each with where its text starts in `raw` (Node reads the request target as latin1).
  const bytes: number[] = [];
  const at: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if (code === 0x25) {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
        throw refused('invalid_encoding', `the ${what} has a broken percent-encoding at position ${i + 1} `
          + '("%" must be followed by two hex digits; write "%25" for "%")');
      }
      bytes.push(parseInt(hex, 16));
      at.push(i);
      i += 2;
    } else if (code > 0xff) {
      throw refused('invalid_encoding', `the ${what} has ${describeChar(code)} at position ${i + 1}; percent-encode it`);
    } else {
      bytes.push(plusIsSpace && code === 0x2b ? 0x20 : code);
      at.push(i);
    }
  }
  for (let b = 0; b < bytes.length;) {
    const { codePoint, length } = utf8Char(bytes, b);
    if (codePoint < 0) {
      throw refused('invalid_encoding', `the ${what} is not UTF-8 at position ${at[b] + 1} (byte 0x`
        + `${bytes[b].toString(16).toUpperCase().padStart(2, '0')}); percent-encode text as UTF-8`);
    }
    if (findControlChar(String.fromCodePoint(codePoint)) !== null) {
      throw refused('invalid_character', `the ${what} contains ${describeChar(codePoint)} at position ${at[b] + 1}; `
        + 'control characters are not accepted');
    }
    b += length;
  }
}

/** The UTF-8 character starting at `i` (RFC 3629: no overlong forms, no surrogates), or codePoint -1. */
function utf8Char(bytes: readonly number[], i: number): { codePoint: number; length: number } {
  const first = bytes[i];
  if (first < 0x80) return { codePoint: first, length: 1 };
  // Per lead byte: sequence length, smallest and largest second byte.
  const [length, low, high] = first >= 0xc2 && first <= 0xdf ? [2, 0x80, 0xbf]
    : first === 0xe0 ? [3, 0xa0, 0xbf] : first === 0xed ? [3, 0x80, 0x9f]
      : first >= 0xe1 && first <= 0xef ? [3, 0x80, 0xbf]
        : first === 0xf0 ? [4, 0x90, 0xbf] : first === 0xf4 ? [4, 0x80, 0x8f]
          : first >= 0xf1 && first <= 0xf3 ? [4, 0x80, 0xbf] : [0, 0, 0];
  if (length === 0 || i + length > bytes.length) return { codePoint: -1, length: 1 };
  if (bytes[i + 1] < low || bytes[i + 1] > high) return { codePoint: -1, length: 1 };
  let codePoint = first & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) {
    const next = bytes[i + k];
    if ((next & 0xc0) !== 0x80) return { codePoint: -1, length: 1 };
    codePoint = (codePoint << 6) | (next & 0x3f);
  }
  return { codePoint, length };
}

function refused(code: string, message: string): ApiError {
  return new ApiError(400, code, message);
}
