// SPDX-License-Identifier: Apache-2.0
// A real Mosquitto broker (Debian's) for tests and benchmarks, on a free 127.0.0.1 port with a generated config
// (a listener on loopback only; anonymous clients, or a password file made by mosquitto_passwd). It can be stopped
// (SIGTERM: a clean shutdown that saves persistent sessions when persistence is on) and started again on the same
// port, to play a broker restart.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports';

const START_TIMEOUT_MS = 5000;

/** Options of {@link Mosquitto.start}. */
export interface MosquittoOptions {
  /** Port to listen on. @default a free port */
  port?: number;
  /** User names and passwords: anonymous clients are refused when given. @default none (anonymous allowed) */
  users?: Record<string, string>;
  /**
   * Keep persistent sessions (clean session off) and their queued messages, QoS 0 ones included, across a
   * stop/restart, as a broker in production does. @default false
   */
  persistence?: boolean;
  /**
   * A second listener, on `tlsPort`, serving TLS with this certificate and asking every client for a certificate
   * signed by `ca`. @default none
   */
  tls?: { ca: string; cert: string; key: string };
}

/** One mosquitto process on 127.0.0.1; its folder (config, password file, persistence) lives until dispose(). */
export class Mosquitto {
  readonly host = '127.0.0.1';
  private process?: ChildProcess;
  private output = '';

  private constructor(readonly port: number, private readonly dir: string, readonly tlsPort: number | null) {}

  /** Writes the config and starts the broker; resolves once it accepts connections. */
  static async start(options: MosquittoOptions = {}): Promise<Mosquitto> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-mosquitto-'));
    const broker = new Mosquitto(options.port ?? await freePort(), dir, options.tls ? await freePort() : null);
    const users = Object.entries(options.users ?? {});
    const passwords = path.join(dir, 'passwords');
    for (const [i, [user, password]] of users.entries()) {
      execFileSync('mosquitto_passwd', [...(i === 0 ? ['-c'] : []), '-b', passwords, user, password]);
    }
    fs.writeFileSync(path.join(dir, 'mosquitto.conf'), [
      `listener ${broker.port} ${broker.host}`,
      `allow_anonymous ${users.length === 0}`,
      ...(users.length === 0 ? [] : [`password_file ${passwords}`]),
      // The settings after a listener line are that listener's (certificates, client certificates).
      ...(options.tls ? [`listener ${broker.tlsPort} ${broker.host}`, `cafile ${options.tls.ca}`,
        `certfile ${options.tls.cert}`, `keyfile ${options.tls.key}`, 'require_certificate true'] : []),
      `persistence ${options.persistence === true}`,
      `persistence_location ${dir}/`,
      // A persistent session away during a restart gets the QoS 0 messages that came meanwhile too.
      `queue_qos0_messages ${options.persistence === true}`,
      // A subscriber away during a restart gets everything that came meanwhile.
      'max_queued_messages 0',
      'max_inflight_messages 0',
      // Run as whoever runs the test (as root, mosquitto would otherwise switch to a user that cannot read dir).
      `user ${os.userInfo().username}`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      '',
    ].join('\n'));
    await broker.restart();
    return broker;
  }

  /** mqtt://127.0.0.1:<port> */
  get url(): string {
    return `mqtt://${this.host}:${this.port}`;
  }

  /** mqtts://127.0.0.1:<tlsPort>, the TLS listener (a client certificate required). */
  get tlsUrl(): string {
    if (this.tlsPort === null) throw new Error('this mosquitto was started without tls');
    return `mqtts://${this.host}:${this.tlsPort}`;
  }

  /** What the broker printed since it last started (its errors and notices). */
  get log(): string {
    return this.output;
  }

  /** Starts it (again) on the same port and folder. */
  async restart(): Promise<void> {
    if (this.process) throw new Error(`mosquitto on port ${this.port} is already running`);
    this.output = '';
    const child = spawn('mosquitto', ['-c', path.join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    child.stdout.on('data', (chunk: Buffer) => { this.output += chunk; });
    child.stderr.on('data', (chunk: Buffer) => { this.output += chunk; });
    child.once('exit', () => { if (this.process === child) this.process = undefined; });
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await this.accepts())) {
      if (!this.process || Date.now() > deadline) {
        await this.kill();
        throw new Error(`mosquitto on port ${this.port} did not start:\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops it with SIGTERM (persistent sessions are saved when persistence is on) and waits for it to exit. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** Kills it with SIGKILL (a crash: nothing is saved). */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Kills it and removes its folder. */
  async dispose(): Promise<void> {
    await this.kill();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (!child) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }

  private accepts(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = net.connect(this.port, this.host);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }
}
