// SPDX-License-Identifier: Apache-2.0
// The machine a result was measured on, and how busy it was: other work on a 2-core machine shows up in
// every figure, so each scenario waits (bounded) for a quiet machine and records what it found.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The 1-minute load average a run should start below. */
const QUIET_LOAD = 0.7;
/** Cores busy (over a 2 s sample) a scenario should start below: the load average lags behind by minutes. */
const QUIET_BUSY_CORES = 0.35;

/** What was measured where, and how quiet it was. */
export interface MachineRecord {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  onnxruntime: string;
  /** /proc/loadavg (1, 5, 15 min) when the scenario started measuring, and when it ended. */
  loadavgBefore: number[];
  loadavgAfter: number[];
  /** Cores busy over 2 s just before the scenario (any process). */
  busyCoresBefore: number;
  /** Seconds waited for a quiet machine, and whether it was quiet when the scenario started. */
  quietWaitS: number;
  quiet: boolean;
}

/** Busy jiffies and all jiffies since boot, summed over every core (/proc/stat). */
function cpuJiffies(): { busy: number; total: number } {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3] + (fields[4] ?? 0);  // idle + iowait
  return { busy: total - idle, total };
}

/** Cores busy (any process) over the next `ms`. */
async function busyCores(ms = 2000): Promise<number> {
  const a = cpuJiffies();
  await sleep(ms);
  const b = cpuJiffies();
  return b.total === a.total ? 0 : ((b.busy - a.busy) / (b.total - a.total)) * os.cpus().length;
}

/** The three load averages of /proc/loadavg. */
export function loadavg(): number[] {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}

/**
 * Waits up to `maxWaitS` for a quiet machine: the 1-minute load average below {@link QUIET_LOAD} when
 * `requireLowLoad` (the start of a run), and in any case fewer than {@link QUIET_BUSY_CORES} cores busy.
 */
export async function waitForQuiet(maxWaitS: number, requireLowLoad: boolean,
  log: (line: string) => void): Promise<Pick<MachineRecord, 'busyCoresBefore' | 'quietWaitS' | 'quiet'>> {
  const started = Date.now();
  let lastLog = 0;
  for (;;) {
    // Without a wait (smoke runs) a short sample will do: it is only recorded.
    const busy = await busyCores(maxWaitS > 0 ? 2000 : 300);
    const load = loadavg()[0];
    const quiet = busy < QUIET_BUSY_CORES && (!requireLowLoad || load < QUIET_LOAD);
    const waited = (Date.now() - started) / 1000;
    if (quiet || waited >= maxWaitS) {
      if (!quiet && maxWaitS > 0) log(`machine still busy after ${waited.toFixed(0)} s (load ${load}, ${busy.toFixed(2)} cores busy): measuring anyway`);
      return { busyCoresBefore: busy, quietWaitS: waited, quiet };
    }
    if (Date.now() - lastLog > 30_000) {
      log(`waiting for a quiet machine: load ${load} (want < ${requireLowLoad ? QUIET_LOAD : '-'}), ` +
        `${busy.toFixed(2)} cores busy (want < ${QUIET_BUSY_CORES})`);
      lastLog = Date.now();
    }
    await sleep(3000);
  }
}

/** The ONNX Runtime version the service and the benchmarks load. */
function onnxruntimeVersion(): string {
  const file = path.join(path.dirname(require.resolve('onnxruntime-node')), '..', 'package.json');
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The static part of the record; the load fields are filled in by the caller. */
export function describeMachine(): Omit<MachineRecord, 'loadavgBefore' | 'loadavgAfter' | 'busyCoresBefore' | 'quietWaitS' | 'quiet'> {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    onnxruntime: onnxruntimeVersion(),
  };
}
