// SPDX-License-Identifier: Apache-2.0
// Real JPEG frames for tests that need a video picture without a pipeline: ffmpeg's test pattern (its
// moving gradient and frame counter make every frame different).
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Encodes `count` frames of ffmpeg's `testsrc` as separate JPEGs.
 * @throws {Error} when ffmpeg is missing or fails (it comes with deploy/setup.sh).
 */
export async function testJpegs(count: number, width = 320, height = 240): Promise<Buffer[]> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'owl-jpegs-'));
  try {
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=5`,
      '-frames:v', String(count), '-c:v', 'mjpeg', '-q:v', '5', path.join(dir, 'frame-%03d.jpg')]);
    const names = (await fs.readdir(dir)).sort();
    return await Promise.all(names.map((name) => fs.readFile(path.join(dir, name))));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
