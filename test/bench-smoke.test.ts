// SPDX-License-Identifier: Apache-2.0
// The benchmark harness (`npm run bench`) in its --smoke mode: every scenario with the tiny model and
// second-long windows, results to a temporary folder. Checks that each result file has the shape the
// harness promises and that the comparisons ran (not how fast anything is: speeds belong to benchmarks).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

import type { ScenarioResult } from '../bench/harness/report';

const REPO = path.resolve(__dirname, '..', '..');
// The scenarios this test checks by name; any other result file the harness writes is checked for its shape.
const SCENARIOS = ['encoder', 'peer', 'precision', 'limit', 'prompts', 'outputs', 'pipeline', 'soak', 'tracking'];

describe('npm run bench -- --smoke', () => {
  let dir: string;
  let stdout: string;
  const results = new Map<string, ScenarioResult>();

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-bench-smoke-test-'));
    ({ stdout } = await promisify(execFile)(process.execPath, [path.join(REPO, 'build', 'bench', 'main.js'), '--smoke',
      '--out', dir], { cwd: REPO, timeout: 240_000, maxBuffer: 16 << 20 }));
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      results.set(path.basename(file, '.json'), JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as ScenarioResult);
    }
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('every scenario ran to the end and wrote its JSON and markdown', () => {
    for (const name of SCENARIOS) assert.ok(results.has(name), `${name}.json was written`);
    for (const [name, r] of results) {
      assert.equal(r.error, null, `${name}: ${r.error}`);
      assert.equal(r.format, 1);
      assert.equal(r.scenario, name);
      assert.equal(r.smoke, true);
      assert.ok(r.durationS > 0 && Date.parse(r.finishedAt) >= Date.parse(r.startedAt), name);
      assert.equal(r.machine.loadavgBefore.length, 3, `${name}: load average recorded`);
      assert.ok(r.machine.cores >= 1 && r.machine.onnxruntime !== 'unknown', name);
      const md = fs.readFileSync(path.join(dir, `${name}.md`), 'utf8');
      assert.match(md, /^# .+\n/, `${name}.md has a title`);
      assert.match(md, /\| metric \| median \| min \| max \| unit \| goal \| status \| what \|/);
      for (const metric of Object.keys(r.metrics)) assert.match(md, new RegExp(`\\| (\\*\\*)?${metric}(\\*\\*)? \\|`), `${name}.md lists ${metric}`);
      assert.ok(stdout.includes(`# ${r.title}`), `${name}'s table is printed`);
    }
  });

  test('metrics are summarised over their runs and goals are judged on the median', () => {
    for (const [name, r] of results) {
      const metrics = Object.entries(r.metrics);
      assert.ok(metrics.length > 0, name);
      assert.ok(metrics.some(([, m]) => m.runs.length > 0), `${name}: measured something`);
      for (const [metric, m] of metrics) {
        assert.ok(m.unit !== undefined && m.description.length > 0, `${name}.${metric} is described`);
        if (m.runs.length === 0) {
          assert.deepEqual([m.median, m.min, m.max], [null, null, null]);
          continue;
        }
        assert.ok(m.min! <= m.median! && m.median! <= m.max!, `${name}.${metric}: min <= median <= max`);
        assert.equal(m.runs.length, 1, `${name}.${metric}: one run in a smoke run`);
        if (m.goal !== null) {
          assert.equal(m.goal.met, m.goal.op === '>=' ? m.median! >= m.goal.target : m.median! <= m.goal.target);
        }
      }
    }
  });

  test('the side-by-side ratios were measured', () => {
    const ratio = (scenario: string, metric: string) => results.get(scenario)!.metrics[metric];
    for (const [scenario, metric] of [['encoder', 'headless_ratio'], ['encoder', 'video_ratio'], ['peer', 'q8_ratio'],
      ['peer', 'fp32_ratio'], ['peer', 'q8_ratio_720p'], ['peer', 'fp32_ratio_720p'], ['precision', 'int8_speedup'],
      ['precision', 'service_int8_ratio'], ['limit', 'fraction_of_limit'], ['prompts', 'encoder_time_ratio']]) {
      const m = ratio(scenario, metric);
      assert.equal(m.ratio, true, `${scenario}.${metric} is a ratio`);
      assert.ok(m.median !== null && m.median > 0, `${scenario}.${metric} was measured`);
    }
    // The encoder goals are judged even when (as with the tiny model, capped by the camera's 30 fps) missed.
    assert.equal(typeof ratio('encoder', 'headless_ratio').goal?.met, 'boolean');
  });

  test('transformers.js loads offline (fp32 and q8) and finds the same detections as owl-stream on the same weights', () => {
    const peer = results.get('peer')!;
    assert.equal(peer.metrics.same_detections.median, 1, peer.notes.join('\n'));
    assert.ok(peer.metrics.detections.median! > 0);
    for (const metric of ['peer_q8_f1', 'ours_int8_f1', 'peer_q8_f1_720p', 'agreement_720p']) {
      assert.ok(peer.metrics[metric].median !== null, `peer.${metric} was measured`);
    }
  });

  test('the int8 encoder\'s fidelity was measured on both models', () => {
    const precision = results.get('precision')!;
    for (const metric of ['embed_cosine_min', 'logit_max_error', 'box_max_error', 'detection_f1', 'tiny_logit_max_error_hf']) {
      assert.ok(precision.metrics[metric].median !== null, `precision.${metric} was measured`);
    }
  });

  test('tracking scored both trackers and the oracle on every scene, and timed the update', () => {
    const tracking = results.get('tracking')!;
    for (const scene of ['1fps', '5fps', '30fps', 'crowd30']) {
      for (const who of ['', 'peer_', 'oracle_']) {
        const idf1 = tracking.metrics[`${who}idf1_${scene}`].median!;
        assert.ok(idf1 > 0 && idf1 <= 1, `${who}idf1_${scene} = ${idf1}`);
      }
      assert.equal(typeof tracking.metrics[`idf1_gain_${scene}`].goal?.met, 'boolean');
    }
    assert.ok(tracking.metrics.update_ms.median! > 0 && tracking.metrics.peer_update_ms.median! > 0);
  });

  test('README.md indexes every scenario and every goal', () => {
    const index = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    for (const [name, r] of results) {
      assert.ok(index.includes(`[${name}](${name}.md)`), `index links ${name}`);
      for (const [metric, m] of Object.entries(r.metrics)) {
        if (m.goal !== null) assert.ok(index.includes(`| ${metric} |`), `index lists the goal of ${name}.${metric}`);
      }
    }
  });
});
