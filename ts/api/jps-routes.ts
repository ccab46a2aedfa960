// SPDX-License-Identifier: Apache-2.0
// The REST API of NVIDIA's Jetson Platform Services zero-shot detection service (the seed's successor,
// mmj_utils APIServer + DetectionServer), so that its clients work unchanged: same paths, bodies, answers and
// statuses (FastAPI's: 200, 400 for a non-RTSP URL, 422 for what it refuses). Errors carry the FastAPI
// `detail` next to our `error` object.
//
// Thresholds: the successor validates them in [0, 100] but compares them, unconverted, with scores in [0, 1]
// (its docs' examples send 0.2). So they are taken as they are; one above 1 can never be exceeded by a score,
// which is what a threshold of 1 means here (that prompt never detects), and it is applied as 1.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { checkInput } from '../config/input-uri';
import { isMapping } from '../config/layers';
import { redactUrl } from '../config/redact';
import { controlCharProblem } from '../config/safe-text';
import { describeValue } from '../errors/expected';
import { parsePrompts, PromptError, type PromptLimits } from '../model/prompts';
import { readJsonBody } from './body';
import { ApiError, errorBody, type ErrorBody } from './errors';
import type { ControlService } from './service';

/** Where the successor's routes live; errors under it also carry `detail`. */
export const JPS_PREFIX = '/api/v1/';

// The successor's pydantic limits on strings (StreamAdd, DetectionClasses).
const MAX_URL_LENGTH = 1000;
const MAX_ID_LENGTH = 100;
/** Thresholds the successor accepts; see the file comment for how they are applied. */
const JPS_MAX_THRESHOLD = 100;

/** An error body with FastAPI's `detail` as well. */
export function jpsErrorBody(code: string, message: string): ErrorBody & { detail: string } {
  return { detail: message, ...errorBody(code, message) };
}

/** Adds /api/v1/live-stream (POST, GET, DELETE), /api/v1/detection/classes (POST) and /api/v1/health/ready. */
export function addJpsRoutes(router: Router, service: ControlService, limits: PromptLimits, maxBodyBytes: number): void {
  router.post('/api/v1/live-stream', async (ctx) => {
    const body = await jpsBody(ctx, maxBodyBytes, '{"liveStreamUrl": "rtsp://host:554/stream", "description": "..."}');
    const url = text(body, 'liveStreamUrl', MAX_URL_LENGTH, true);
    const description = text(body, 'description', MAX_URL_LENGTH, false);
    const checked = checkInput(url);
    if (!checked.ok || checked.input.kind !== 'rtsp') {
      // The one URL validator's reason when it has one (never echoing what it refused), else what was sent.
      throw new ApiError(400, 'invalid_url', 'Livestream URL must be an RTSP link starting with \'rtsp://\', '
        + (checked.ok || !/^rtsps?:/i.test(url) ? `received ${describeValue(redactUrl(url))}` : `liveStreamUrl ${checked.problem}`));
    }
    // The normal form, exactly as validated, is what the pipeline gets.
    const added = await service.addStream({ uri: checked.uri, description });
    ctx.body = { id: added.id };
  });

  router.get('/api/v1/live-stream', (ctx) => {
    ctx.body = service.streams().map((stream) => ({
      id: stream.id,
      liveStreamUrl: redactUrl(stream.input.playingUrl !== '' ? stream.input.playingUrl : stream.input.uri),
      description: stream.description,
    }));
  });

  router.delete('/api/v1/live-stream/:id', async (ctx) => {
    await service.removeStream(ctx.params.id.trim());
    ctx.body = { detail: 'Stream removed successfully' };
  });

  router.post('/api/v1/detection/classes', async (ctx) => {
    const body = await jpsBody(ctx, maxBodyBytes, '{"objects": ["a car"], "thresholds": [0.2], "id": "<stream id>"}');
    const objects = list(body, 'objects');
    const warnings: string[] = [];
    const thresholds = list(body, 'thresholds').map((value, i) => threshold(value, i, warnings));
    const id = body.id === null ? '' : text(body, 'id', MAX_ID_LENGTH, false).trim();
    if (objects.length === 0 && thresholds.length === 0) {
      // The successor's way to stop detecting: both lists empty.
      const ids = id !== '' ? [id] : service.streams().map((stream) => stream.id);
      for (const each of ids) await service.setStreamPrompts(each, [], []);
    } else {
      const prompts = withStatus(422, () => parsePrompts(objects, thresholds, limits));
      if (id === '') await service.setPrompts(prompts.objects, prompts.thresholds);
      else await service.setStreamPrompts(id, prompts.objects, prompts.thresholds);
    }
    // The successor answers the detail alone; a client reading it as such ignores the warnings.
    ctx.body = { detail: 'Detection classes set.', ...(warnings.length > 0 ? { warnings } : {}) };
  });

  // Probes carry no credentials (see auth.ts). Ready once the model is loaded: streams are added afterwards.
  router.get('/api/v1/health/ready', (ctx) => {
    const { model } = service.status();
    if (model.loaded) {
      ctx.body = { detail: 'healthy' };
      return;
    }
    ctx.status = 503;
    ctx.body = jpsErrorBody('not_ready', `model not loaded${model.error === null ? ' yet' : `: ${model.error}`}`);
  });
}

/** The JSON object body; what FastAPI refuses with 422 is refused with 422 (ours say 400 elsewhere). */
async function jpsBody(ctx: Context, maxBodyBytes: number, example: string): Promise<Record<string, unknown>> {
  const body = await readJsonBody(ctx.req, maxBodyBytes).catch((err: unknown) => {
    throw err instanceof ApiError && err.status === 400 ? new ApiError(422, err.code, err.message) : err;
  });
  if (!isMapping(body)) throw new ApiError(422, 'invalid_body', `expected a JSON object such as ${example}`);
  return body;
}

function text(body: Record<string, unknown>, key: string, maxLength: number, required: boolean): string {
  const value = body[key];
  if ((value === undefined || value === null) && !required) return '';
  if (typeof value !== 'string' || value.length > maxLength) {
    throw new ApiError(422, 'invalid_field',
      `${key}: expected a string of at most ${maxLength} characters, received ${describeValue(value)}`);
  }
  // The URL has its own check (more than control characters); every other field is plain text.
  const control = key === 'liveStreamUrl' ? null : controlCharProblem(value);
  if (control !== null) throw new ApiError(422, 'invalid_field', `${key} ${control}; send plain text`);
  return value;
}

function list(body: Record<string, unknown>, key: string): unknown[] {
  const value = body[key];
  if (!Array.isArray(value)) throw new ApiError(422, 'invalid_field', `${key}: expected a list, received ${describeValue(value)}`);
  return value;
}

function threshold(value: unknown, i: number, warnings: string[]): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > JPS_MAX_THRESHOLD) {
    throw new ApiError(422, 'threshold_out_of_range',
      `threshold ${i + 1} must be a number from 0 to ${JPS_MAX_THRESHOLD}, received ${describeValue(value)}`);
  }
  if (value <= 1) return value;
  warnings.push(`threshold ${i + 1} is ${value}; scores are at most 1, so it is applied as 1 (that prompt never `
    + 'detects): thresholds are scores from 0 to 1, e.g. 0.2');
  return 1;
}

/** Runs `step`, answering a refused prompt list with `status` instead of our usual 400. */
function withStatus<T>(status: number, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof PromptError) throw new ApiError(status, err.code, err.message);
    throw err;
  }
}
