// SPDX-License-Identifier: Apache-2.0
// Read-only routes: liveness, readiness, status, rates, Prometheus metrics, detections, streams, config.
import type Router from '@koa/router';
import { redactConfig, redactUrl } from '../config/redact';
import { metricFamilies } from './metrics-exposition';
import { formatMetrics, PROMETHEUS_CONTENT_TYPE } from './prometheus';
import { RateMeter } from './rates';
import { readiness } from './readiness';
import type { ControlService } from './service';

/** Adds /health, /ready, /status, /rates, /metrics, /detections, /streams and /config. */
export function addStatusRoutes(router: Router, service: ControlService): void {
  // Liveness: answering at all is the proof; nothing the pipeline does can make it fail.
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  // A public probe (see auth.ts): without the token (when one is set) it says ready or not, and no more: the
  // reasons name streams, addresses and errors.
  router.get('/ready', (ctx) => {
    const status = service.status();
    const { ready, reasons } = readiness(status);
    ctx.status = ready ? 200 : 503;
    ctx.body = ctx.state.authenticated === true
      ? { ready, reasons, model: status.model, redis: status.redis, streams: status.streams }
      : ready ? { ready } : { ready, detail: 'send "Authorization: Bearer <token>" for the reasons' };
  });

  router.get('/status', (ctx) => {
    ctx.body = service.status();
  });

  const meter = new RateMeter();
  router.get('/rates', (ctx) => {
    ctx.body = meter.rates(service.metrics());
  });

  router.get('/metrics', (ctx) => {
    ctx.set('Content-Type', PROMETHEUS_CONTENT_TYPE);
    ctx.body = formatMetrics(metricFamilies(service.metrics(), service.status()));
  });

  router.get('/detections', (ctx) => {
    ctx.body = service.latestDetections();
  });

  router.get('/streams', (ctx) => {
    ctx.body = service.streams().map((stream) => ({
      ...stream,
      input: { ...stream.input, uri: redactUrl(stream.input.uri), playingUrl: redactUrl(stream.input.playingUrl) },
    }));
  });

  router.get('/config', (ctx) => {
    ctx.body = redactConfig(service.effectiveConfig());
  });
}
