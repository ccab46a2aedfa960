#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// owl-redis-viewer: prints the Minimal Schema metadata owl-stream appends to a Redis stream, like the seed
// app's redis_viewer.py (XREAD BLOCK in a loop), readably or as raw JSON lines. Waits and retries while
// Redis is unreachable.
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { expectedValue } from '../errors/expected';
import { CONNECT_TIMEOUT_MS, PAYLOAD_FIELD, describeRedisError, entryPayload, reconnectDelayMs } from '../redis/connection';
import { formatFrame } from '../redis/format-frame';
import { parseMinimalSchema } from '../redis/minimal-schema';

const USAGE = `Usage: owl-redis-viewer [options]
  --redis_host HOST     Redis host (default localhost)
  --redis_port PORT     Redis port (default 6379)
  --redis_stream NAME   stream key (default owl)
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
  fromStart: boolean;
  count?: number;
  json: boolean;
  help: boolean;
}

/** @throws {TypeError} for unknown flags or bad values, with the flag named. */
function parseViewerArgs(argv: string[]): ViewerArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      redis_host: { type: 'string', default: 'localhost' },
      redis_port: { type: 'string', default: '6379' },
      redis_stream: { type: 'string', default: 'owl' },
      'from-start': { type: 'boolean', default: false },
      count: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const port = Number(values.redis_port);
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
    host: values.redis_host, port, stream: values.redis_stream, fromStart: values['from-start'],
    count, json: values.json, help: values.help,
  };
}

function log(message: string): void {
  process.stderr.write(`owl-redis-viewer: ${message}\n`);
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
    process.stdout.write(`${jsonLine(payload)}\n`);
  } else {
    try {
      process.stdout.write(`${formatFrame(parseMinimalSchema(payload))}\n`);
    } catch (err) {
      log(`entry ${entryId} is not Minimal Schema: ${(err as Error).message}`);
    }
  }
}

async function main(argv: string[]): Promise<number> {
  let args: ViewerArgs;
  try {
    args = parseViewerArgs(argv);
  } catch (err) {
    log(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { host, port, stream } = args;
  // Commands wait (offline queue, no retry limit) while ioredis reconnects with backoff.
  const client = new Redis({
    host, port, retryStrategy: reconnectDelayMs, connectTimeout: CONNECT_TIMEOUT_MS, maxRetriesPerRequest: null,
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
