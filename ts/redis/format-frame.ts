// SPDX-License-Identifier: Apache-2.0
// Human-readable text of one Minimal Schema payload, as the Redis viewer prints it.
import type { MinimalSchemaMessage, MinimalSchemaObject } from './minimal-schema';

/**
 * Formats a parsed payload as a header line plus one indented line per object, e.g.
 * ```
 * frame 42  2026-11-24T10:00:00.123Z  sensor cam1  2 objects
 *   #7 a person  [120.5, 33, 410.2, 700.9]
 *   #8 a hat  [500, 20.1, 560.3, 90.4]  conf 0.8
 * ```
 * DeepStream's attribute fields, when any is non-empty, follow in parentheses. A re-decode of a frame (new prompts
 * applied to it) says so after the frame id: `frame 42 (re-decoded)`.
 */
export function formatFrame(message: MinimalSchemaMessage): string {
  const count = message.objects.length;
  const header = `frame ${message.id}${message.redecode ? ' (re-decoded)' : ''}  ${message.timestamp}  sensor ${message.sensorId}  ${count} object${count === 1 ? '' : 's'}`;
  return [header, ...message.objects.map(formatObject)].join('\n');
}

function formatObject(object: MinimalSchemaObject): string {
  const { id, label, left, top, right, bottom, confidence } = object;
  const attributes = object.attributes.filter((a) => a !== '');
  return `  #${id} ${label}  [${left}, ${top}, ${right}, ${bottom}]` +
    (confidence === undefined ? '' : `  conf ${confidence}`) +
    (attributes.length === 0 ? '' : `  (${attributes.join(', ')})`);
}
