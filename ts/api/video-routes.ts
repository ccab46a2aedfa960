// SPDX-License-Identifier: Apache-2.0
// The annotated video for browsers: GET /snapshot.jpg (the newest frame) and GET /video.mjpeg (the newest
// frames as multipart/x-mixed-replace, which an <img> plays). RTSP stays the real output; this is a preview
// at a bounded rate that never waits for a slow viewer.
import type Router from '@koa/router';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from './errors';
import type { ControlService } from './service';

/** Most frames per second sent to one MJPEG viewer. */
export const MJPEG_MAX_FPS = 10;

/**
 * How long GET /snapshot.jpg waits for a frame: the service encodes JPEGs only while someone asks, so the
 * first request after a pause may find none for about one frame.
 */
export const SNAPSHOT_WAIT_MS = 1000;

const BOUNDARY = 'owl-stream-frame';

/** Adds /snapshot.jpg and /video.mjpeg. */
export function addVideoRoutes(router: Router, service: ControlService): void {
  router.get('/snapshot.jpg', async (ctx) => {
    const frame = await waitForSnapshot(service);
    if (frame === null) {
      throw new ApiError(503, 'no_frame', 'no annotated frame yet: the input has not delivered one; see GET /status');
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'image/jpeg';
    ctx.body = frame;
  });

  router.get('/video.mjpeg', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    // Set before the body, so that Koa keeps it rather than typing the stream as octet-stream.
    ctx.set('Content-Type', `multipart/x-mixed-replace; boundary=${BOUNDARY}`);
    ctx.status = 200;
    if (ctx.method === 'HEAD') return;
    ctx.body = mjpegStream(service);
  });
}

/** The service's newest frame, asking again every 50 ms for up to SNAPSHOT_WAIT_MS; null if none came. */
async function waitForSnapshot(service: ControlService): Promise<Buffer | null> {
  const deadline = performance.now() + SNAPSHOT_WAIT_MS;
  let frame = service.snapshot();
  while (frame === null && performance.now() < deadline) {
    await sleep(1000 / MJPEG_MAX_FPS / 2);
    frame = service.snapshot();
  }
  return frame;
}

/**
 * A never-ending multipart stream of the service's newest frames, polled at MJPEG_MAX_FPS. Each part ends
 * with the next delimiter, so a browser shows a frame as soon as it arrives rather than when the next one
 * starts. Koa destroys the stream when the client leaves, which stops the polling.
 */
function mjpegStream(service: ControlService): Readable {
  let last: Buffer | null = null;
  let opening = `--${BOUNDARY}\r\n`;
  const stream = new Readable({ read: () => undefined }); // Frames are pushed by the timer, not pulled.
  const sendNewest = () => {
    // A viewer still receiving the previous frame skips this one: memory stays bounded whatever its speed.
    if (stream.readableLength > 0) return;
    let frame: Buffer | null;
    try {
      frame = service.snapshot();
    } catch (err) {
      stream.destroy(err as Error);
      return;
    }
    if (frame === null || frame === last || (last !== null && frame.equals(last))) return;
    last = frame;
    stream.push(Buffer.concat([
      Buffer.from(`${opening}Content-Type: image/jpeg\r\nContent-Length: ${frame.length}\r\n\r\n`),
      frame,
      Buffer.from(`\r\n--${BOUNDARY}\r\n`),
    ]));
    opening = '';
  };
  const timer = setInterval(sendNewest, 1000 / MJPEG_MAX_FPS);
  stream.once('close', () => clearInterval(timer));
  sendNewest();
  return stream;
}
