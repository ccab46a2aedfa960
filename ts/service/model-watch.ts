// SPDX-License-Identifier: Apache-2.0
// Whether a model folder's files changed since the last attempt to load the model (a folder fixed on disk, a
// re-export), so SIGHUP loads it again (reload-plan.ts; a change to the model's settings is seen there). Files are
// compared by name, size and modification time: cheap, and what any copy or export changes.
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * The files of a model folder as one string (name, size, mtime of each regular file, sorted): equal while the
 * folder is unchanged. 'missing' when the folder cannot be listed (e.g. `--model` is a hub id).
 */
export async function modelFingerprint(folder: string, cwd = process.cwd()): Promise<string> {
  const dir = path.resolve(cwd, folder);
  let names: string[];
  try {
    names = (await fs.readdir(dir)).sort();
  } catch {
    return 'missing';
  }
  const files = await Promise.all(names.map(async (name) => {
    const stat = await fs.stat(path.join(dir, name)).catch(() => null);
    return stat?.isFile() === true ? `${name}:${stat.size}:${stat.mtimeMs}` : `${name}:-`;
  }));
  return files.join('\n');
}

/** Remembers the files the model was last loaded from. */
export class ModelWatch {
  #folder = '';
  #files = '';

  /** Records the folder's files at a load attempt; call before loading, so a change during it counts. */
  async remember(folder: string): Promise<void> {
    this.#folder = folder;
    this.#files = await modelFingerprint(folder);
  }

  /** Whether `folder` is another folder than the last attempt's, or its files changed since. */
  async changed(folder: string): Promise<boolean> {
    return folder !== this.#folder || await modelFingerprint(folder) !== this.#files;
  }
}
