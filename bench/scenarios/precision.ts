// SPDX-License-Identifier: Apache-2.0
// `precision`: the int8 image encoder (owl_export.py --int8) against the fp32 one: bare loops interleaved in
// one run on the same threads; the service running int8 against the bare int8 loop (as `encoder` does for
// fp32); and how close int8's outputs are: on the base-size model against its own fp32 outputs on varied
// frames, and on the tiny fixture against transformers' fp32 reference.
import { setTimeout as sleep } from 'node:timers/promises';
import { loadModelFolder } from '../../ts/model/model-folder';
import { TEST_CAMERA_BINARY } from '../../test/helpers/test-camera';
import { tinyInt8Fidelity } from '../../test/helpers/tiny-int8';
import { BareEncoder, measureBareWhileStreaming, timeInterleaved } from '../harness/bare-encoder';
import type { BenchContext, Scenario } from '../harness/context';
import { measureFidelity, openEncoder, FIDELITY_PROMPTS, MATCH_IOU } from '../harness/fidelity';
import { benchFrames, cameraFrame } from '../harness/frames';
import { findProcess } from '../harness/proc';
import type { Recorder } from '../harness/report';
import { ServiceProcess } from '../harness/service';

const SPECS = {
  int8_speedup: { unit: '×', ratio: true, goal: { op: '>=', target: 2.0 },
    description: 'bare int8 image-encoder loop frames/s / bare fp32 loop frames/s (interleaved, same threads)' },
  service_int8_ratio: { unit: '×', ratio: true, goal: { op: '>=', target: 0.95 },
    description: 'service running int8 (headless) frames inferred/s / bare int8 loop frames/s' },
  int8_fps: { unit: 'frames/s', description: 'bare int8 loop' },
  fp32_fps: { unit: 'frames/s', description: 'bare fp32 loop' },
  int8_ms: { unit: 'ms', digits: 0, description: 'bare int8 loop: time per frame' },
  fp32_ms: { unit: 'ms', digits: 0, description: 'bare fp32 loop: time per frame' },
  service_int8_fps: { unit: 'frames/s', description: 'service headless, model.precision int8, fed by the 720p30 camera' },
  bare_int8_streaming_fps: { unit: 'frames/s', description: 'bare int8 loop while a client reads the camera (the service ratio\'s base)' },
  embed_cosine_min: { unit: '', digits: 4, description: 'base model, int8 vs fp32: lowest per-patch class-embedding cosine over the frames' },
  embed_cosine_mean: { unit: '', digits: 5, description: 'base model, int8 vs fp32: mean per-patch class-embedding cosine' },
  logit_max_error: { unit: '', digits: 4, description: `base model, int8 vs fp32: largest logit difference (${FIDELITY_PROMPTS.length} prompts, every patch)` },
  logit_max_abs: { unit: '', digits: 3, description: 'base model, fp32: largest |logit| (the scale of the error above)' },
  box_max_error: { unit: 'of side', digits: 5, description: 'base model, int8 vs fp32: largest box-coordinate difference (1 = the model input side)' },
  box_max_error_px: { unit: 'px', digits: 2, description: 'the same in source-frame pixels' },
  detection_f1: { unit: '', digits: 3,
    description: `base model: F1 of int8's detections against fp32's (same label, IoU >= ${MATCH_IOU}; threshold = fp32's top tenth of patches)` },
  fp32_detections: { unit: 'objects', digits: 0, description: 'base model: fp32 detections over the frames at that threshold' },
  tiny_logit_max_error_hf: { unit: '', digits: 4, description: 'tiny fixture, int8 vs transformers (fp32 torch): largest logit difference' },
  tiny_fp32_logit_max_error_hf: { unit: '', digits: 6, description: 'tiny fixture, fp32 ONNX vs transformers: the same, for scale' },
  tiny_box_max_error_hf: { unit: 'of side', digits: 5, description: 'tiny fixture, int8 vs transformers: largest box-coordinate difference' },
  tiny_embed_cosine_min_hf: { unit: '', digits: 4, description: 'tiny fixture, int8 vs transformers: lowest per-patch class-embedding cosine' },
  tiny_detection_f1: { unit: '', digits: 3, description: `tiny fixture: F1 of int8's thresholded decode against the reference decode (IoU >= ${MATCH_IOU})` },
} as const;

