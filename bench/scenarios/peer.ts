// SPDX-License-Identifier: Apache-2.0
// `peer`: transformers.js's zero-shot-object-detection pipeline against owl-stream's per-frame path
// (preprocess + image encoder + decode, text embeddings cached) on the same weights, image, prompts, threshold
// and threads, with a bare image-encoder loop as the yardstick; and whether both find the same detections.
import { OwlDetector, type Detection } from '../../ts/model/detector';
import { BareEncoder, timeInterleaved } from '../harness/bare-encoder';
import type { BenchContext, Scenario } from '../harness/context';
import { assembleBasePeer, assembleTinyPeer, loadPeer, type PeerDetection } from '../harness/peer-model';
import type { Recorder } from '../harness/report';

const PROMPTS = ['a person', 'a hat', 'a bike'];
const THRESHOLD = 0.1;
/** Scores may differ by float rounding (two graphs); transformers.js truncates boxes to whole pixels. */
const SCORE_TOLERANCE = 1e-3;
const BOX_TOLERANCE_PX = 1;

const SPECS = {
  peer_ratio: { unit: '×', ratio: true, goal: { op: '>=', target: 1.15 },
    description: 'our frames per second / transformers.js pipeline frames per second' },
  peer_cost_vs_bare: { unit: '×', ratio: true, description: 'transformers.js time per frame / bare image-encoder loop time per frame' },
  ours_cost_vs_bare: { unit: '×', ratio: true, description: 'our time per frame / bare image-encoder loop time per frame' },
  same_detections: { unit: '1 = yes', digits: 0, goal: { op: '>=', target: 1 },
    description: `the same detections (label, score within ${SCORE_TOLERANCE}, box within ${BOX_TOLERANCE_PX} px)` },
  ours_fps: { unit: 'frames/s', description: 'owl-stream: preprocess + image encoder + decode (prompts set once)' },
  peer_fps: { unit: 'frames/s', description: 'transformers.js pipeline(image, labels): tokenize, text + image model, post-process' },
  bare_fps: { unit: 'frames/s', description: 'bare onnxruntime-node image-encoder loop' },
  detections: { unit: 'objects', digits: 0, description: 'our detections on the test image' },
  peer_detections: { unit: 'objects', digits: 0, description: 'transformers.js detections, one per box (it lists every label above the threshold)' },
  max_score_diff: { unit: '', digits: 6, description: 'largest score difference between matched detections' },
  max_box_diff_px: { unit: 'px', digits: 2, description: 'largest box-coordinate difference between matched detections' },
} as const;

/** A square test image of side `size`: a colour gradient with a few blocks and a disc. */
function testImage(size: number): Uint8Array {
  const rgb = new Uint8Array(size * size * 3);
  const s = size / 96;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      let c = [Math.round((x / size) * 190), 100 + Math.round((y / size) * 95), 180 - Math.round((x / size) * 180)];
      if (x >= 8 * s && x < 40 * s && y >= 20 * s && y < 80 * s) c = [220, 30, 30];
      if ((x - 68 * s) ** 2 + (y - 40 * s) ** 2 <= (16 * s) ** 2) c = [30, 60, 220];
      if (y >= 86 * s && y < 90 * s && x >= 50 * s && x < 90 * s) c = [255, 255, 255];
      rgb.set(c, i);
    }
  }
  return rgb;
}

/**
 * Compares our detections with the pipeline's. The pipeline lists every label above the threshold for a box;
 * NanoOWL's decode (ours) keeps the best label of each patch, so theirs are reduced to the best per box first.
 */
