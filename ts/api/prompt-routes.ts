// SPDX-License-Identifier: Apache-2.0
// /prompt: the seed's `GET /prompt?objects=a%20person,a%20hat&thresholds=0.1,0.2` (sets the prompts and
// answers the prompts now in force), `GET /prompt` alone (reads them) and `POST /prompt` with a JSON body.
// `DELETE /prompt` goes back to the configuration's prompts, `DELETE /prompt/<stream id>` gives one stream the
// prompts it starts with again; both forget what was kept of them for the next start (ts/state/).
import type Router from '@koa/router';
import type { Context } from 'koa';
import { isMapping } from '../config/layers';
import { parsePrompts, type PromptLimits, type PromptSet } from '../model/prompts';
import { readJsonBody } from './body';
import { ApiError } from './errors';
import type { ControlService } from './service';

const FIELDS = ['objects', 'thresholds'] as const;

/** Adds the /prompt routes. */
export function addPromptRoutes(router: Router, service: ControlService, limits: PromptLimits,
  maxBodyBytes: number): void {
  router.get('/prompt', async (ctx) => {
    const given = queryFields(ctx);
    // HEAD must not change anything, so it only reads.
    if (ctx.method === 'HEAD' || (given.objects === undefined && given.thresholds === undefined)) {
      ctx.body = service.getPrompts();
      return;
    }
    ctx.body = await apply(service, limits, given.objects, given.thresholds);
  });

  router.post('/prompt', async (ctx) => {
    const body = await readJsonBody(ctx.req, maxBodyBytes);
    if (!isMapping(body)) {
      throw new ApiError(400, 'invalid_body',
        'expected a JSON object such as {"objects": ["a person"], "thresholds": [0.1]}');
    }
    const unknown = Object.keys(body).filter((key) => !(FIELDS as readonly string[]).includes(key));
    if (unknown.length > 0) {
      throw new ApiError(400, 'unknown_field',
        `unknown field ${JSON.stringify(unknown[0].slice(0, 40))}; allowed: ${FIELDS.join(', ')}`);
    }
    ctx.body = await apply(service, limits, body.objects, body.thresholds);
  });

  router.delete('/prompt', async (ctx) => {
    ctx.body = await service.resetPrompts();
  });

  router.delete('/prompt/:stream', async (ctx) => {
    ctx.body = await service.resetStreamPrompts(ctx.params.stream);
  });
}

/** The query's objects/thresholds, each given at most once; other parameters are refused. */
function queryFields(ctx: Context): { objects?: string; thresholds?: string } {
  const fields: { objects?: string; thresholds?: string } = {};
  for (const [key, value] of Object.entries(ctx.query)) {
    if (!(FIELDS as readonly string[]).includes(key)) {
      throw new ApiError(400, 'unknown_parameter',
        `unknown query parameter ${JSON.stringify(key.slice(0, 40))}; allowed: ${FIELDS.join(', ')}`);
    }
    if (Array.isArray(value)) {
      throw new ApiError(400, 'repeated_parameter',
        `${key} is given ${value.length} times; give it once, comma-separated`);
    }
    fields[key as (typeof FIELDS)[number]] = value;
  }
  return fields;
}

async function apply(service: ControlService, limits: PromptLimits, objects: unknown,
  thresholds: unknown): Promise<PromptSet> {
  const prompts = parsePrompts(objects, thresholds ?? currentThreshold(service), limits);
  return service.setPrompts(prompts.objects, prompts.thresholds);
}

// Omitted thresholds keep the current one when all prompts share it; otherwise the client must say.
function currentThreshold(service: ControlService): number {
  const current = service.getPrompts().thresholds;
  if (current.length > 0 && current.every((t) => t === current[0])) return current[0];
  throw new ApiError(400, 'missing_thresholds', 'thresholds missing, and the current prompts have different '
    + 'thresholds: give one per prompt, or a single one for all');
}
