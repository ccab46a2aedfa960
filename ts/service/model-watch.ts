// SPDX-License-Identifier: Apache-2.0
// Whether the model must be loaded again on SIGHUP: its settings changed, or its folder's files did since the last
// attempt to load it (a folder fixed on disk, a re-export). Files are compared by name, size and modification
// time: cheap, and what any copy or export changes.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { OwlConfig } from '../config/schema';

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

/** Remembers what the model was loaded from. */
export class ModelWatch {
  #settings = '';
  #files = '';

  /** Records the settings and files of a load attempt; call before loading, so a change during it counts. */
  async remember(model: OwlConfig['model']): Promise<void> {
    this.#settings = JSON.stringify(model);
    this.#files = await modelFingerprint(model.folder);
  }

  /** Whether `model` differs from the last attempt: other settings, or other files in its folder. */
  async changed(model: OwlConfig['model']): Promise<boolean> {
    return JSON.stringify(model) !== this.#settings || await modelFingerprint(model.folder) !== this.#files;
  }
}