function compare(ours: Detection[], theirs: PeerDetection[]): { same: boolean; peerCount: number; scoreDiff: number; boxDiff: number } {
  const best = new Map<string, PeerDetection>();
  for (const d of theirs) {
    const key = `${d.box.xmin},${d.box.ymin},${d.box.xmax},${d.box.ymax}`;
    if ((best.get(key)?.score ?? -1) < d.score) best.set(key, d);
  }
  const pool = [...best.values()];
  let scoreDiff = 0, boxDiff = 0, matched = 0;
  for (const d of ours) {
    const box = (p: PeerDetection) => Math.max(Math.abs(p.box.xmin - d.box[0]), Math.abs(p.box.ymin - d.box[1]),
      Math.abs(p.box.xmax - d.box[2]), Math.abs(p.box.ymax - d.box[3]));
    const i = pool.findIndex((p) => p.label === d.label && Math.abs(p.score - d.score) <= SCORE_TOLERANCE && box(p) <= BOX_TOLERANCE_PX);
    if (i < 0) continue;
    scoreDiff = Math.max(scoreDiff, Math.abs(pool[i].score - d.score));
    boxDiff = Math.max(boxDiff, box(pool[i]));
    pool.splice(i, 1);
    matched++;
  }
  return { same: matched === ours.length && pool.length === 0, peerCount: best.size, scoreDiff, boxDiff };
}

export const peerScenario: Scenario = {
  name: 'peer',
  title: 'Against transformers.js: its zero-shot-object-detection pipeline vs our per-frame path',
  specs: SPECS,
  async run(ctx: BenchContext, rec: Recorder): Promise<void> {
    const { seconds, runs, threads, smoke } = ctx.options;
    const ours = await OwlDetector.load(ctx.model, { threads, maxDetections: 100_000 });
    const bare = await BareEncoder.load(ctx.model, threads);
    try {
      const size = ours.inputSize;
      const rgb = testImage(size);
      await ours.setPrompts(PROMPTS, [THRESHOLD]);
      const ourFrame = () => ours.detect(ours.preprocess(rgb, size, size), size, size);

      const folder = smoke ? assembleTinyPeer() : assembleBasePeer();
      let peer: Awaited<ReturnType<typeof loadPeer>> | null = null;
      try {
        peer = await loadPeer(folder, threads);
      } catch (err) {
        rec.notes.push(`transformers.js could not load ${folder} offline: ${(err as Error).message.split('\n')[0]}`);
      }
      Object.assign(rec.settings, { model: ctx.model, peerModel: folder, peer: `@huggingface/transformers ${peer?.version ?? '(not loaded)'}`,
        threads, runs, windowS: seconds, image: `${size}x${size} synthetic`, prompts: PROMPTS, threshold: THRESHOLD,
        order: 'interleaved frame by frame: bare, ours, transformers.js' });
      rec.notes.push('The image is square at the model\'s input size, so our pad-square and transformers.js\'s '
        + 'resize give the same pixels; transformers.js re-encodes the labels on every call (it has no cache), '
        + 'we encode them once. Weights: the same bytes (the peer\'s graph reads the benchmark model\'s weight files).');

      const mine = await ourFrame();
      rec.add('detections', mine.detections.length);
      let peerDetect: (() => Promise<PeerDetection[]>) | null = null;
      if (peer !== null) {
        const image = peer.image(rgb, size, size);
        const { detect } = peer;
        peerDetect = () => detect(image, PROMPTS, { threshold: THRESHOLD });
        const c = compare(mine.detections, await peerDetect());
        rec.add('same_detections', c.same ? 1 : 0);
        rec.add('peer_detections', c.peerCount);
        rec.add('max_score_diff', c.scoreDiff);
        rec.add('max_box_diff_px', c.boxDiff);
      }

      for (let run = 0; run < runs; run++) {
        const [b, o, p] = await timeInterleaved([() => bare.run(), ourFrame, ...(peerDetect === null ? [] : [peerDetect])], seconds);
        rec.add('bare_fps', b);
        rec.add('ours_fps', o);
        rec.add('ours_cost_vs_bare', b / o);
        if (p !== undefined) {
          rec.add('peer_fps', p);
          rec.add('peer_ratio', o / p);
          rec.add('peer_cost_vs_bare', b / p);
        }
        ctx.log(`peer run ${run + 1}/${runs}: bare ${b.toFixed(2)} fps, ours ${o.toFixed(2)}, transformers.js `
          + `${p?.toFixed(2) ?? '—'} (${p === undefined ? '—' : (o / p).toFixed(2)}×)`);
      }
      await peer?.detect.dispose();
    } finally {
      await bare.release();
      await ours.close();
    }
  },
};
