// SPDX-License-Identifier: Apache-2.0
// Reading an RTSP stream back the way a client would, with ffmpeg over TCP: what it carries (codec, size),
// how many frames arrive per wall-clock second, and decoded pictures.
import { spawn, type ChildProcess } from 'node:child_process';

/** Codec and size of a stream's video, from ffmpeg's framecrc header. */
export interface StreamInfo {
  codec: string;
  width: number;
  height: number;
}

/** A stream measured over a window of wall-clock time. */
export interface StreamMeasurement extends StreamInfo {
  frames: number;
  seconds: number;
  fps: number;
}

/**
 * Watches an RTSP stream (packets copied, not decoded: cheap) and records when each video frame arrives.
 * Stays connected until stop(): use it to check that a stream keeps flowing across an event.
 */
export class RtspWatcher {
  /** Arrival times (performance.now() ms) of every frame so far. */
  readonly arrivals: number[] = [];
  /** Resolves with codec and size once the first frame arrives; rejects if ffmpeg exits first. */
  readonly ready: Promise<StreamInfo>;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #stderr = '';

  constructor(readonly url: string) {
    this.#child = spawn('ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', url, '-map', '0:v:0', '-c', 'copy',
      '-flush_packets', '1', '-f', 'framecrc', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#exited = new Promise((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.stderr!.on('data', (chunk: Buffer) => { this.#stderr += chunk.toString(); });
    this.ready = new Promise((resolve, reject) => {
      const info: Partial<StreamInfo> = {};
      let pending = '';
      this.#child.stdout!.on('data', (chunk: Buffer) => {
        const now = performance.now();
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          const codec = /^#codec_id 0: (\S+)/.exec(line);
          const size = /^#dimensions 0: (\d+)x(\d+)/.exec(line);
          if (codec) info.codec = codec[1];
          if (size) [info.width, info.height] = [Number(size[1]), Number(size[2])];
          if (/^0,/.test(line)) {
            this.arrivals.push(now);
            if (this.arrivals.length === 1) resolve(info as StreamInfo);
          }
        }
      });
      this.#child.once('exit', (code) => reject(new Error(`ffmpeg left ${url} (${code}): ${this.#stderr.trim()}`)));
    });
    this.ready.catch(() => undefined);  // callers that never await it must not crash the process
  }

  /** Frames that arrived in [from, to) (performance.now() ms). */
  countBetween(from: number, to: number): number {
    return this.arrivals.filter((t) => t >= from && t < to).length;
  }

  /** Disconnects and waits for ffmpeg to exit. */
  async stop(): Promise<void> {
    this.#child.kill('SIGTERM');
    await this.#exited;
  }
}

/**
 * Connects, lets the first `warmupSeconds` pass (ffmpeg's probing delivers an initial burst), then counts
 * frames over `seconds` of wall-clock time.
 */
export async function measureRtsp(url: string, seconds: number, warmupSeconds = 1): Promise<StreamMeasurement> {
  const watcher = new RtspWatcher(url);
  try {
    const info = await withTimeout(watcher.ready, 15_000, `no video from ${url}`);
    const from = performance.now() + warmupSeconds * 1000;
    await sleep((warmupSeconds + seconds) * 1000 + 100);
    const frames = watcher.countBetween(from, from + seconds * 1000);
    return { ...info, frames, seconds, fps: frames / seconds };
  } finally {
    await watcher.stop();
  }
}

/**
 * Decodes one keyframe (a complete picture, never a partial one from joining mid-GOP) as RGB24 bytes,
 * width*height*3.
 */
export async function grabFrame(url: string, width: number, height: number): Promise<Buffer> {
  return (await decodeFrames(url, width, height, 1, ['-skip_frame', 'nokey']))[0];
}

/**
 * Decodes `count` consecutive pictures from the next keyframe on (ffmpeg shows no picture before it), each as RGB24
 * bytes, width*height*3.
 */
export async function grabFrames(url: string, width: number, height: number, count: number): Promise<Buffer[]> {
  return decodeFrames(url, width, height, count, []);
}

async function decodeFrames(url: string, width: number, height: number, count: number, decoderOptions: string[]):
  Promise<Buffer[]> {
  const child = spawn('ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-analyzeduration', '500000',
    ...decoderOptions, '-i', url, '-frames:v', String(count), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const code = await withTimeout(new Promise<number | null>((resolve) => child.once('exit', resolve)), 15_000,
    `no frame from ${url}`).catch((err) => { child.kill('SIGKILL'); throw err; });
  const all = Buffer.concat(chunks);
  const size = width * height * 3;
  if (code !== 0 || all.length !== size * count) {
    throw new Error(`ffmpeg could not grab ${count} ${width}x${height} frame(s) from ${url} (exit ${code}, ` +
      `${all.length} bytes): ${stderr.trim()}`);
  }
  return Array.from({ length: count }, (_, i) => all.subarray(i * size, (i + 1) * size));
}

/**
 * Decodes an RTSP stream for as long as it stays connected (one client session, as a viewer who keeps watching),
 * each picture as RGB24 bytes, width*height*3.
 */
export class FrameReader {
  readonly #child: ChildProcess;
  readonly #size: number;
  #pending = Buffer.alloc(0);
  #waiters: ((frame: Buffer) => void)[] = [];
  #stderr = '';

  constructor(readonly url: string, width: number, height: number) {
    this.#size = width * height * 3;
    this.#child = spawn('ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', url, '-f', 'rawvideo',
      '-pix_fmt', 'rgb24', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child.stderr!.on('data', (chunk: Buffer) => { this.#stderr += chunk.toString(); });
    this.#child.stdout!.on('data', (chunk: Buffer) => {
      this.#pending = Buffer.concat([this.#pending, chunk]);
      while (this.#pending.length >= this.#size) {
        const frame = Buffer.from(this.#pending.subarray(0, this.#size));
        this.#pending = this.#pending.subarray(this.#size);
        for (const waiter of this.#waiters.splice(0)) waiter(frame);
      }
    });
  }

  /** The next picture decoded from now on. */
  next(timeoutMs = 15_000): Promise<Buffer> {
    return withTimeout(new Promise<Buffer>((resolve) => this.#waiters.push(resolve)), timeoutMs,
      `no picture from ${this.url} (${this.#stderr.trim()})`);
  }

  /** Disconnects. */
  stop(): void {
    this.#child.kill('SIGTERM');
  }
}

/** The [r, g, b] at (x, y) of an RGB24 frame. */
export function pixelAt(frame: Buffer, width: number, x: number, y: number): [number, number, number] {
  const i = (y * width + x) * 3;
  return [frame[i], frame[i + 1], frame[i + 2]];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
    })]);
  } finally {
    clearTimeout(timer);
  }
}
