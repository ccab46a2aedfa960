// SPDX-License-Identifier: Apache-2.0
// Which engine runs: `auto` is deepstream where the addon was built with the DeepStream SDK, else portable.
import type { OwlConfig } from '../config/schema';
import { native } from '../native';

/** The engine actually running. */
export type Engine = 'portable' | 'deepstream';

/**
 * Resolves the configured engine.
 * @throws {Error} when deepstream is asked for and this build has no DeepStream engine.
 */
export function resolveEngine(requested: OwlConfig['engine']): Engine {
  if (requested === 'portable') return 'portable';
  if (native.deepstreamAvailable) return 'deepstream';
  if (requested === 'deepstream') {
    throw new Error(`engine deepstream needs the DeepStream SDK, which was not found at ${native.deepstreamDir} `
      + 'when the addon was built: use --engine portable, or install DeepStream 7.x and rebuild (npm run build)');
  }
  return 'portable';
}
