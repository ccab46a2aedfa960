// SPDX-License-Identifier: Apache-2.0
// What a process costs, read from /proc: CPU time (whole process and per thread), resident memory, open
// file descriptors and threads. Per-thread CPU splits the service's work: ONNX Runtime, the image-encoder
// worker and JavaScript run on threads named "node"; GStreamer's threads carry element or pad names.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

// /proc/<pid>/stat: the command may hold spaces and parentheses, so fields are counted after the last ')'.
function statFields(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU seconds of a process (every thread) or of one thread's stat file. */
function cpuOf(file: string): number {
  const f = statFields(file);
  // After the command: state is field 3, so utime (14) and stime (15) are at 11 and 12.
  return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
}

/** CPU seconds a process has used so far. */
export function processCpuSeconds(pid: number): number {
  return cpuOf(`/proc/${pid}/stat`);
}

/** CPU seconds used so far by a process's threads, summed by thread name. */
function cpuByThreadName(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      byName.set(name, (byName.get(name) ?? 0) + cpuOf(`/proc/${pid}/task/${tid}/stat`));
    } catch {
      // the thread ended between readdir and read
    }
  }
  return byName;
}

/** CPU seconds of the service's two halves so far: threads named "node" (JS, worker, ONNX Runtime) and the rest (GStreamer). */
export function splitCpu(pid: number): { node: number; other: number } {
  let node = 0, other = 0;
  for (const [name, seconds] of cpuByThreadName(pid)) {
    if (name === 'node') node += seconds; else other += seconds;
  }
  return { node, other };
}

/** Resident memory, open file descriptors and threads of a process. */
export function footprint(pid: number): { rssMiB: number; fds: number; threads: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: field('VmRSS') / 1024, fds: fs.readdirSync(`/proc/${pid}/fd`).length, threads: field('Threads') };
}

/** The process whose command line contains every one of `args` (e.g. the test camera and its port), or null. */
export function findProcess(args: readonly string[]): number | null {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.every((a) => argv.includes(a))) return Number(entry);
    } catch {
      // gone
    }
  }
  return null;
}
