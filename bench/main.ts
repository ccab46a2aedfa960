// SPDX-License-Identifier: Apache-2.0
// `npm run bench [-- <scenario>...] [--smoke] ...`: sets up what the scenarios need (the base-size random
// model, test cameras, a redis-server on loopback), runs each scenario after waiting for a quiet machine,
// and writes <out>/<scenario>.json and .md plus <out>/README.md, the index. See bench/README.md.
// Several scenarios each run in a node process of their own: what one leaves in a process (sessions, heap,
// threads) changed the next one's speed (int8 read 1.95x fp32 after `peer` in the same process, 2.2x alone).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseBenchArgs, USAGE } from './args';
import { BenchContext, REPO, type BenchOptions, type Scenario } from './harness/context';
import { describeMachine, loadavg, waitForQuiet } from './harness/machine';
import { indexMarkdown, markdown, readResults, Recorder, writeResult, type ScenarioResult } from './harness/report';
import { ServiceProcess } from './harness/service';
import { encoderScenario } from './scenarios/encoder';
import { limitScenario } from './scenarios/limit';
import { multistreamScenario } from './scenarios/multistream';
import { outputsScenario } from './scenarios/outputs';
import { peerScenario } from './scenarios/peer';
import { precisionScenario } from './scenarios/precision';
import { pipelineScenario } from './scenarios/pipeline';
import { promptsScenario } from './scenarios/prompts';
import { soakScenario } from './scenarios/soak';
import { trackingScenario } from './scenarios/tracking';

/** Every scenario, in the order a full run takes them. */
const SCENARIOS: readonly Scenario[] = [encoderScenario, peerScenario, precisionScenario, limitScenario, promptsScenario,
  outputsScenario, pipelineScenario, multistreamScenario, soakScenario, trackingScenario];

/**
 * Set in a process started for one scenario of several: `first` or `next` (the stricter wait for a quiet machine
 * is the first scenario's only).
 */
const SCENARIO_PROCESS_ENV = 'OWL_BENCH_SCENARIO_PROCESS';

function log(line: string): void {
  console.log(`[bench] ${line}`);
}

async function runScenario(scenario: Scenario, ctx: BenchContext, first: boolean): Promise<ScenarioResult> {
  const quiet = await waitForQuiet(ctx.options.waitQuietS, first, log);
  const rec = new Recorder(scenario.specs);
  const started = new Date();
  const loadavgBefore = loadavg();
  log(`${scenario.name}: ${scenario.title}`);
  let error: string | null = null;
  try {
    await scenario.run(ctx, rec);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
    log(`${scenario.name} stopped early: ${error}`);
  }
  const finished = new Date();
  return {
    format: 1, scenario: scenario.name, title: scenario.title, smoke: ctx.options.smoke,
    startedAt: started.toISOString(), finishedAt: finished.toISOString(),
    durationS: (finished.getTime() - started.getTime()) / 1000,
    machine: { ...describeMachine(), loadavgBefore, loadavgAfter: loadavg(), ...quiet },
    settings: rec.settings, metrics: rec.metrics(), notes: rec.notes, error,
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const { scenarios: names, options, help } = parseBenchArgs(argv,
    () => fs.mkdtempSync(path.join(os.tmpdir(), 'owl-bench-smoke-')));
  if (help) {
    console.log(`${USAGE}\nscenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    return 0;
  }
  const unknown = names.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) {
    throw new Error(`unknown scenario ${unknown.join(', ')}: choose from ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }
  const chosen = names.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => names.includes(s.name));
  const role = process.env[SCENARIO_PROCESS_ENV];
  if (role === undefined && !options.smoke && chosen.some((s) => s.needsModel !== false)) {
    execFileSync(process.execPath, [path.join(REPO, 'deploy', 'export', 'regenerate-base.js')], { stdio: 'inherit' });
  }
  if (role === undefined && chosen.length > 1) return runEachInItsProcess(chosen, options);
  const ctx = new BenchContext(options, log);
  // Interrupted: stop the services, cameras and redis-server started so far (results written so far stay).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void Promise.all([ServiceProcess.stopAll(), ctx.close()]).finally(() => process.exit(130));
    });
  }
  let failed = 0;
  try {
    for (const [i, scenario] of chosen.entries()) {
      const result = await runScenario(scenario, ctx, role === undefined ? i === 0 : role === 'first');
      if (result.error !== null) failed++;
      writeResult(options.outDir, result, scenario.specs);
      console.log(`\n${markdown(result, scenario.specs)}`);
    }
  } finally {
    await ctx.close();
  }
  if (role === undefined) finish(options.outDir, failed);
  return failed > 0 ? 1 : 0;
}

/** Runs each scenario by this script in a process of its own, one after the other, then writes the index. */
function runEachInItsProcess(chosen: readonly Scenario[], options: BenchOptions): number {
  const flags = [...(options.smoke ? ['--smoke'] : []), '--runs', String(options.runs), '--seconds',
    String(options.seconds), '--duration', String(options.durationS), '--wait', String(options.waitQuietS),
    '--threads', String(options.threads), '--out', options.outDir];
  let failed = 0;
  for (const [i, scenario] of chosen.entries()) {
    const child = spawnSync(process.execPath, [__filename, scenario.name, ...flags], { stdio: 'inherit',
      env: { ...process.env, [SCENARIO_PROCESS_ENV]: i === 0 ? 'first' : 'next' } });
    if (child.status !== 0) failed++;
  }
  finish(options.outDir, failed);
  return failed > 0 ? 1 : 0;
}

function finish(outDir: string, failed: number): void {
  fs.writeFileSync(path.join(outDir, 'README.md'), indexMarkdown(readResults(outDir)));
  log(`results in ${outDir}${failed > 0 ? `; ${failed} scenario(s) stopped early` : ''}`);
}

// Exits explicitly: a scenario that stopped early may leave a handle (a socket, a session) open.
main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
  console.error(`[bench] ${err instanceof Error ? err.message : String(err)}\n${USAGE}\nscenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  process.exit(2);
});