export const precisionScenario: Scenario = {
  name: 'precision',
  title: 'int8 image encoder against fp32: speed, the service with int8, and fidelity',
  specs: SPECS,
  async run(ctx: BenchContext, rec: Recorder): Promise<void> {
    const { seconds, runs, threads, smoke } = ctx.options;
    const folder = await loadModelFolder(ctx.model);
    if (folder.paths.imageEncoderInt8 === undefined) throw new Error(`${folder.dir} has no int8 image encoder`);
    Object.assign(rec.settings, { model: ctx.model, threads, runs, windowS: seconds, int8: folder.config.int8,
      order: 'per run: fp32 and int8 bare loops interleaved frame by frame; then bare int8 while streaming and the '
        + 'service with int8, as the encoder scenario does' });
    rec.notes.push('The benchmark model has random weights (seeded normal at the checkpoint\'s scale, '
      + 'regenerate-base.js). Quantization error depends on the weights: trained OWL-ViT weights and activations have '
      + 'outliers that random ones lack, so these fidelity figures are a check of the scheme and the tooling, not a '
      + 'promise for a real checkpoint: export one with --int8 and read what it prints (deploy/export/README.md).',
    'Fidelity frames: ffmpeg-generated test patterns, a fractal, noise, cellular automata and a camera-like frame '
      + '(JPEG round trip), 7 sizes and aspect ratios, scaled by the pipeline\'s own videoscale.');

    const fp32 = await BareEncoder.load(ctx.model, threads, 'fp32');
    const int8 = await BareEncoder.load(ctx.model, threads, 'int8');
    try {
      for (let run = 0; run < runs; run++) {
        const [f, i] = await timeInterleaved([() => fp32.run(), () => int8.run()], seconds);
        rec.add('fp32_fps', f);
        rec.add('int8_fps', i);
        rec.add('fp32_ms', 1000 / f);
        rec.add('int8_ms', 1000 / i);
        rec.add('int8_speedup', i / f);
        ctx.log(`precision run ${run + 1}/${runs}: fp32 ${f.toFixed(2)} fps, int8 ${i.toFixed(2)} fps (${(i / f).toFixed(2)}×)`);
      }
    } finally {
      await fp32.release();
      await int8.release();
    }

    const [width, height] = ctx.cameraSize;
    const camera = await ctx.camera(width, height);
    const redis = await ctx.redis();
    const cameraPid = findProcess([TEST_CAMERA_BINARY, String(camera.port)]);
    for (let run = 0; run < runs; run++) {
      const bare = await measureBareWhileStreaming(ctx.model, threads, seconds, camera.url, cameraPid, 'int8');
      const service = await ServiceProcess.start({ input: camera.url, model: ctx.model, threads, precision: 'int8',
        output: false, redis: { host: redis.host, port: redis.port, stream: 'bench-precision' } });
      const h = await sleep(smoke ? 200 : 2000).then(() => service.measure(seconds)).finally(() => service.stop());
      rec.add('bare_int8_streaming_fps', bare.fps);
      rec.add('service_int8_fps', h.inferFps);
      rec.add('service_int8_ratio', h.inferFps / bare.fps);
      ctx.log(`precision service run ${run + 1}/${runs}: bare int8 ${bare.fps.toFixed(2)} fps, service int8 `
        + `${h.inferFps.toFixed(2)} (${(h.inferFps / bare.fps).toFixed(2)}×)`);
    }

    const frames = [...await benchFrames(), await cameraFrame()];
    const reference = await openEncoder(folder.paths.imageEncoder, threads);
    const candidate = await openEncoder(folder.paths.imageEncoderInt8, threads);
    try {
      const fid = await measureFidelity(folder, reference, candidate, frames, threads);
      rec.add('embed_cosine_min', fid.embedCosineMin);
      rec.add('embed_cosine_mean', fid.embedCosineMean);
      rec.add('logit_max_error', fid.logitMaxError);
      rec.add('logit_max_abs', fid.logitMaxAbs);
      rec.add('box_max_error', fid.boxMaxError);
      rec.add('box_max_error_px', fid.boxMaxErrorPx);
      rec.add('detection_f1', fid.detectionF1);
      rec.add('fp32_detections', fid.referenceDetections);
      rec.settings.fidelityFrames = frames.map((f) => `${f.name} ${f.width}x${f.height}`);
    } finally {
      await reference.release();
      await candidate.release();
    }
    const tiny = await tinyInt8Fidelity(threads);
    rec.add('tiny_logit_max_error_hf', tiny.logitMaxError);
    rec.add('tiny_fp32_logit_max_error_hf', tiny.fp32LogitMaxError);
    rec.add('tiny_box_max_error_hf', tiny.boxMaxError);
    rec.add('tiny_embed_cosine_min_hf', tiny.embedCosineMin);
    rec.add('tiny_detection_f1', tiny.detectionF1);
  },
};
