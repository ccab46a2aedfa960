// SPDX-License-Identifier: Apache-2.0
// An in-process RTSP server that pipelines serve their annotated video on. A pipeline given an output URL
// runs one of its own; several pipelines can share one by mounting different paths on it.
import { native, type NativeHoldEncoder, type NativeRtspServer } from '../native';
import { PipelineError } from './pipeline-error';

/** A started RTSP server bound to host:port. */
export class RtspServer {
  /** The native server: what NativePipelineOptions.output.server takes. */
  readonly #native: NativeRtspServer;
  #stopped = false;

  /** The bound port (the kernel's choice when started with port 0). */
  readonly port: number;

  private constructor(readonly host: string, server: NativeRtspServer) {
    this.#native = server;
    this.port = server.port();
  }

  /**
   * Binds host:port and serves (port 0: the kernel picks one; see `port`).
   * @param options.auth basic/digest credentials every viewer must give; absent or null: none.
   * @throws {PipelineError} code EADDRINUSE (another server has the port), EACCES (port below 1024 without
   *   privileges) or EADDRNOTAVAIL (not an address of this machine); the message names host:port.
   */
  static start(options: { host: string; port: number; auth?: { user: string; password: string } | null }): RtspServer {
    if (typeof options?.host !== 'string' || options.host === '') {
      throw PipelineError.invalid('host', 'an address such as 0.0.0.0', options?.host);
    }
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
      throw PipelineError.invalid('port', 'an integer from 0 to 65535', options.port);
    }
    try {
      const server = new native.RtspServer({ host: options.host, port: options.port, auth: options.auth ?? null });
      server.start();
      return new RtspServer(options.host, server);
    } catch (err) {
      throw PipelineError.fromNative(err);
    }
  }

  /** The URL of a mount, e.g. url('/out') = rtsp://0.0.0.0:6000/out. */
  url(mount: string): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `rtsp://${host}:${this.port}${mount}`;
  }

  /**
   * Serves black at `mount` before its pipeline exists (a stream whose camera address is still being asked for),
   * so viewers never get 404; the pipeline started later with that mount takes the viewers over.
   * @returns the intervideo channel the held mount's viewers are fed from (NativeRtspServer.hold).
   * @throws {PipelineError} code EMOUNTINUSE when the mount is taken.
   */
  hold(mount: string, encoder: NativeHoldEncoder): string {
    try {
      return this.#native.hold(mount, encoder);
    } catch (err) {
      throw PipelineError.fromNative(err);
    }
  }

  /** Ends a hold no pipeline took over; no-op otherwise (or after stop()). */
  release(mount: string): void {
    if (!this.#stopped) this.#native.release(mount);
  }

  /** For Pipeline only: the native server a pipeline mounts on. */
  get nativeServer(): NativeRtspServer {
    return this.#native;
  }

  /** Disconnects every client and unbinds; idempotent. Pipelines mounted on it lose their output. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#native.stop();
  }
}
