// SPDX-License-Identifier: Apache-2.0
// A GKeyFile (INI) writer: DeepStream reads every element config with GLib's g_key_file_* functions.
// Values are written so that g_key_file_get_string returns them unchanged (backslash and a leading
// space escaped); lists are `;`-separated, as g_key_file_get_*_list expects.

/** One value: text, a number written as given, a boolean as 1/0, or a `;`-separated list. */
export type KeyFileValue = string | number | boolean | readonly (string | number)[];

/** One `[group]` with its keys in order. */
export interface KeyFileGroup {
  name: string;
  entries: readonly (readonly [key: string, value: KeyFileValue])[];
}

/**
 * Formats groups as a key file.
 * @param header comment lines written first (each prefixed with `# `).
 * @throws {Error} when a key or value cannot be written (line breaks, `[`/`=` in keys, `;` in a list item).
 */
export function formatKeyFile(header: readonly string[], groups: readonly KeyFileGroup[]): string {
  const lines = header.map((line) => (line === '' ? '#' : `# ${line}`));
  for (const group of groups) {
    if (lines.length > 0) lines.push('');
    if (/[[\]\r\n]/.test(group.name) || group.name === '') {
      throw new Error(`invalid key-file group name ${JSON.stringify(group.name)}`);
    }
    lines.push(`[${group.name}]`);
    for (const [key, value] of group.entries) {
      if (!/^[A-Za-z0-9_-]+$/.test(key)) {
        throw new Error(`invalid key-file key ${JSON.stringify(key)} in [${group.name}]`);
      }
      lines.push(`${key}=${formatValue(value, `${group.name}/${key}`)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function formatValue(value: KeyFileValue, where: string): string {
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') return formatNumber(value, where);
  if (typeof value === 'string') return escapeText(value, where);
  return value.map((item) => {
    const text = typeof item === 'number' ? formatNumber(item, where) : escapeText(item, where);
    if (text.includes(';')) throw new Error(`list item ${JSON.stringify(item)} of ${where} contains ";"`);
    return text;
  }).join(';');
}

function formatNumber(value: number, where: string): string {
  if (!Number.isFinite(value)) throw new Error(`${where} must be a finite number, received ${value}`);
  return String(value);
}

function escapeText(value: string, where: string): string {
  if (/[\r\n\0]/.test(value)) {
    throw new Error(`${where} must not contain line breaks, received ${JSON.stringify(value)}`);
  }
  return value.replace(/\\/g, '\\\\').replace(/^ /, '\\s');
}
