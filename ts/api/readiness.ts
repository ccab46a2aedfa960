// SPDX-License-Identifier: Apache-2.0
// Readiness: the service is ready when the model is loaded and every stream delivers frames (its state says so
// and its frame counter moves: a stuck pipeline is not ready). Redis is reported but not required: video and
// detection go on while it is away, and messages queue.
import type { ServiceStatus, StreamState } from './service';

/** States in which frames flow. */
export const FLOWING_STATES: ReadonlySet<StreamState> = new Set<StreamState>(['playing', 'reconnected']);

/** Whether the service is ready, and if not, why (one reason per unmet condition). */
export function readiness(status: ServiceStatus): { ready: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (!status.model.loaded) {
    reasons.push(`model not loaded${status.model.error === null ? ' yet' : `: ${status.model.error}`}`);
  }
  if (status.streams.length === 0) reasons.push('no stream configured');
  for (const stream of status.streams) {
    if (!FLOWING_STATES.has(stream.state)) {
      reasons.push(`stream ${stream.id} is ${stream.state}${stream.reason === '' ? '' : `: ${stream.reason}`}`);
    } else if (stream.stalledMs !== undefined) {
      reasons.push(`stream ${stream.id} is ${stream.state} but no frame came for ${(stream.stalledMs / 1000).toFixed(1)} s `
        + '(more than input.reconnect.stallTimeoutMs): its pipeline is stuck');
    }
  }
  return { ready: reasons.length === 0, reasons };
}
