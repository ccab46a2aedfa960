// SPDX-License-Identifier: Apache-2.0
// The start-up warning about an API without a token. The API binds 0.0.0.0 by default, as the seed did and as
// compose/ingress set-ups expect (docs/decisions); without a token, whoever reaches the port controls the service.
import type { OwlConfig } from '../config/schema';

// Addresses only this machine can reach.
const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|::1|\[::1\]|localhost)$/i;

/**
 * The warning to print at start, or null when a token is set or the API listens on loopback only.
 * @example exposureWarning(config) // "REST API on 0.0.0.0:5000 has no token: ..."
 */
export function exposureWarning(config: OwlConfig): string | null {
  const { host, port, token } = config.api;
  if (token !== '' || LOOPBACK.test(host)) return null;
  return `REST API on ${host}:${port} has no token: anyone who can reach this port can change the prompts, add `
    + 'streams (the service then connects to the addresses they give), remove streams and read the status and '
    + 'configuration. Set a token with OWL_API_TOKEN (or api.token in the config file) and send '
    + '"Authorization: Bearer <token>", or bind loopback only with --api_host 127.0.0.1 (see README, Security)';
}
