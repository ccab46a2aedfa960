// SPDX-License-Identifier: Apache-2.0
// The REST API: error middleware first, then the bearer check, then the routes. Every answer is JSON (but
// /metrics, the video and the web page), every failure `{error: {code, message}}`; nothing a client sends can
// take the service down.
import Router from '@koa/router';
import createDebug from 'debug';
import Koa, { type Context, type Next } from 'koa';
import type { OwlConfig } from '../config/schema';
import { PromptError, type PromptLimits } from '../model/prompts';
import { bearerAuth } from './auth';
import { encodingGuard } from './encoding-guard';
import { ApiError, errorBody } from './errors';
import { addJpsRoutes, JPS_PREFIX, jpsErrorBody } from './jps-routes';
import { addPageRoutes } from './page-routes';
import { addPromptRoutes } from './prompt-routes';
import { ApiServer } from './server';
import type { ControlService } from './service';
import { serviceErrorAnswer } from './service-errors';
import { addStatusRoutes } from './status-routes';
import { addVideoRoutes } from './video-routes';

const log = createDebug('owl-stream:api');

/** How the API is set up. */
export interface ApiOptions {
  /**
   * Bearer token required on every route but the health probes (/health, /api/v1/health/ready) and the web page;
   * '' turns authentication off.
   */
  token: string;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /**
   * Limits applied to prompt lists before they reach the service; read at each request, so a service that changes
   * them on a reload (SIGHUP) hands its own object and updates it in place.
   */
  promptLimits: PromptLimits;
}

/** The API options a configuration gives. */
export function apiOptionsFrom(config: OwlConfig): ApiOptions {
  return {
    token: config.api.token,
    maxBodyBytes: config.api.maxBodyBytes,
    promptLimits: { maxPrompts: config.prompts.maxPrompts, maxPromptLength: config.prompts.maxPromptLength },
  };
}

/**
 * Builds the REST API over a running service; call `listen(host, port)` on the result.
 * @param service the running service (ts/service/control.ts ServiceControl), or a stand-in in tests.
 */
export function createApi(service: ControlService, options: ApiOptions): ApiServer {
  const app = new Koa();
  const router = new Router();
  addPromptRoutes(router, service, options.promptLimits, options.maxBodyBytes);
  addStatusRoutes(router, service);
  addVideoRoutes(router, service);
  addPageRoutes(router);
  addJpsRoutes(router, service, options.promptLimits, options.maxBodyBytes);
  const routes = router.stack.flatMap((layer) =>
    layer.methods.filter((m) => m !== 'HEAD').map((m) => `${m} ${layer.path}`));

  app.use(errorResponses(routes));
  app.use(encodingGuard());
  app.use(bearerAuth(options.token));
  app.use(router.routes());
  app.use(router.allowedMethods());
  // Errors are answered by errorResponses; this only sees failures writing the response itself.
  app.on('error', (err: Error) => log('response error: %s', err.message));
  return new ApiServer(app.callback());
}

// Statuses the router leaves without a body, and their codes.
const EMPTY_STATUS_CODES: Record<number, string> = {
  404: 'not_found', 405: 'method_not_allowed', 501: 'not_implemented',
};

/** Turns every failure into `{error: {code, message}}` with the right status. */
function errorResponses(routes: readonly string[]) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
    } catch (err) {
      answerError(ctx, err);
      return;
    }
    const code = EMPTY_STATUS_CODES[ctx.status];
    if (code !== undefined && (ctx.body === undefined || ctx.body === null)) {
      const status = ctx.status;
      ctx.body = bodyFor(ctx, code, emptyStatusMessage(ctx, routes));
      ctx.status = status; // Koa turns an implicit 404 into 200 when a body is set.
    }
  };
}

function answerError(ctx: Context, err: unknown): void {
  const { status, code, message } = describeError(err);
  if (status >= 500) log('%s %s failed: %s', ctx.method, ctx.path.slice(0, 200), (err as Error)?.stack ?? err);
  ctx.status = status;
  ctx.body = bodyFor(ctx, code, message);
  // A refused body may be partly unread: closing the connection stops the client from sending the rest.
  if (status === 413) ctx.set('Connection', 'close');
}

// The successor service's clients read FastAPI's `detail`; everyone else gets our shape alone.
function bodyFor(ctx: Context, code: string, message: string) {
  return ctx.path.startsWith(JPS_PREFIX) ? jpsErrorBody(code, message) : errorBody(code, message);
}

function describeError(err: unknown): { status: number; code: string; message: string } {
  if (err instanceof ApiError) return err;
  if (err instanceof PromptError) return { status: 400, code: err.code, message: err.message };
  const refusal = serviceErrorAnswer(err);
  if (refusal !== null) return refusal;
  // Koa's and the router's own HTTP errors (ctx.throw, malformed requests).
  const http = err as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof http.status === 'number' && http.status >= 400 && http.status < 500 && http.expose === true) {
    return { status: http.status, code: 'bad_request', message: String(http.message) };
  }
  return { status: 500, code: 'internal_error', message: 'internal error; see the service log' };
}

function emptyStatusMessage(ctx: Context, routes: readonly string[]): string {
  const request = `${ctx.method} ${JSON.stringify(ctx.path.slice(0, 100))}`;
  if (ctx.status === 404) return `no route for ${request}; routes: ${routes.join(', ')}`;
  const allowed = ctx.response.get('Allow');
  if (ctx.status === 405) return `${request} is not allowed; allowed: ${allowed}`;
  return `method ${JSON.stringify(ctx.method.slice(0, 20))} is not implemented`;
}
