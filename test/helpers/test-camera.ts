// SPDX-License-Identifier: Apache-2.0
// A stand-in IP camera for tests: native/tools/test_camera.cc (built beside the addon) serving a live
// H.264 test pattern over RTSP on 127.0.0.1, run as a child process. Kill it to simulate a dead camera.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

import { addonPath } from '../../ts/native';
import { freePort } from './ports';

/** The test camera executable (next to the addon, so OWL_NATIVE_ADDON moves both). */
export const TEST_CAMERA_BINARY = path.join(path.dirname(addonPath), 'owl_test_camera');

export interface TestCameraOptions {
  /** @default a free loopback port */
  port?: number;
  /** @default '/cam' */
  mount?: string;
  /** @default 640 */
  width?: number;
  /** @default 360 */
  height?: number;
  /** @default 30 */
  fps?: number;
  /** videotestsrc pattern. @default 'ball' (a white ball moving over black) */
  pattern?: string;
}

/** A running test camera. */
export class TestCamera {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;

  private constructor(readonly url: string, readonly port: number, readonly options: Required<TestCameraOptions>,
    child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Starts the camera and resolves once it serves (its "READY <url>" line). */
  static async start(options: TestCameraOptions = {}): Promise<TestCamera> {
    const o: Required<TestCameraOptions> = { port: options.port ?? await freePort(), mount: options.mount ?? '/cam',
      width: options.width ?? 640, height: options.height ?? 360, fps: options.fps ?? 30,
      pattern: options.pattern ?? 'ball' };
    const child = spawn(TEST_CAMERA_BINARY, [o.port, o.mount, o.width, o.height, o.fps, o.pattern].map(String),
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const url = await new Promise<string>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('test camera: no READY within 10 s'));
      }, 10_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const ready = /^READY (\S+)$/m.exec(stdout);
        if (ready) {
          clearTimeout(timer);
          resolve(ready[1]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`test camera exited (${code}) before serving: ${stderr.trim()}`));
      });
      child.once('error', reject);
    });
    return new TestCamera(url, o.port, o, child);
  }

  /** Stops it cleanly (SIGTERM) and waits for the exit. */
  async stop(): Promise<void> {
    this.#child.kill('SIGTERM');
    await this.#exited;
  }

  /** Freezes it (SIGSTOP), like a hung camera: its connections stay open but nothing answers. */
  freeze(): void {
    this.#child.kill('SIGSTOP');
  }

  /** Lets a frozen camera run again (SIGCONT). */
  thaw(): void {
    this.#child.kill('SIGCONT');
  }

  /** Kills it without warning (SIGKILL), like a camera losing power, and waits for the exit. */
  async kill(): Promise<void> {
    this.#child.kill('SIGKILL');
    await this.#exited;
  }
}
