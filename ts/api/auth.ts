// SPDX-License-Identifier: Apache-2.0
// Bearer-token check for every route but the health probes (they carry no credentials: /health, /ready and the
// successor's /api/v1/health/ready, as orchestrators and Docker's HEALTHCHECK need) and the web page's static files
// (they hold no data; the page asks for the token and sends it with each data request). A probe learns whether the
// request carried the token (`ctx.state.authenticated`), so /ready shows its details to those who did only.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { ApiError } from './errors';

// Matched the way the router matches (case-insensitive, optional trailing slash): /health, /ready and the successor
// service's /api/v1/health/ready, the page at / and its files under /page/.
const PUBLIC_PATH = /^\/(?:health\/?|ready\/?|api\/v1\/health\/ready\/?|page\/[\w.-]+)?$/i;
// An <img> cannot send headers: the two image routes also take the token as `?token=`.
const IMAGE_PATH = /^\/(?:video\.mjpeg|snapshot\.jpg)\/?$/i;

/**
 * Middleware requiring `Authorization: Bearer <token>` (or, on /video.mjpeg and /snapshot.jpg only, a
 * `?token=<token>` query parameter); a no-op when `token` is empty.
 * @throws {ApiError} 401 `unauthorized` (with `WWW-Authenticate: Bearer`).
 */
export function bearerAuth(token: string): Middleware {
  if (token === '') {
    return (ctx, next) => {
      ctx.state.authenticated = true;
      return next();
    };
  }
  const expected = digest(token);
  return async (ctx, next) => {
    const presented = presentedToken(ctx);
    if (PUBLIC_PATH.test(ctx.path)) {
      ctx.state.authenticated = presented !== null && timingSafeEqual(digest(presented), expected);
      return next();
    }
    if (presented === null) {
      ctx.set('WWW-Authenticate', 'Bearer realm="owl-stream"');
      throw new ApiError(401, 'unauthorized', IMAGE_PATH.test(ctx.path)
        ? 'missing "Authorization: Bearer <token>" header or "token" query parameter'
        : 'missing "Authorization: Bearer <token>" header');
    }
    // Comparing fixed-length digests takes the same time whatever the token's length or content.
    if (!timingSafeEqual(digest(presented), expected)) {
      ctx.set('WWW-Authenticate', 'Bearer realm="owl-stream", error="invalid_token"');
      throw new ApiError(401, 'unauthorized', 'invalid bearer token');
    }
    ctx.state.authenticated = true;
    return next();
  };
}

/** The token the request carries, or null when it carries none the route accepts. */
function presentedToken(ctx: Context): string | null {
  const header = ctx.get('Authorization');
  if (header === '' && IMAGE_PATH.test(ctx.path)) {
    const query = ctx.query.token;
    return typeof query === 'string' && query !== '' ? query : null;
  }
  return /^Bearer +(\S+) *$/i.exec(header)?.[1] ?? null;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
