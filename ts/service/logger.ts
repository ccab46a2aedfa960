// SPDX-License-Identifier: Apache-2.0
// The service's log: one line per event on stderr, `<ISO time> <level> [<scope>] <message>`, filtered by
// `log.level`. Chatty internals use the `debug` package instead (DEBUG=owl-stream:*).
// Every message is one line: control characters (a line feed in a prompt, a CR/LF in a URL, an escape sequence)
// are written as escapes here, at the one place lines are written, so no caller can forge a line; and a message
// is cut at MAX_MESSAGE_LENGTH, so no request can fill the disk through the log.
import { boundText, escapeControlChars } from '../config/safe-text';
import type { OwlConfig } from '../config/schema';

/** error, warn, info or debug. */
export type LogLevel = OwlConfig['log']['level'];

const SEVERITY: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** Longest message written, in characters (before escaping). */
export const MAX_MESSAGE_LENGTH = 4000;

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
      const text = escapeControlChars(boundText(String(message), MAX_MESSAGE_LENGTH));
      write(`${new Date().toISOString()} ${at.padEnd(5)} [${escapeControlChars(scope)}] ${text}\n`);
    };
    return {
      error: emit('error'), warn: emit('warn'), info: emit('info'), debug: emit('debug'),
      child: (sub) => make(`${scope}:${sub}`),
      setLevel: (next) => { shared.level = next; },
    };
  };
  return make('owl-stream');
}
