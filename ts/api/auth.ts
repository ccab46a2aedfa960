// SPDX-License-Identifier: Apache-2.0
// Bearer-token check for every route but /health (liveness probes carry no credentials).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { ApiError } from './errors';

// Matches /health the way the router does (case-insensitive, optional trailing slash).
const PUBLIC_PATH = /^\/health\/?$/i;

/**
 * Middleware requiring `Authorization: Bearer <token>`; a no-op when `token` is empty.
 * @throws {ApiError} 401 `unauthorized` (with `WWW-Authenticate: Bearer`).
 */
export function bearerAuth(token: string): Middleware {
  if (token === '') return (_ctx, next) => next();
  const expected = digest(token);
  return async (ctx, next) => {
    if (PUBLIC_PATH.test(ctx.path)) return next();
    const match = /^Bearer +(\S+) *$/i.exec(ctx.get('Authorization'));
    if (match === null) {
      ctx.set('WWW-Authenticate', 'Bearer realm="owl-stream"');
      throw new ApiError(401, 'unauthorized', 'missing "Authorization: Bearer <token>" header');
    }
    // Comparing fixed-length digests takes the same time whatever the token's length or content.
    if (!timingSafeEqual(digest(match[1]), expected)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="owl-stream", error="invalid_token"');
      throw new ApiError(401, 'unauthorized', 'invalid bearer token');
    }
    return next();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
