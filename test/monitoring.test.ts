// SPDX-License-Identifier: Apache-2.0
// deploy/monitoring: every metric the Grafana dashboard uses (and every label it selects by) exists in the real
// service's GET /metrics, and the Prometheus scrape example points at the API the compose file serves.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';

import { ServiceProcess, TINY_MODEL } from './helpers/service-process';

const MONITORING = path.resolve(__dirname, '..', '..', 'deploy', 'monitoring');
const dashboard = JSON.parse(fs.readFileSync(path.join(MONITORING, 'grafana-dashboard.json'), 'utf8')) as {
  panels: { title: string; targets: { expr: string }[] }[];
  templating: { list: { name: string; query: unknown }[] };
};

/** Every PromQL expression of the dashboard: panel targets and template queries. */
function expressions(): string[] {
  return [...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
    ...dashboard.templating.list.map((variable) => variable.query).filter((q): q is string => typeof q === 'string'
      && q.includes('('))];
}

/** Sample names of a Prometheus text exposition, each with the label names it carries. */
function samples(exposition: string): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? /.exec(line);
    if (match === null) continue;
    const labels = found.get(match[1]) ?? new Set<string>();
    for (const label of (match[3] ?? '').matchAll(/(\w+)="/g)) labels.add(label[1]);
    found.set(match[1], labels);
  }
  return found;
}

test('every metric and label the dashboard uses is in /metrics', async () => {
  const service = await ServiceProcess.start({ args: ['test:', '--model', TINY_MODEL],
    env: { OWL_INPUT_TEST_WIDTH: '320', OWL_INPUT_TEST_HEIGHT: '240' } });
  try {
    await service.waitFor(async () => (await service.get('/ready')).status === 200, 'ready');
    const exposed = samples((await service.get('/metrics')).body as string);
    const used = new Set<string>();
    for (const expr of expressions()) {
      for (const [, name, selector] of expr.matchAll(/\b(owl_\w+)(\{[^}]*\})?/g)) {
        used.add(name);
        assert.ok(exposed.has(name), `${name} (in ${expr}) is not in /metrics`);
        for (const [, label] of (selector ?? '').matchAll(/(\w+)\s*=~?/g)) {
          assert.ok(exposed.get(name)!.has(label), `${name} has no label ${label} (in ${expr})`);
        }
      }
      for (const [, label] of expr.matchAll(/by \((\w+)\)/g)) {
        const metric = /\b(owl_\w+)/.exec(expr)![1];
        assert.ok(exposed.get(metric)!.has(label), `${metric} has no label ${label} (in ${expr})`);
      }
    }
    // Frames, inferences, latency histogram, drops, reconnects, Redis and MQTT, as the issues asked.
    for (const name of ['owl_frames_in_total', 'owl_inferences_total', 'owl_inference_latency_seconds_bucket',
      'owl_frames_dropped_total', 'owl_reconnects_total', 'owl_redis_messages_dropped_total', 'owl_mqtt_written_total',
      'owl_mqtt_dropped_total', 'owl_mqtt_queue_depth', 'owl_mqtt_errors_total']) {
      assert.ok(used.has(name), `the dashboard does not show ${name}`);
    }
  } finally {
    await service.dispose();
  }
});

test('the dashboard is importable: unique panel ids, a Prometheus data source variable, no fixed data source', () => {
  const ids = dashboard.panels.map((panel) => (panel as unknown as { id: number }).id);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(dashboard.templating.list.some((v) => v.name === 'datasource' && v.query === 'prometheus'));
  const text = JSON.stringify(dashboard.panels);
  assert.ok(!/"uid":"(?!\$\{datasource\})/.test(text), 'every panel uses ${datasource}');
});

test('the Prometheus example scrapes /metrics on the compose file\'s API port', () => {
  const scrape = parseYaml(fs.readFileSync(path.join(MONITORING, 'prometheus.yml'), 'utf8')) as {
    scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[];
  };
  const compose = parseYaml(fs.readFileSync(path.join(MONITORING, '..', 'docker-compose.yaml'), 'utf8'));
  const [job] = scrape.scrape_configs;
  assert.equal(job.job_name, 'owl-stream');
  assert.equal(job.metrics_path, '/metrics');
  assert.deepEqual(job.static_configs[0].targets,
    [`localhost:${compose.services['owl-stream'].environment.OWL_API_PORT}`]);
});
