// SPDX-License-Identifier: Apache-2.0
// The service's log: one line per event on stderr, `<ISO time> <level> [<scope>] <message>`, filtered by
// `log.level`. Chatty internals use the `debug` package instead (DEBUG=owl-stream:*).
import type { OwlConfig } from '../config/schema';

/** error, warn, info or debug. */
export type LogLevel = OwlConfig['log']['level'];

const SEVERITY: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** A scoped, levelled logger. */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  /** A logger whose lines carry `scope` (e.g. a stream's sensor id). */
  child(scope: string): Logger;
  /** Changes the level of this logger and every child (SIGHUP reload). */
  setLevel(level: LogLevel): void;
}

/**
 * Creates the root logger.
 * @param write where lines go. @default process.stderr
 */
export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const shared = { level };
  const make = (scope: string): Logger => {
    const emit = (at: LogLevel) => (message: string) => {
      if (SEVERITY[at] > SEVERITY[shared.level]) return;
      write(`${new Date().toISOString()} ${at.padEnd(5)} [${scope}] ${message}\n`);
    };
    return {
      error: emit('error'), warn: emit('warn'), info: emit('info'), debug: emit('debug'),
      child: (sub) => make(`${scope}:${sub}`),
      setLevel: (next) => { shared.level = next; },
    };
  };
  return make('owl-stream');
}
