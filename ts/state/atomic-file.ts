// SPDX-License-Identifier: Apache-2.0
// A small file that must survive a crash or a power cut whole or not at all: written to a temporary file beside
// it, flushed to disk (fsync), renamed over the old one (atomic on POSIX), then the folder flushed so the rename
// itself is on disk. A reader therefore sees either the previous content or the new one, never half of each.
// A file that cannot be read or parsed is moved aside (kept for the operator to look at), never deleted and
// never left in place to fail every start again.
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Replaces `file` with `text` atomically (see the file comment); creates the folder when missing.
 * @throws {NodeJS.ErrnoException} when the folder or the file cannot be written (the old file is then intact).
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const temporary = `${file}.tmp-${process.pid}`;
  const handle = await fs.open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temporary, file);
  } catch (err) {
    await fs.rm(temporary, { force: true });
    throw err;
  }
  await syncFolder(dir);
}

/** What reading a kept file found. */
export type ReadResult<T> =
  | { kind: 'missing' }
  | { kind: 'read'; value: T }
  /** Unreadable or refused by `parse`: moved to `movedTo` (null when even that failed). */
  | { kind: 'moved-aside'; problem: string; movedTo: string | null; moveError: string | null };

/**
 * Reads `file` and hands its text to `parse`. A file that cannot be read (other than missing) or that `parse`
 * refuses (throws) is renamed to `<file>.corrupt-<UTC time>` so the next start does not stumble on it again.
 */
export async function readOrMoveAside<T>(file: string, parse: (text: string) => T): Promise<ReadResult<T>> {
  let problem: string;
  try {
    return { kind: 'read', value: parse(await fs.readFile(file, 'utf8')) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    problem = (err as Error).message;
  }
  const movedTo = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    await fs.rename(file, movedTo);
    return { kind: 'moved-aside', problem, movedTo, moveError: null };
  } catch (err) {
    return { kind: 'moved-aside', problem, movedTo: null, moveError: (err as Error).message };
  }
}

// Without this a crash right after rename() may still lose the new directory entry on some file systems.
async function syncFolder(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some file systems (and Docker Desktop's shares) refuse fsync on a folder; the rename is still atomic.
  } finally {
    await handle?.close();
  }
}
