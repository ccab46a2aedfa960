// SPDX-License-Identifier: Apache-2.0
// A real redis-server (Debian's) for tests, on a free 127.0.0.1 port, without persistence; it can be
// stopped, killed and started again on the same port to play a Redis outage.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports';

const START_TIMEOUT_MS = 5000;

/** Options of {@link RedisServer.start}. */
export interface RedisServerOptions {
  /** Port to listen on. @default a free port */
  port?: number;
  /** More `redis-server` arguments, e.g. `['--stream-node-max-entries', '10']`. */
  args?: string[];
  /** requirepass: clients must AUTH with it (the helper's own commands do). */
  password?: string;
}

/** One redis-server process on 127.0.0.1; its data directory lives until {@link RedisServer.dispose}. */
export class RedisServer {
  readonly host = '127.0.0.1';
  private process?: ChildProcess;
  private output = '';

  private constructor(readonly port: number, private readonly args: string[], private readonly dir: string,
    private readonly password: string) {}

  /** Starts redis-server and resolves once it answers PING. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-redis-'));
    const server = new RedisServer(options.port ?? await freePort(), options.args ?? [], dir, options.password ?? '');
    await server.restart();
    return server;
  }

  /** Starts it again on the same port and data directory (after stop or kill). */
  async restart(): Promise<void> {
    if (this.process) throw new Error(`redis-server on port ${this.port} is already running`);
    this.output = '';
    const child = spawn('redis-server', [
      '--port', String(this.port), '--bind', this.host, '--save', '', '--appendonly', 'no',
      '--dir', this.dir, ...(this.password === '' ? [] : ['--requirepass', this.password]), ...this.args,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    child.stdout.on('data', (chunk: Buffer) => { this.output += chunk; });
    child.stderr.on('data', (chunk: Buffer) => { this.output += chunk; });
    child.once('exit', () => { if (this.process === child) this.process = undefined; });
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await this.answersPing())) {
      if (!this.process || Date.now() > deadline) {
        await this.kill();
        throw new Error(`redis-server on port ${this.port} did not answer PING:\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Shuts it down with SHUTDOWN. `save: true` writes the data to disk first, so a restart brings the
   * streams back (an outage without data loss on the server side).
   */
  async stop({ save = false }: { save?: boolean } = {}): Promise<void> {
    const child = this.process;
    if (!child) return;
    const exited = once(child, 'exit');
    await this.command(save ? 'SHUTDOWN SAVE' : 'SHUTDOWN NOSAVE').catch(() => undefined);
    await exited;
  }

  /** Kills it with SIGKILL (a crash: nothing is saved). */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** Kills it and removes its data directory. */
  async dispose(): Promise<void> {
    await this.kill();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async answersPing(): Promise<boolean> {
    return (await this.command('PING').catch(() => '')).includes('+PONG');
  }

  /**
   * Sends one command (words separated by spaces) on a fresh connection (after AUTH when a password is set) and resolves with the reply
   * bytes ('' if it just closed).
   */
  private command(line: string): Promise<string> {
    // RESP, not inline: a password may hold spaces.
    const resp = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    const auth = this.password === '' ? '' : resp('AUTH', this.password);
    const replies = auth === '' ? 1 : 2;
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.port, this.host);
      let reply = '';
      socket.setTimeout(1000, () => socket.destroy(new Error(`no reply to ${line}`)));
      socket.on('connect', () => socket.write(`${auth}${resp(...line.split(' '))}`));
      socket.on('data', (chunk) => {
        reply += chunk;
        if (reply.split('\r\n').length > replies) socket.end();
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(reply));
    });
  }
}
