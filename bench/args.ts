// SPDX-License-Identifier: Apache-2.0
// The command line of `npm run bench -- [scenario...] [--smoke] [--runs N] [--seconds S] [--duration S]
// [--wait S] [--threads N] [--out DIR]`.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO, type BenchOptions } from './harness/context';

export const USAGE = `usage: npm run bench -- [scenario ...] [options]
  scenario        one of the names below (default: all)
  --smoke         tiny model, one run, second-long windows, results to a temporary folder (CI's check
                  that the harness works; its figures mean nothing)
  --runs N        runs per scenario, each alternating what is compared (default 3)
  --seconds S     measuring window of each measurement (default 10)
  --duration S    length of the soak (default 600)
  --wait S        longest wait for a quiet machine before each scenario (default 300)
  --threads N     ONNX Runtime threads everywhere (default: all cores, ${os.availableParallelism()})
  --out DIR       results folder (default bench/results)`;

/** What the command line asks for. */
interface BenchArgs {
  scenarios: string[];
  options: BenchOptions;
  help: boolean;
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} expects a positive number, got "${text}"`);
  return value;
}

/**
 * Reads the arguments after `npm run bench --`.
 * @throws {Error} naming the bad option.
 */
export function parseBenchArgs(argv: readonly string[], tmpDir: () => string): BenchArgs {
  const { values, positionals } = parseArgs({
    args: [...argv], allowPositionals: true, strict: true,
    options: {
      smoke: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, runs: { type: 'string' },
      seconds: { type: 'string' }, duration: { type: 'string' }, wait: { type: 'string' },
      threads: { type: 'string' }, out: { type: 'string' },
    },
  });
  const smoke = values.smoke ?? false;
  const options: BenchOptions = {
    smoke,
    runs: Math.round(positive('runs', values.runs, smoke ? 1 : 3)),
    seconds: positive('seconds', values.seconds, smoke ? 0.6 : 10),
    durationS: positive('duration', values.duration, smoke ? 2 : 600),
    waitQuietS: values.wait === '0' ? 0 : positive('wait', values.wait, smoke ? 0 : 300),
    threads: Math.round(positive('threads', values.threads, os.availableParallelism())),
    outDir: values.out !== undefined ? path.resolve(values.out) : smoke ? tmpDir() : path.join(REPO, 'bench', 'results'),
  };
  return { scenarios: positionals, options, help: values.help ?? false };
}
