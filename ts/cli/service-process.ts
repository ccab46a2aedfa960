// SPDX-License-Identifier: Apache-2.0
// The service as a process: configuration from argv/env/file, the supervisor, and the signals.
// SIGINT/SIGTERM stop cleanly (exit 0 within 2 s); SIGHUP re-reads the configuration and applies it live.
import { resolveConfig } from '../cli/args';
import { ConfigError } from '../config/errors';
import { bridgeGstLog } from '../pipeline/gst-log';
import { createLogger } from '../service/logger';
import { Supervisor } from '../service/supervisor';

/** A stop that takes longer than this is cut short: orchestrators expect a prompt exit. */
const STOP_DEADLINE_MS = 1900;

/**
 * Runs the service until a stop signal; resolves with the process exit code.
 * @param argv arguments after the script name.
 */
export async function runService(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let resolution;
  try {
    resolution = resolveConfig(argv, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`owl-stream: ${err.message}\nRun with --help for the options.\n`);
    return 2;
  }
  if (resolution.kind === 'help') {
    process.stdout.write(resolution.text);
    return 0;
  }
  const { config, configFile } = resolution;
  const log = createLogger(config.log.level);
  bridgeGstLog(log.child('gst'), config.log.level);
  let supervisor: Supervisor;
  try {
    supervisor = new Supervisor(config, log);
  } catch (err) {
    log.error((err as Error).message);  // e.g. engine deepstream in a build without it
    return 1;
  }

  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal}: stopping`);
      const deadline = setTimeout(() => {
        log.warn(`stop took over ${STOP_DEADLINE_MS} ms; exiting anyway`);
        resolve(0);
      }, STOP_DEADLINE_MS);
      deadline.unref();
      supervisor.stop().then(() => resolve(0), (err: Error) => {
        log.error(`while stopping: ${err.message}`);
        resolve(1);
      }).finally(() => clearTimeout(deadline));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.on('SIGHUP', () => {
    try {
      const next = resolveConfig(argv, env);
      if (next.kind !== 'run') return;
      log.info(`SIGHUP: re-reading ${configFile ?? 'the environment and flags'}`);
      bridgeGstLog(log.child('gst'), next.config.log.level);
      supervisor.reload(next.config).catch((err: Error) => log.error(`reload: ${err.message}`));
    } catch (err) {
      // One line per refused setting: the logger keeps every message on one line.
      const issues = err instanceof ConfigError ? err.message.split('\n') : [(err as Error).message];
      log.error(`SIGHUP: configuration kept, the new one is invalid (${issues.length} problem(s)):`);
      for (const issue of issues) log.error(`  ${issue}`);
    }
  });

  try {
    await supervisor.start();
  } catch (err) {
    log.error((err as Error).message);
    await supervisor.stop();
    return 1;
  }
  return stopped;
}
