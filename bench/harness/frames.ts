// SPDX-License-Identifier: Apache-2.0
// Frames for the measurements that compare outputs (int8 against fp32, ours against transformers.js): varied
// pictures from ffmpeg's generated sources, since no photograph can be downloaded here, and the inference
// branch's own scaler (GStreamer's videoscale) to bring a frame to the model's size.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { decodeJpeg, pipeThrough } from '../../test/helpers/decode-jpeg';

const run = promisify(execFile);

/** A packed RGB24 picture and what it shows. */
export interface BenchFrame {
  name: string;
  width: number;
  height: number;
  rgb: Buffer;
}

// ffmpeg lavfi sources (ffmpeg comes with deploy/setup.sh): test patterns, a fractal and noise, so that the
// pixels are neither flat nor periodic; several aspect ratios, so that the padding differs.
const SOURCES: readonly { name: string; width: number; height: number; graph: string }[] = [
  { name: 'testsrc2', width: 1280, height: 720, graph: 'testsrc2=size=1280x720' },
  { name: 'smpte-bars', width: 1280, height: 720, graph: 'smptehdbars=size=1280x720' },
  { name: 'mandelbrot', width: 1280, height: 720, graph: 'mandelbrot=size=1280x720:maxiter=400' },
  { name: 'gradients-noise', width: 1280, height: 720,
    graph: 'gradients=size=1280x720:nb_colors=6:seed=3,noise=alls=24:allf=u' },
  { name: 'life', width: 960, height: 960, graph: 'life=size=960x960:mold=10:ratio=0.2:seed=5,negate' },
  { name: 'portrait-testsrc', width: 720, height: 1280, graph: 'testsrc=size=720x1280' },
  { name: 'cellauto', width: 1024, height: 576, graph: 'cellauto=size=1024x576:rule=110:seed=7' },
];

/**
 * A camera-like 1280x720 frame: a moving test pattern over fractal texture, with sensor-like noise, through a
 * JPEG round trip as an IP camera's compression would leave it. Synthetic (nothing photographic exists
 * offline), but with the statistics of a busy scene rather than flat colour.
 */
export async function cameraFrame(width = 1280, height = 720): Promise<BenchFrame> {
  const size = `${width}x${height}`;
  const jpeg = await generate(`mandelbrot=size=${size}:maxiter=300[a];testsrc2=size=${size}[b];`
    + '[a][b]blend=all_mode=overlay:all_opacity=0.6,noise=alls=10:allf=t', ['-c:v', 'mjpeg', '-q:v', '4', '-f', 'mjpeg']);
  const decoded = await decodeJpeg(jpeg);
  return { name: 'camera', ...decoded };
}

/** The varied set, at their own sizes. */
export async function benchFrames(): Promise<BenchFrame[]> {
  return Promise.all(SOURCES.map(async ({ name, width, height, graph }) => {
    const rgb = await generate(graph, ['-f', 'rawvideo', '-pix_fmt', 'rgb24']);
    if (rgb.length !== width * height * 3) throw new Error(`ffmpeg gave ${rgb.length} bytes for ${name} (${width}x${height})`);
    return { name, width, height, rgb };
  }));
}

/**
 * Scales a frame so that its longer side is `side`, with GStreamer's videoscale and videoconvert, as the
 * pipeline's inference branch does before the native pre-processing.
 */
export async function scaleToFit(frame: BenchFrame, side: number): Promise<BenchFrame> {
  const factor = side / Math.max(frame.width, frame.height);
  const width = frame.width >= frame.height ? side : Math.max(1, Math.round(frame.width * factor));
  const height = frame.height >= frame.width ? side : Math.max(1, Math.round(frame.height * factor));
  const padded = await pipeThrough('gst-launch-1.0', ['-q', 'fdsrc', 'fd=0', '!',
    'rawvideoparse', `width=${frame.width}`, `height=${frame.height}`, 'format=rgb', `plane-strides=<${frame.width * 3}>`,
    'framerate=1/1', '!', 'videoscale', '!', 'videoconvert', '!', `video/x-raw,format=RGB,width=${width},height=${height}`,
    '!', 'fdsink', 'fd=1'], frame.rgb);
  // GStreamer's RGB rows are padded to a multiple of 4 bytes.
  const row = width * 3, stride = (row + 3) & ~3;
  if (padded.length !== stride * height) {
    throw new Error(`videoscale gave ${padded.length} bytes for ${frame.name} at ${width}x${height}`);
  }
  const rgb = Buffer.alloc(row * height);
  for (let y = 0; y < height; y++) padded.copy(rgb, y * row, y * stride, y * stride + row);
  return { name: frame.name, width, height, rgb };
}

/** The first frame of an ffmpeg lavfi graph, encoded as `output` says. */
async function generate(graph: string, output: string[]): Promise<Buffer> {
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', graph,
    '-frames:v', '1', ...output, 'pipe:1'], { encoding: 'buffer', maxBuffer: 64 << 20 });
  return stdout;
}
