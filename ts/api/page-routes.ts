// SPDX-License-Identifier: Apache-2.0
// The web page: GET / and its files under /page/, plain HTML + CSS + one JS module from ts/api/page/ (no
// build step). Public like /health: the files hold no data; the page asks for the token and sends it itself.
import type Router from '@koa/router';
import createDebug from 'debug';
import type { Context } from 'koa';
import fs from 'node:fs';
import path from 'node:path';
import { ApiError } from './errors';

const log = createDebug('owl-stream:api');

/**
 * Where the page's files are read from: the source folder, found from build/ts/api/ (where this module runs)
 * as ../../../ts/api/page, so that no step has to copy them.
 */
const PAGE_DIR = path.resolve(__dirname, '..', '..', '..', 'ts', 'api', 'page');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'page.css': 'text/css; charset=utf-8',
  'page.js': 'text/javascript; charset=utf-8',
};

// Everything the page uses comes from this server; nothing is fetched from elsewhere, nothing embeds it.
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    + "form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/** Adds GET / and GET /page/<file>. */
export function addPageRoutes(router: Router): void {
  const files = readPageFiles();
  const serve = (name: string, ctx: Context) => {
    if (!Object.hasOwn(CONTENT_TYPES, name)) {
      throw new ApiError(404, 'not_found', `no page file ${JSON.stringify(name.slice(0, 60))}; files: `
        + `${Object.keys(CONTENT_TYPES).filter((f) => f !== 'index.html').join(', ')}`);
    }
    const body = files.get(name);
    if (body === undefined) {
      throw new ApiError(404, 'not_found', `the web page file ${name} is missing from ${PAGE_DIR}; `
        + 'reinstall owl-stream with its ts/api/page/ folder');
    }
    ctx.set(SECURITY_HEADERS);
    ctx.set('Content-Type', CONTENT_TYPES[name]);
    ctx.body = body;
  };
  router.get('/', (ctx) => serve('index.html', ctx));
  router.get('/page/:file', (ctx) => serve(ctx.params.file, ctx));
}

/** Reads the page once; a missing file is logged and answered 404, the API works on without it. */
function readPageFiles(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of Object.keys(CONTENT_TYPES)) {
    try {
      files.set(name, fs.readFileSync(path.join(PAGE_DIR, name)));
    } catch (err) {
      log('web page file missing, GET / will answer 404: %s', (err as Error).message);
    }
  }
  return files;
}
