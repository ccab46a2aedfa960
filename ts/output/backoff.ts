// SPDX-License-Identifier: Apache-2.0
// The reconnect backoff of the metadata outputs (Redis, MQTT) and the Redis viewer: short first, so a blip costs
// little, and capped, so a returning server is found soon.

/** First reconnect delay; it doubles per failed attempt. */
const RECONNECT_MIN_MS = 100;
/** Cap of the reconnect delay, so a returning server is found within this time. */
const RECONNECT_MAX_MS = 5000;

/**
 * The delay before reconnect attempt `attempt`: 100 ms, 200 ms, 400 ms, … capped at 5 s; never gives up. Also
 * ioredis' `retryStrategy`.
 * @param attempt 1 for the first retry.
 */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(RECONNECT_MIN_MS * 2 ** Math.max(0, attempt - 1), RECONNECT_MAX_MS);
}
