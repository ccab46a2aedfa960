// SPDX-License-Identifier: Apache-2.0
// Finds the RTSP stream to play behind a VST address, waiting for VST while it is unreachable (it often
// starts next to us, as in the seed's compose file): exponential backoff, cancellable.
import { setTimeout as sleep } from 'node:timers/promises';
import { redactUrl } from '../config/redact';
import { fetchLiveStreams } from './client';
import { VstError } from './errors';
import { chooseStream, parseLiveStreams, type VstStream } from './streams';

/** How to discover. */
export interface DiscoveryOptions {
  /** Stream name or id to use; '' for the first usable one (config `input.vst.stream`). */
  stream: string;
  /** Per-request timeout in ms (config `input.vst.timeoutMs`). */
  timeoutMs: number;
  /** First retry delay, doubled after each failure up to maxDelayMs (config `input.reconnect`). */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Cancels discovery, including a pending wait. */
  signal?: AbortSignal;
  /** Told about each failed attempt before waiting `delayMs` (for logs and status). */
  onRetry?: (error: VstError, delayMs: number, attempt: number) => void;
}

/**
 * Asks VST for its live streams until it answers, then picks one.
 * @param base VST address, e.g. `http://host:81`.
 * @returns the chosen stream; its `sensorId` is the stream's name, else its id.
 * @throws {VstError} `no_streams`, `stream_not_found`, `bad_response` (not retried) or `aborted`.
 */
export async function discoverVstStream(base: string, options: DiscoveryOptions): Promise<VstStream> {
  let delayMs = options.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      const body = await fetchLiveStreams(base, options.timeoutMs, options.signal);
      const { streams, skipped } = parseLiveStreams(redactUrl(base), body);
      return chooseStream(redactUrl(base), streams, skipped, options.stream);
    } catch (err) {
      if (!(err instanceof VstError) || err.code !== 'unreachable') throw err;
      options.onRetry?.(err, delayMs, attempt);
      await wait(delayMs, options.signal, base);
      delayMs = Math.min(delayMs * 2, options.maxDelayMs);
    }
  }
}

async function wait(ms: number, signal: AbortSignal | undefined, base: string): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch (err) {
    throw new VstError('aborted', `VST discovery at ${redactUrl(base)} was cancelled`, { cause: err });
  }
}
