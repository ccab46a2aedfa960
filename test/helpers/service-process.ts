// SPDX-License-Identifier: Apache-2.0
// The real service as a child process (`node build/ts/cli/main.js ...` or the demo), on free loopback
// ports, with its log captured: what a user runs, observed from outside.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

import { freePort } from './ports';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The tiny random-weight model committed for tests. */
export const TINY_MODEL = path.join(ROOT, 'test', 'fixtures', 'owl-tiny');

export interface ServiceProcessOptions {
  /** Script under build/ts/cli. @default 'main.js' */
  script?: string;
  /** Arguments after the script; `--flask_port` and `--stream_output` are added unless given. */
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Wait until GET /health answers. @default true */
  waitHealthy?: boolean;
}

/** A running service process. */
export class ServiceProcess {
  log = '';
  exitCode: number | null = null;
  readonly exited: Promise<number | null>;
  /** The signal that ended it, when one did. */
  exitSignal: NodeJS.Signals | null = null;

  private constructor(readonly child: ChildProcess, readonly apiPort: number, readonly rtspPort: number) {
    child.stdout!.on('data', (chunk: Buffer) => { this.log += chunk.toString(); });
    child.stderr!.on('data', (chunk: Buffer) => { this.log += chunk.toString(); });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      this.exitCode = code;
      this.exitSignal = signal;
      resolve(code);
    }));
  }

  /** Starts the service and (by default) waits until its API answers /health. */
  static async start(options: ServiceProcessOptions): Promise<ServiceProcess> {
    const args = [...options.args];
    const apiPort = flagValue(args, '--flask_port') ?? await freePort();
    const rtspPort = outputPort(args) ?? await freePort();
    if (flagValue(args, '--flask_port') === null) args.push('--flask_port', String(apiPort));
    if (outputPort(args) === null) args.push('--stream_output', `rtsp://127.0.0.1:${rtspPort}/out`);
    const script = path.join(ROOT, 'build', 'ts', 'cli', options.script ?? 'main.js');
    const child = spawn(process.execPath, [script, ...args], {
      env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(child, apiPort, rtspPort);
    if (options.waitHealthy ?? true) await service.waitFor(async () => (await service.get('/health')).status === 200, '/health');
    return service;
  }

  /** The annotated output's URL. */
  get outputUrl(): string {
    return `rtsp://127.0.0.1:${this.rtspPort}/out`;
  }

  /** GET (or another method) on the API; never throws for HTTP errors. */
  async get(route: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.apiPort}${route}`, init);
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch { /* not JSON (e.g. /metrics) */ }
      return { status: response.status, body };
    } catch {
      return { status: 0, body: null };
    }
  }

  /** Polls `condition` every 100 ms until it holds; fails with the service log after `timeoutMs`. */
  async waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (this.exitCode !== null) throw new Error(`service exited (${this.exitCode}) while waiting for ${what}:\n${this.log}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; service log:\n${this.log}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Sends a signal and waits for the exit; resolves with the exit code and the milliseconds it took. */
  async signal(signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }> {
    const t0 = performance.now();
    this.child.kill(signal);
    const code = await this.exited;
    // Killed by a signal it did not handle (a crash while stopping?): say which, with the end of its log.
    if (code === null) console.error(`service ended by ${this.exitSignal} after ${signal}:\n${this.log.slice(-3000)}`);
    return { code, ms: performance.now() - t0 };
  }

  /** Kills it if still running. */
  async dispose(): Promise<void> {
    if (this.exitCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

function flagValue(args: string[], flag: string): number | null {
  const i = args.indexOf(flag);
  return i >= 0 ? Number(args[i + 1]) : null;
}

function outputPort(args: string[]): number | null {
  const i = args.indexOf('--stream_output');
  if (i < 0) return null;
  return Number(new URL(args[i + 1]).port);
}
