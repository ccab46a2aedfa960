#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// owl-redis-viewer: prints the Minimal Schema metadata owl-stream appends to a Redis stream, like the seed
// app's redis_viewer.py (XREAD BLOCK in a loop), readably or as raw JSON lines. Waits and retries while
// Redis is unreachable. A password comes from OWL_REDIS_PASSWORD or a file (never a flag: flags show in `ps`),
// TLS from --redis_tls or a rediss:// URL, which passes the service's one URL validator.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { escapeControlChars } from '../config/safe-text';
import { checkUrl } from '../config/url-policy';
import { expectedValue } from '../errors/expected';
import { reconnectDelayMs } from '../output/backoff';
import {
  CONNECT_TIMEOUT_MS, PAYLOAD_FIELD, accessOptions, describeRedisError, entryPayload, type RedisAccess,
} from '../redis/connection';
import { formatFrame } from '../redis/format-frame';
import { parseMinimalSchema } from '../redis/minimal-schema';

const USAGE = `Usage: owl-redis-viewer [options]
  --redis_host HOST     Redis host (default localhost)
  --redis_port PORT     Redis port (default 6379)
  --redis_stream NAME   stream key (default owl)
  --redis_url URL       redis://host:port or rediss://host:port (TLS), instead of --redis_host/--redis_port
  --redis_tls           connect with TLS
  --redis_ca FILE       CA certificate (PEM) that signed Redis's certificate (default: the system's)
  --redis_password_file FILE
                        file holding the Redis password (or set OWL_REDIS_PASSWORD)
  --from-start          print the entries already in the stream too (default: only new ones)
  --count N             exit after N entries
  --json                print each payload as one raw JSON line
  -h, --help            show this help`;

// Entries per XREAD and how long one blocks (the seed's values).
const READ_COUNT = 10;
const BLOCK_MS = 5000;

interface ViewerArgs {
  host: string;
  port: number;
  stream: string;
  access: RedisAccess;
  fromStart: boolean;
  count?: number;
  json: boolean;
  help: boolean;
}

/**
 * @param env OWL_REDIS_PASSWORD is read from it.
 * @throws {TypeError} for unknown flags or bad values, with the flag named.
 */
function parseViewerArgs(argv: string[], env: NodeJS.ProcessEnv): ViewerArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      redis_host: { type: 'string', default: 'localhost' },
      redis_port: { type: 'string', default: '6379' },
      redis_stream: { type: 'string', default: 'owl' },
      redis_url: { type: 'string' },
      redis_tls: { type: 'boolean', default: false },
      redis_ca: { type: 'string', default: '' },
      redis_password_file: { type: 'string' },
      'from-start': { type: 'boolean', default: false },
      count: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  let host = values.redis_host;
  let port = Number(values.redis_port);
  let tls = values.redis_tls;
  let password = env.OWL_REDIS_PASSWORD ?? '';
  if (values.redis_url !== undefined) {
    const checked = checkUrl(values.redis_url, ['redis:', 'rediss:']);
    if (!checked.ok) throw new TypeError(`--redis_url ${checked.problem}`);
    host = checked.url.hostname.replace(/^\[(.*)\]$/, '$1');
    port = checked.url.port === '' ? 6379 : Number(checked.url.port);
    tls ||= checked.url.protocol === 'rediss:';
    if (checked.url.password !== '') password = decodeURIComponent(checked.url.password);
  }
  if (values.redis_password_file !== undefined) password = readPasswordFile(values.redis_password_file);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(expectedValue('a port in 1..65535', '--redis_port', values.redis_port));
  }
  const count = values.count === undefined ? undefined : Number(values.count);
  if (count !== undefined && (!Number.isInteger(count) || count < 1)) {
    throw new TypeError(expectedValue('a positive integer', '--count', values.count));
  }
  if (values.redis_host === '' || values.redis_stream === '') {
    throw new TypeError('Expected non-empty values for --redis_host and --redis_stream');
  }
  return {
    host, port, stream: values.redis_stream, access: { password, tls, tlsCaFile: values.redis_ca },
    fromStart: values['from-start'], count, json: values.json, help: values.help,
  };
}

/** The password in a file, without its trailing line break. @throws {TypeError} naming the flag */
function readPasswordFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new TypeError(`--redis_password_file: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}

// What Redis holds came from elsewhere (any client may write the stream): every line printed is one line, with no
// control character that a terminal would act on.
function log(message: string): void {
  process.stderr.write(`owl-redis-viewer: ${escapeControlChars(message)}\n`);
}

/** One line per entry; DeepStream pretty-prints its payloads, so multi-line JSON is compacted. */
function jsonLine(payload: string): string {
  if (!payload.includes('\n')) return payload;
  try {
    return JSON.stringify(JSON.parse(payload));
  } catch {
    return payload.replace(/\n/g, ' ');
  }
}

function show(entryId: string, fields: string[], json: boolean): void {
  const payload = entryPayload(fields);
  if (payload === undefined) {
    log(`entry ${entryId} has no '${PAYLOAD_FIELD}' field (fields: ${fields.filter((_, i) => i % 2 === 0).join(', ')})`);
  } else if (json) {
    process.stdout.write(`${escapeControlChars(jsonLine(payload))}\n`);
  } else {
    try {
      const lines = formatFrame(parseMinimalSchema(payload)).split('\n').map(escapeControlChars);
      process.stdout.write(`${lines.join('\n')}\n`);
    } catch (err) {
      log(`entry ${entryId} is not Minimal Schema: ${(err as Error).message}`);
    }
  }
}

async function main(argv: string[]): Promise<number> {
  let args: ViewerArgs;
  try {
    args = parseViewerArgs(argv, process.env);
  } catch (err) {
    log((err as Error).message);
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { host, port, stream } = args;
  // Commands wait (offline queue, no retry limit) while ioredis reconnects with backoff.
  let access;
  try {
    access = accessOptions(args.access);
  } catch (err) {
    log((err as Error).message);
    return 2;
  }
  const client = new Redis({
    host, port, ...access, retryStrategy: reconnectDelayMs, connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: null,
  });
  let unreachable = false;
  client.on('error', (err: Error) => {
    if (unreachable) return;
    unreachable = true;
    log(`${describeRedisError(err, host, port)}; retrying until it answers`);
  });
  client.on('ready', () => {
    if (!unreachable) return;
    unreachable = false;
    log(`Redis at ${host}:${port} answers again`);
  });
  try {
    // Resolving "now" to an entry id once means nothing is missed between two XREADs.
    const [newest] = args.fromStart ? [] : await client.xrevrange(stream, '+', '-', 'COUNT', 1);
    let lastId = newest?.[0] ?? '0-0';
    log(`reading stream '${stream}' at ${host}:${port} (${args.fromStart ? 'from the start' : 'new entries only'})`);
    for (let seen = 0; args.count === undefined || seen < args.count;) {
      const count = Math.min(READ_COUNT, (args.count ?? Infinity) - seen);
      const reply = await client.xread('COUNT', count, 'BLOCK', BLOCK_MS, 'STREAMS', stream, lastId);
      for (const [, entries] of reply ?? []) {
        for (const [entryId, fields] of entries) {
          lastId = entryId;
          seen++;
          show(entryId, fields, args.json);
        }
      }
    }
    return 0;
  } finally {
    client.disconnect();
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: Error) => {
    log(`reading stream failed: ${err.message}`);
    process.exitCode = 1;
  },
);
