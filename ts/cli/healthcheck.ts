#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// `owl-stream-healthcheck [owl-stream arguments]`: the containers' HEALTHCHECK. Asks the running service's
// GET /ready on this host and exits 0 when it is ready, 1 otherwise with the reasons on stdout (Docker keeps
// them: `docker inspect --format '{{json .State.Health}}' owl-stream`).
// The API's port is the service's own: resolved from the same arguments, environment and config file. Without
// arguments, those of the service are read from /proc/1/cmdline (the service is PID 1 of its container, as both
// images start it), so `--flask_port 5010` on the container's command line needs nothing more here.
import fs from 'node:fs';
import { resolveConfig } from './args';

/** The longest a probe waits for /ready (Docker's own timeout should be a little longer). */
const TIMEOUT_MS = 4000;

/**
 * The service's arguments: `own` when given, else those after `…/cli/main.js` in PID 1's command line.
 * @param readCommandLine PID 1's NUL-separated command line (injectable for tests).
 */
export function serviceArguments(own: readonly string[],
  readCommandLine: () => string = () => fs.readFileSync('/proc/1/cmdline', 'utf8')): string[] {
  if (own.length > 0) return [...own];
  let words: string[];
  try {
    words = readCommandLine().split('\0');
  } catch {
    return [];
  }
  const script = words.findIndex((word) => /(^|\/)cli\/main\.js$/.test(word));
  // The command line ends with a NUL: the last word is empty.
  return script < 0 ? [] : words.slice(script + 1, words.at(-1) === '' ? -1 : undefined);
}

/**
 * Probes /ready once.
 * @returns the exit code and the line to print.
 */
export async function probe(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; line: string }> {
  const resolution = resolveConfig(serviceArguments(argv), env);
  if (resolution.kind !== 'run') return { code: 2, line: 'usage: owl-stream-healthcheck [owl-stream arguments]' };
  const { host, port, token } = resolution.config.api;
  // A wildcard bind answers on loopback; a specific address only there.
  const target = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${target}:${port}/ready`;
  try {
    const response = await fetch(url, { headers: token === '' ? {} : { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(TIMEOUT_MS) });
    const text = await response.text();
    if (response.status === 200) return { code: 0, line: `ready (${url})` };
    let reasons = text.slice(0, 2000);
    try {
      const body = JSON.parse(text) as { reasons?: unknown };
      if (Array.isArray(body.reasons)) reasons = body.reasons.join('; ');
    } catch { /* not JSON: shown as it came */ }
    return { code: 1, line: `not ready (${url} answered ${response.status}): ${reasons}` };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    return { code: 1, line: `no answer from ${url}: ${cause}` };
  }
}

if (require.main === module) {
  probe(process.argv.slice(2), process.env).then(({ code, line }) => {
    process.stdout.write(`${line}\n`);
    process.exit(code);
  }, (err: Error) => {
    process.stdout.write(`owl-stream-healthcheck: ${err.message}\n`);
    process.exit(1);
  });
}
