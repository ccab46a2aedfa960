#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// `npm run demo`: the service on the built-in test source with the bundled tiny random-weight model, so it
// runs on a fresh machine with no camera and no model download. When no Redis answers at the configured
// address, the demo (never the service) starts a throw-away redis-server on loopback for its run.
// Flags after `npm run demo --` override the demo's defaults, e.g. `npm run demo -- --objects "a hat"`.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

import { resolveConfig } from './args';
import { runService } from './service-process';

const ROOT = path.resolve(__dirname, '..', '..', '..');

// Environment defaults sit below the command line in the precedence, so any flag still wins.
const DEMO_DEFAULTS: Record<string, string> = {
  OWL_INPUT_URI: 'test:',
  OWL_MODEL_FOLDER: path.join(ROOT, 'test', 'fixtures', 'owl-tiny'),
  OWL_PROMPTS_OBJECTS: 'a person, a hat, a bike',
  OWL_PROMPTS_THRESHOLDS: '0.55',
  OWL_OVERLAY_SHOW_SCORES: 'true',
};

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const env = { ...DEMO_DEFAULTS, ...definedOnly(process.env) };
  const resolution = resolveConfig(argv, env);
  if (resolution.kind === 'help') return runService(argv, env);
  const { redis, api, output } = resolution.config;

  const redisServer = await ensureRedis(redis.host, redis.port);
  const apiHost = api.host === '0.0.0.0' ? '127.0.0.1' : api.host;
  process.stdout.write([
    '',
    'owl-stream demo: built-in test source, bundled tiny model with RANDOM weights (boxes are not meaningful;',
    'export real weights with deploy/export/owl_export.py — see README).',
    `  video:    ${output.enabled ? output.url.replace('0.0.0.0', '127.0.0.1') : 'off'}   (e.g. ffplay -rtsp_transport tcp URL)`,
    `  page:     http://${apiHost}:${api.port}/`,
    `  prompts:  curl "http://${apiHost}:${api.port}/prompt?objects=a%20dog,a%20cat&thresholds=0.5"`,
    `  metadata: node build/ts/cli/redis-viewer.js --redis_host ${redis.host} --redis_port ${redis.port} --redis_stream ${redis.stream}`,
    'Stop with Ctrl-C.',
    '',
  ].join('\n'));
  try {
    return await runService(argv, env);
  } finally {
    redisServer?.kill('SIGTERM');
  }
}

/** Starts redis-server on loopback at `port` when nothing answers there; null when Redis is already up. */
async function ensureRedis(host: string, port: number): Promise<ChildProcess | null> {
  if (await answersPing(host, port)) return null;
  if (!['localhost', '127.0.0.1', '::1'].includes(host)) {
    process.stdout.write(`No Redis answers at ${host}:${port}; metadata will wait in memory until it does.\n`);
    return null;
  }
  process.stdout.write(`No Redis at ${host}:${port}: starting redis-server on 127.0.0.1:${port} for this demo.\n`);
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' });
  child.on('error', (err) => process.stdout.write(`Could not start redis-server: ${err.message}\n`));
  for (let i = 0; i < 50 && !(await answersPing('127.0.0.1', port)); i++) await sleep(100);
  return child;
}

/** True when a Redis server answers PING at host:port within a second. */
function answersPing(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

main().then((code) => process.exit(code), (err: Error) => {
  process.stderr.write(`owl-stream demo: ${err.message}\n`);
  process.exit(1);
});
