// SPDX-License-Identifier: Apache-2.0
// The sensor id written into every Redis message when `sensor.id` is empty. Like the seed, an RTSP camera
// is named by the last segment of its URL path; a VST stream by its name (see ts/vst/discover.ts).
import path from 'node:path';
import type { InputSource } from './input-uri';

/**
 * A sensor id derived from a non-VST input: the RTSP URL's last path segment (else its host), the file's
 * base name without extension, or `test` / `test-<pattern>`.
 * @returns '' for a VST input, whose id comes from discovery.
 */
export function deriveSensorId(source: InputSource): string {
  switch (source.kind) {
    case 'rtsp': {
      const url = new URL(source.url);
      const segments = url.pathname.split('/').filter((s) => s !== '');
      return segments.length > 0 ? decodeURIComponentSafe(segments[segments.length - 1]) : url.hostname;
    }
    case 'file':
      return path.basename(source.path, path.extname(source.path));
    case 'test':
      return source.pattern === '' ? 'test' : `test-${source.pattern}`;
    case 'vst':
      return '';
  }
}

function decodeURIComponentSafe(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
