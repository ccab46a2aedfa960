// SPDX-License-Identifier: Apache-2.0
// `encoder`: the image encoder in a bare onnxruntime-node loop against the same model inside the running
// service fed by the 720p30 test camera, headless and with its RTSP output, measured alternately.
import { setTimeout as sleep } from 'node:timers/promises';
import { RtspWatcher } from '../../test/helpers/rtsp-reader';
import { measureBareWhileStreaming } from '../harness/bare-encoder';
import type { BenchContext, Scenario } from '../harness/context';
import { findProcess } from '../harness/proc';
import type { Recorder } from '../harness/report';
import { ServiceProcess } from '../harness/service';
import { TEST_CAMERA_BINARY } from '../../test/helpers/test-camera';

const SPECS = {
  headless_ratio: { unit: '×', ratio: true, goal: { op: '>=', target: 0.95 },
    description: 'service frames inferred per second (headless) / bare loop frames per second' },
  video_ratio: { unit: '×', ratio: true, goal: { op: '>=', target: 0.75 },
    description: 'service frames inferred per second with RTSP output / bare loop frames per second' },
  output_fps: { unit: 'frames/s', goal: { op: '>=', target: 29 }, digits: 1,
    description: 'frames an RTSP client of the output receives per second (the source sends 30)' },
  video_branch_cores: { unit: 'cores', goal: { op: '<=', target: 0.5 },
    description: 'CPU of the service\'s GStreamer threads with output minus without (scale, overlay, encode, RTSP)' },
  bare_fps: { unit: 'frames/s', description: 'bare onnxruntime-node loop (camera streaming to a reader meanwhile)' },
  headless_fps: { unit: 'frames/s', description: 'service, no video output: frames inferred per second' },
  video_fps: { unit: 'frames/s', description: 'service with RTSP output: frames inferred per second' },
  bare_ms: { unit: 'ms', digits: 0, description: 'bare loop: time per frame' },
  headless_infer_ms: { unit: 'ms', digits: 0, description: 'service headless: detect() time per frame (encoder + decode + hand-over)' },
  video_infer_ms: { unit: 'ms', digits: 0, description: 'service with output: detect() time per frame' },
  input_fps: { unit: 'frames/s', digits: 1, description: 'frames the service receives from the camera per second (with output)' },
  service_cores_headless: { unit: 'cores', description: 'CPU of the service process, headless' },
  service_cores_video: { unit: 'cores', description: 'CPU of the service process with output' },
  gst_cores_headless: { unit: 'cores', description: 'CPU of its GStreamer threads headless (receive, decode, scale for the model)' },
  camera_cores: { unit: 'cores', description: 'CPU of the test camera (encoding 720p30) while streaming: not part of the service' },
} as const;

export const encoderScenario: Scenario = {
  name: 'encoder',
  title: 'Image encoder: bare onnxruntime-node vs the running service',
  specs: SPECS,
  async run(ctx: BenchContext, rec: Recorder): Promise<void> {
    const { seconds, runs, threads, smoke } = ctx.options;
    const [width, height] = ctx.cameraSize;
    const camera = await ctx.camera(width, height);
    const redis = await ctx.redis();
    const cameraPid = findProcess([TEST_CAMERA_BINARY, String(camera.port)]);
    Object.assign(rec.settings, { model: ctx.model, threads, camera: `${width}x${height}@30 H.264 over RTSP`, runs,
      windowS: seconds, order: 'per run: bare, headless, with output' });
    rec.notes.push('The bare loop runs while an RTSP client reads the camera, so the camera\'s own encoder (a '
      + 'separate device in a real deployment, a process here) loads the machine the same way in all three.',
    'video_branch_cores splits the service\'s CPU by thread: ONNX Runtime, the worker and JavaScript run on '
      + 'threads named "node", GStreamer on threads named after its elements; the `pipeline` scenario measures '
      + 'the video branch alone.');
    const settle = smoke ? 0.2 : 2;

    for (let run = 0; run < runs; run++) {
      const bare = await measureBareWhileStreaming(ctx.model, threads, seconds, camera.url, cameraPid);
      const base = { input: camera.url, model: ctx.model, threads,
        redis: { host: redis.host, port: redis.port, stream: 'bench-encoder' } };

      const headless = await ServiceProcess.start({ ...base, output: false });
      const h = await sleep(settle * 1000).then(() => headless.measure(seconds)).finally(() => headless.stop());

      const withVideo = await ServiceProcess.start({ ...base, output: true });
      const watcher = new RtspWatcher(withVideo.outputUrl!);
      let v;
      try {
        await watcher.ready;
        await sleep(settle * 1000);
        v = await withVideo.measure(seconds, watcher);
      } finally {
        await watcher.stop();
        await withVideo.stop();
      }

      rec.add('bare_fps', bare.fps);
      rec.add('bare_ms', bare.msPerFrame);
      rec.add('headless_fps', h.inferFps);
      rec.add('video_fps', v.inferFps);
      rec.add('headless_ratio', h.inferFps / bare.fps);
      rec.add('video_ratio', v.inferFps / bare.fps);
      rec.add('output_fps', v.outputFps);
      rec.add('input_fps', v.inputFps);
      if (Number.isFinite(h.inferMs)) rec.add('headless_infer_ms', h.inferMs);
      if (Number.isFinite(v.inferMs)) rec.add('video_infer_ms', v.inferMs);
      rec.add('video_branch_cores', v.gstCores - h.gstCores);
      rec.add('gst_cores_headless', h.gstCores);
      rec.add('service_cores_headless', h.cores);
      rec.add('service_cores_video', v.cores);
      if (Number.isFinite(bare.cameraCores)) rec.add('camera_cores', bare.cameraCores);
      ctx.log(`encoder run ${run + 1}/${runs}: bare ${bare.fps.toFixed(2)} fps, headless ${h.inferFps.toFixed(2)} `
        + `(${(h.inferFps / bare.fps).toFixed(2)}×), video ${v.inferFps.toFixed(2)} (${(v.inferFps / bare.fps).toFixed(2)}×), `
        + `output ${v.outputFps.toFixed(1)} fps, video branch ${(v.gstCores - h.gstCores).toFixed(2)} cores`);
    }
  },
};
