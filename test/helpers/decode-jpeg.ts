// SPDX-License-Identifier: Apache-2.0
// Decoding a JPEG the way a browser would see it, with ffprobe (its size) and ffmpeg (its RGB pixels).
import { execFile, type ExecFileOptions } from 'node:child_process';

/** A decoded picture: RGB24 bytes, width*height*3. */
export interface DecodedJpeg {
  width: number;
  height: number;
  rgb: Buffer;
}

/** Whether the bytes start with the JPEG start-of-image marker and end with the end-of-image marker. */
export function hasJpegMarkers(bytes: Buffer): boolean {
  return bytes.length > 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes.at(-2) === 0xff && bytes.at(-1) === 0xd9;
}

/**
 * Decodes a complete JPEG.
 * @throws {Error} with ffmpeg's message when it is not one.
 */
export async function decodeJpeg(jpeg: Buffer): Promise<DecodedJpeg> {
  const probe = await pipeThrough('ffprobe', ['-v', 'error', '-f', 'jpeg_pipe', '-i', 'pipe:0', '-show_entries',
    'stream=codec_name,width,height', '-of', 'json'], jpeg);
  const stream = (JSON.parse(probe.toString()) as { streams: { codec_name: string; width: number; height: number }[] })
    .streams[0];
  if (stream?.codec_name !== 'mjpeg') throw new Error(`ffprobe sees no JPEG: ${probe.toString()}`);
  const rgb = await pipeThrough('ffmpeg', ['-v', 'error', '-f', 'jpeg_pipe', '-i', 'pipe:0', '-f', 'rawvideo',
    '-pix_fmt', 'rgb24', 'pipe:1'], jpeg);
  if (rgb.length !== stream.width * stream.height * 3) {
    throw new Error(`ffmpeg decoded ${rgb.length} bytes for a ${stream.width}x${stream.height} JPEG`);
  }
  return { width: stream.width, height: stream.height, rgb };
}

/** Runs `command` with `input` on its stdin and resolves with its stdout (10 s at most). */
export function pipeThrough(command: string, args: string[], input: Buffer): Promise<Buffer> {
  const options: ExecFileOptions & { encoding: 'buffer' } = { encoding: 'buffer', maxBuffer: 64 << 20, timeout: 10_000 };
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, options, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} failed: ${err.message} ${stderr.toString().trim()}`));
      else resolve(stdout);
    });
    child.stdin!.end(input);
  });
}
