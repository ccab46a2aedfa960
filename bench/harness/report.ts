// SPDX-License-Identifier: Apache-2.0
// Results: each scenario declares its metrics (unit, meaning, goal) up front, adds one value per run, and is
// written as bench/results/<name>.json and <name>.md; README.md in the same folder indexes every result.
import fs from 'node:fs';
import path from 'node:path';
import type { MachineRecord } from './machine';
import { summarize } from './stats';

/** A target for a metric's median. */
interface Goal {
  op: '>=' | '<=';
  target: number;
}

/** What a metric is. `ratio` metrics are listed first: they compare two things measured side by side. */
export interface MetricSpec {
  unit: string;
  description: string;
  ratio?: boolean;
  goal?: Goal;
  /** Decimals in the markdown table. @default 2 */
  digits?: number;
}

/** A metric over the runs; `median` etc. are null when nothing was measured (the notes say why). */
interface MetricResult {
  unit: string;
  description: string;
  ratio: boolean;
  median: number | null;
  min: number | null;
  max: number | null;
  runs: number[];
  goal: (Goal & { met: boolean | null }) | null;
}

/** One scenario's result file. */
export interface ScenarioResult {
  format: 1;
  scenario: string;
  title: string;
  smoke: boolean;
  startedAt: string;
  finishedAt: string;
  durationS: number;
  machine: MachineRecord;
  settings: Record<string, unknown>;
  metrics: Record<string, MetricResult>;
  notes: string[];
  /** Why the scenario stopped early, or null. */
  error: string | null;
}

/** Collects one scenario's values, settings and notes. */
export class Recorder {
  readonly settings: Record<string, unknown> = {};
  readonly notes: string[] = [];
  readonly #values = new Map<string, number[]>();

  constructor(readonly specs: Readonly<Record<string, MetricSpec>>) {
    for (const name of Object.keys(specs)) this.#values.set(name, []);
  }

  /** Adds one run's value of a declared metric (non-finite values are refused: they mean a bug). */
  add(name: string, value: number): void {
    const values = this.#values.get(name);
    if (values === undefined) throw new Error(`metric ${name} is not declared`);
    if (!Number.isFinite(value)) throw new Error(`metric ${name}: ${value} is not a finite number`);
    values.push(value);
  }

  /** The values added so far. */
  values(name: string): readonly number[] {
    return this.#values.get(name) ?? [];
  }

  /** Every declared metric, summarised, with its goal judged on the median. */
  metrics(): Record<string, MetricResult> {
    return Object.fromEntries(Object.entries(this.specs).map(([name, spec]) => {
      const runs = this.#values.get(name)!;
      const s = runs.length > 0 ? summarize(runs) : null;
      const met = s === null || spec.goal === undefined ? null
        : spec.goal.op === '>=' ? s.median >= spec.goal.target : s.median <= spec.goal.target;
      return [name, {
        unit: spec.unit, description: spec.description, ratio: spec.ratio ?? false,
        median: s?.median ?? null, min: s?.min ?? null, max: s?.max ?? null, runs: [...runs],
        goal: spec.goal === undefined ? null : { ...spec.goal, met },
      }];
    }));
  }
}

function format(value: number | null, digits: number): string {
  return value === null ? '—' : value.toFixed(digits);
}

function goalText(goal: MetricResult['goal']): [string, string] {
  if (goal === null) return ['', ''];
  return [`${goal.op === '>=' ? '≥' : '≤'} ${goal.target}`, goal.met === null ? 'not measured' : goal.met ? 'met' : '**missed**'];
}

/** The scenario as markdown: a line on where and how, the table (ratios first), the notes. */
export function markdown(result: ScenarioResult, specs: Readonly<Record<string, MetricSpec>>): string {
  const m = result.machine;
  const names = Object.keys(result.metrics).sort((a, b) =>
    Number(result.metrics[b].ratio) - Number(result.metrics[a].ratio));
  const rows = names.map((name) => {
    const r = result.metrics[name];
    const digits = specs[name]?.digits ?? 2;
    const [goal, status] = goalText(r.goal);
    return `| ${r.ratio ? `**${name}**` : name} | ${format(r.median, digits)} | ${format(r.min, digits)} | `
      + `${format(r.max, digits)} | ${r.unit} | ${goal} | ${status} | ${r.description} |`;
  });
  const settings = Object.entries(result.settings).map(([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [
    `# ${result.title}`,
    '',
    `${result.smoke ? '**Smoke run (tiny model, seconds-long windows): shapes only, not speeds.** ' : ''}`
      + `${result.startedAt} on ${m.cpu} × ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, onnxruntime-node `
      + `${m.onnxruntime}. Load average ${m.loadavgBefore.join(' ')} before, ${m.loadavgAfter.join(' ')} after; `
      + `${m.busyCoresBefore.toFixed(2)} cores busy just before${m.quiet ? '' : ' (**not quiet**)'}. `
      + `${result.durationS.toFixed(0)} s.`,
    '',
    `Settings: ${settings.join('; ')}.`,
    '',
    '| metric | median | min | max | unit | goal | status | what |',
    '|---|---:|---:|---:|---|---|---|---|',
    ...rows,
    '',
    ...(result.error === null ? [] : [`**Stopped early:** ${result.error}`, '']),
    ...(result.notes.length === 0 ? [] : ['Notes:', '', ...result.notes.map((n) => `- ${n}`), '']),
  ].join('\n');
}

/** Writes <dir>/<scenario>.json and .md. */
export function writeResult(dir: string, result: ScenarioResult, specs: Readonly<Record<string, MetricSpec>>): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${result.scenario}.json`), `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, `${result.scenario}.md`), markdown(result, specs));
}

/** Reads every scenario result in `dir` (files of other formats are skipped). */
export function readResults(dir: string): ScenarioResult[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().flatMap((file) => {
    try {
      const result = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as ScenarioResult;
      return result.format === 1 && typeof result.scenario === 'string' && result.metrics ? [result] : [];
    } catch {
      return [];
    }
  });
}

/** README.md of a results folder: every goal of every scenario, then one line per scenario. */
export function indexMarkdown(results: readonly ScenarioResult[]): string {
  const goals = results.flatMap((r) => Object.entries(r.metrics).filter(([, m]) => m.goal !== null).map(([name, m]) => {
    const [goal, status] = goalText(m.goal);
    return `| [${r.scenario}](${r.scenario}.md) | ${name} | ${format(m.median, 2)} ${m.unit} | ${goal} | ${status} |`;
  }));
  const runs = results.map((r) => `| [${r.scenario}](${r.scenario}.md) | ${r.title} | ${r.startedAt} | `
    + `${r.machine.loadavgBefore[0]} | ${r.machine.busyCoresBefore.toFixed(2)} | ${r.durationS.toFixed(0)} s |`
    + `${r.error === null ? '' : ' stopped early'}${r.smoke ? ' smoke' : ''} |`);
  return [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (bench/main.ts): one JSON and one markdown file per scenario; every figure is the',
    'median, min and max over several runs, and the things compared were measured alternately in one run.',
    '',
    '| scenario | metric | median | goal | status |',
    '|---|---|---:|---|---|',
    ...goals,
    '',
    '| scenario | what | measured | load (1 min) | cores busy before | took | |',
    '|---|---|---|---:|---:|---:|---|',
    ...runs,
    '',
  ].join('\n');
}
