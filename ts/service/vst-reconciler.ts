// SPDX-License-Identifier: Apache-2.0
// input.vst.follow: keeps the streams that came from VST equal to VST's list. A VstFollower asks VST every
// pollMs; each answer adds the streams VST lists that do not run, and removes those it no longer lists. A
// stream removed through the API stays away while VST keeps listing it (dismissed), and comes back once VST
// dropped it and lists it again. Streams that cannot be added are named once per change of the reason.
import { classifyInput } from '../config/input-uri';
import { redactUrl } from '../config/redact';
import type { VstStream } from '../vst/streams';
import type { Logger } from './logger';
import type { ServiceStream } from './service-stream';
import type { StreamRegistry } from './stream-registry';
import { VstFollower } from './vst-follower';

/** VST's streams followed into the registry; see the file comment. */
export class VstReconciler {
  readonly #registry: StreamRegistry;
  readonly #log: Logger;
  // VST streams removed through the API: not added back while VST keeps listing them.
  readonly #dismissed = new Set<string>();
  // The last warning about VST streams left out (logged again only when it changes).
  #leftOut = '';
  #follower: VstFollower | null = null;

  constructor(registry: StreamRegistry, log: Logger) {
    this.#registry = registry;
    this.#log = log;
  }

  /** Starts following VST at `base` (config input.vst: pollMs, timeoutMs). */
  follow(base: string, options: { pollMs: number; timeoutMs: number }): void {
    this.#log.info(`following the streams of VST at ${redactUrl(base)} (every ${options.pollMs} ms)`);
    this.#follower = new VstFollower({ base, ...options, log: this.#log.child('vst'),
      onStreams: async (found) => this.match(found) });
    this.#follower.start();
  }

  /** A stream is being removed through the API: if it came from VST, VST's listing it no longer brings it back. */
  dismiss(stream: ServiceStream): void {
    if (stream.spec.vstStreamId !== undefined) this.#dismissed.add(stream.spec.vstStreamId);
  }

  /** Stops following, waiting for an answer being handled. Idempotent. */
  async stop(): Promise<void> {
    await this.#follower?.stop();
  }

  /** Adds VST's new streams and removes the ones it no longer lists; those dismissed stay away. */
  async match(found: VstStream[]): Promise<void> {
    const registry = this.#registry;
    const listed = new Set(found.map((stream) => stream.streamId));
    for (const id of this.#dismissed) if (!listed.has(id)) this.#dismissed.delete(id);
    const following = registry.list().filter((stream) => stream.spec.origin === 'vst');
    await Promise.all(following.filter((stream) => !listed.has(stream.spec.vstStreamId!))
      .map((stream) => registry.stop(stream, 'no longer listed by VST')));
    const missing = found.filter((stream) => !this.#dismissed.has(stream.streamId)
      && !following.some((running) => running.spec.vstStreamId === stream.streamId));
    const leftOut: string[] = [];
    let reason = '';
    for (const stream of missing) {
      try {
        const input = classifyInput(stream.url);
        if (input === null) throw new Error(`cannot read ${JSON.stringify(redactUrl(stream.url))} as an RTSP URL`);
        registry.start({
          id: stream.streamId, name: stream.name, description: '', uri: stream.url, input, mount: '', prompts: null,
          sensor: { id: stream.sensorId, type: '', location: '' }, origin: 'vst', vstStreamId: stream.streamId,
        });
      } catch (err) {
        leftOut.push(`"${stream.name}" (${stream.streamId})`);
        reason = (err as Error).message;
      }
    }
    const warning = leftOut.length === 0 ? '' : `VST streams not added: ${leftOut.join(', ')}: ${reason}`;
    if (warning !== '' && warning !== this.#leftOut) this.#log.warn(warning);
    this.#leftOut = warning;
  }
}
