// SPDX-License-Identifier: Apache-2.0
// Reads a small JSON request body with a hard size limit. Hand-written (a few lines) rather than a body
// parser dependency: we accept only JSON, only small, and need our own error codes.
// Only `Content-Type: application/json` is read: a web page can make a visitor's browser send a form or
// text/plain body to any address without asking (no CORS preflight), but never application/json, so a page cannot
// drive this API through a browser on the same network.
import type { IncomingMessage } from 'node:http';
import { escapeControlChars } from '../config/safe-text';
import { ApiError } from './errors';

const utf8 = new TextDecoder('utf-8', { fatal: true });

// application/json, optionally with charset=utf-8 (any case, quoted or not).
const JSON_TYPE = /^application\/json[ \t]*(?:;[ \t]*charset[ \t]*=[ \t]*(?:utf-8|"utf-8")[ \t]*)?$/i;

/**
 * Reads and parses the request body as JSON.
 * @param limit largest body accepted, in bytes.
 * @throws {ApiError} 415 `unsupported_media_type` (not application/json), 413 `body_too_large`, 415
 *   `unsupported_encoding`, 400 `invalid_json` or `body_aborted`.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!JSON_TYPE.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', `${type === '' ? 'no Content-Type'
      : `Content-Type ${JSON.stringify(escapeControlChars(type.slice(0, 60)))}`} is not accepted: send the body as `
      + 'JSON with "Content-Type: application/json" (curl: -H "Content-Type: application/json")');
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    throw new ApiError(415, 'unsupported_encoding',
      `Content-Encoding "${encoding.slice(0, 40)}" is not supported; send plain JSON`);
  }
  const declared = Number(req.headers['content-length']);
  if (declared > limit) throw tooLarge(limit);
  const raw = await readAtMost(req, limit);
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new ApiError(400, 'invalid_json', 'request body is not UTF-8 text');
  }
  if (text.trim() === '') throw new ApiError(400, 'invalid_json', 'request body is empty; expected a JSON object');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, 'invalid_json', `request body is not valid JSON: ${(err as Error).message}`);
  }
}

function tooLarge(limit: number): ApiError {
  return new ApiError(413, 'body_too_large', `request body is larger than ${limit} bytes`);
}

function readAtMost(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const fail = (err: ApiError) => {
      cleanup();
      // Leave the rest unread; the response closes the connection (see the error middleware).
      req.pause();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) fail(tooLarge(limit));
      else chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = () => fail(new ApiError(400, 'body_aborted', 'the request body was cut off'));
    const onAborted = onError;
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
