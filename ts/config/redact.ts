// SPDX-License-Identifier: Apache-2.0
// Secrets never leave the process: the API token, the Redis and RTSP output passwords and passwords inside URLs
// (rtsp://user:pass@cam) are masked wherever the config is shown (GET /config, logs).
import type { OwlConfig } from './schema';

/** What replaces a secret. */
const REDACTED = '***';

/** A URL with its password (and the user name's presence kept) masked; other text unchanged. */
export function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value;
  }
  if (url.password === '') return value;
  url.password = REDACTED;
  return url.toString();
}

/** A deep copy of the config with the API token, passwords and URL passwords masked. */
export function redactConfig(config: OwlConfig): OwlConfig {
  const copy = structuredClone(config);
  if (copy.api.token !== '') copy.api.token = REDACTED;
  if (copy.redis.password !== '') copy.redis.password = REDACTED;
  if (copy.output.auth.password !== '') copy.output.auth.password = REDACTED;
  copy.input.uri = redactUrl(copy.input.uri);
  copy.output.url = redactUrl(copy.output.url);
  for (const stream of copy.streams) stream.uri = redactUrl(stream.uri);
  if (copy.mqtt.password !== '') copy.mqtt.password = REDACTED;
  // librdkafka settings carry SASL passwords and key passphrases among the rest.
  copy.kafka.protoCfg = copy.kafka.protoCfg.replace(/((?:password|secret|passphrase)[^=;]*=)[^;]*/gi, `$1${REDACTED}`);
  return copy;
}
