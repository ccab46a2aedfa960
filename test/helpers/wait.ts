// SPDX-License-Identifier: Apache-2.0
// Waiting in tests for a condition that something asynchronous makes true.

/**
 * Polls `condition` every 10 ms until it returns true.
 * @throws {Error} naming `what` when it is still false after `timeoutMs`.
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
