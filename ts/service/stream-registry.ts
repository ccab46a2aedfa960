// SPDX-License-Identifier: Apache-2.0
// The service's streams over their life, by the same rules whoever asks (the configuration, the API, VST, a
// reload): start one from a spec within input.maxStreams and the engine's limit, with a unique id and its RTSP
// mount; stop one, waiting for its pipeline with a deadline but never blocking the event loop; find them by id.
// The engine constructs each stream; StreamHooks put a stream's own prompts in place before it starts (no frame
// of it is decoded with the service-wide ones) and forget them once it is removed.
import { redactUrl } from '../config/redact';
import type { OwlConfig } from '../config/schema';
import { deriveSensorId } from '../config/sensor-id';
import type { Engine } from './engine';
import type { RtspServer } from '../pipeline';
import { ServiceStoppingError, StreamLimitError, UnknownStreamError } from './errors';
import type { Logger } from './logger';
import type { ServiceStream } from './service-stream';
import { StreamSet } from './stream-set';
import type { StreamSpec } from './stream-spec';

/** How long removing a stream waits for its pipeline to let go before it answers anyway (and says so). */
const STOP_DEADLINE_MS = 2000;

/** What happens around a stream's life besides its pipeline. */
export interface StreamHooks {
  /** Before a new stream starts (e.g. its own prompts into the model's prompt sets). Never rejects: logs instead. */
  prepare(stream: ServiceStream): Promise<void>;
  /** After a stream was removed (e.g. its prompt set forgotten). */
  released(stream: ServiceStream): void;
  /** Once a stream's pipeline started, its output served (e.g. registered with VST). Never rejects. */
  served?(stream: ServiceStream): void;
}

/** What the registry needs. */
export interface StreamRegistryOptions {
  engine: Pick<Engine, 'name' | 'limits' | 'createStream'>;
  /** The configuration in force (a new stream gets the one of its start). */
  config: () => OwlConfig;
  log: Logger;
  hooks: StreamHooks;
}

/** The running streams; see the file comment. */
export class StreamRegistry {
  readonly #set = new StreamSet();
  readonly #options: StreamRegistryOptions;
  #output: { server: RtspServer; baseMount: string } | null = null;
  #closed = false;

  constructor(options: StreamRegistryOptions) {
    this.#options = options;
  }

  /** Streams started from now on serve their video on `server`, the first at `baseMount` (output.url's). */
  serveOn(server: RtspServer, baseMount: string): void {
    this.#output = { server, baseMount };
  }

  /** How many streams run. */
  get size(): number {
    return this.#set.size;
  }

  /** The running streams, in start order (a copy). */
  list(): ServiceStream[] {
    return this.#set.list();
  }

  /** Whether the stream is still running (not removed meanwhile). */
  has(stream: ServiceStream): boolean {
    return this.#set.has(stream);
  }

  /**
   * The running stream with this id.
   * @throws {UnknownStreamError} naming the running ones.
   */
  get(id: string): ServiceStream {
    const stream = this.#set.find(id);
    if (stream === undefined) throw this.unknown(id);
    return stream;
  }

  /** The error for an id no running stream has. */
  unknown(id: string): UnknownStreamError {
    return new UnknownStreamError(id, this.#set.list().map((stream) => stream.id));
  }

  /**
   * Starts one stream (in the background: its prompts, connecting, VST discovery) and returns it.
   * @throws {StreamLimitError} when input.maxStreams, or the engine's limit, are running.
   * @throws {ServiceStoppingError} once stopAll() began.
   */
  start(spec: StreamSpec): ServiceStream {
    const { engine, log, hooks } = this.#options;
    const config = this.#options.config();
    const set = this.#set;
    if (this.#closed) throw new ServiceStoppingError();
    const own = engine.limits.streams;
    if (own !== null && set.size >= own.max) throw new StreamLimitError(own.refusal(set.list().map((s) => s.id)));
    if (set.size >= config.input.maxStreams) {
      throw new StreamLimitError(`Stream maximum reached: ${set.size} streams are running and input.maxStreams is `
        + `${config.input.maxStreams}; remove one first (DELETE /api/v1/live-stream/<id>)`);
    }
    const id = set.uniqueId(spec.id !== '' ? spec.id : deriveSensorId(spec.input));
    const output = this.#output === null ? null
      : { server: this.#output.server, mount: set.mountFor(spec, id, this.#output.baseMount) };
    const outputUrl = output === null ? null : output.server.url(output.mount);
    const stream = engine.createStream({ key: set.newKey(), spec, id, config, output, outputUrl,
      log: log.child(id === '' ? 'stream' : id) });
    set.add(stream);
    if (spec.origin !== 'input') log.info(`stream ${id || spec.uri} added (${spec.origin}): ${redactUrl(spec.uri)}`);
    if (outputUrl !== null) log.info(`annotated video on ${outputUrl}`);
    // VST discovery may then wait for VST; the service is up meanwhile.
    hooks.prepare(stream).then(async () => {
      if (!set.has(stream)) return;
      await stream.start();
      if (set.has(stream)) hooks.served?.(stream);
    }).catch((err: Error) => log.error(`stream failed: ${err.message}`));
    return stream;
  }

  /**
   * Removes a stream at once (no longer listed, its id free) and stops it; resolves once its pipeline has let go
   * of its threads and mount, or after a deadline (logged; the stop then finishes in the background).
   */
  async stop(stream: ServiceStream, reason: string, deadlineMs = STOP_DEADLINE_MS): Promise<void> {
    if (!this.#set.has(stream)) return;
    const stopped = stream.stop(reason);
    this.#set.remove(stream, stopped);
    this.#options.hooks.released(stream);
    const name = stream.id || redactUrl(stream.spec.uri);
    this.#options.log.info(`stream ${name} removed (${reason})`);
    await this.#within(stopped, deadlineMs, name);
  }

  /** Stops every stream, at once and in parallel, within `deadlineMs`; nothing starts afterwards. */
  async stopAll(reason: string, deadlineMs: number): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#set.list().map((stream) => this.stop(stream, reason, deadlineMs)));
  }

  // Waits for a stop at most deadlineMs; one that takes longer is said, and when it ends.
  async #within(stopped: Promise<void>, deadlineMs: number, name: string): Promise<void> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const overran = await Promise.race([
      stopped.then(() => false, () => false),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), deadlineMs); }),
    ]);
    clearTimeout(timer);
    if (!overran) return;
    const { log } = this.#options;
    log.warn(`stream ${name} is still stopping after ${deadlineMs} ms; its pipeline is let go in the background`);
    const done = () => log.info(`stream ${name} stopped after ${(performance.now() - started).toFixed(0)} ms`);
    stopped.then(done, done);
  }
}
