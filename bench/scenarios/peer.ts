// SPDX-License-Identifier: Apache-2.0
// `peer`: transformers.js's zero-shot-object-detection pipeline, in fp32 and with its own `q8` quantization
// (made from the same weights by owl_export.py --transformersjs --int8), against owl-stream's per-frame path
// (pre-processing + image encoder + decode, text embeddings cached) in int8 and fp32: same prompts, threshold and
// threads, interleaved frame by frame. Two inputs: a square image at the model's size, and a camera-like
// 1280x720 frame that each side brings to the model its own way (theirs: resized in JavaScript to 768x768;
// ours: scaled by the pipeline's videoscale, then padded square by the native pre-processing). Fidelity: each
// side's quantized detections against its own fp32 ones.
import { OwlDetector, type Detection } from '../../ts/model/detector';
import { timeInterleaved } from '../harness/bare-encoder';
import type { BenchContext, Scenario } from '../harness/context';
import { matchDetections, MATCH_IOU, type DecodedDetections } from '../harness/fidelity';
import { cameraFrame, scaleToFit, type BenchFrame } from '../harness/frames';
import { assembleBasePeer, assembleTinyPeer, loadPeer, type PeerDetection, type PeerDtype } from '../harness/peer-model';
import type { MetricSpec, Recorder } from '../harness/report';

const PROMPTS = ['a person', 'a hat', 'a bike'];
/** The threshold keeps our fp32 top tenth of patches (random weights put every score near 0.5). */
const KEPT_SHARE = 0.1;
/** fp32 against fp32 on the square image: the same pixels go in, so the same detections must come out. */
const SCORE_TOLERANCE = 1e-3;
const BOX_TOLERANCE_PX = 1;
/** Camera frame: the two sides see different pixels (pad vs stretch), so detections are compared loosely. */
const LOOSE_IOU = 0.5;

interface Case {
  key: '' | '_720p';
  title: string;
}
const CASES: readonly Case[] = [{ key: '', title: 'square image at the model\'s input size' },
  { key: '_720p', title: '1280x720 camera frame' }];

function caseSpecs({ key, title }: Case): Record<string, MetricSpec> {
  return {
    [`q8_ratio${key}`]: { unit: '×', ratio: true, goal: { op: '>=', target: 1.15 },
      description: `${title}: our int8 frames/s / transformers.js q8 frames/s` },
    [`fp32_ratio${key}`]: { unit: '×', ratio: true, goal: { op: '>=', target: 2 },
      description: `${title}: our int8 frames/s / transformers.js fp32 frames/s` },
    [`fp32_vs_fp32_ratio${key}`]: { unit: '×', ratio: true,
      description: `${title}: our fp32 frames/s / transformers.js fp32 frames/s` },
    [`fidelity_not_worse${key}`]: { unit: '1 = yes', digits: 0, goal: { op: '>=', target: 1 },
      description: `${title}: our int8's detection F1 against our fp32 >= transformers.js q8's against its fp32` },
    [`ours_int8_f1${key}`]: { unit: '', digits: 3,
      description: `${title}: our int8 detections against our fp32 ones (same label, IoU >= ${MATCH_IOU})` },
    [`peer_q8_f1${key}`]: { unit: '', digits: 3,
      description: `${title}: transformers.js q8 detections against its fp32 ones (best label per box, IoU >= ${MATCH_IOU})` },
    [`ours_int8_score_error${key}`]: { unit: '', digits: 4, description: `${title}: largest score change int8 vs fp32 (matched detections), ours` },
    [`peer_q8_score_error${key}`]: { unit: '', digits: 4, description: `${title}: the same, transformers.js q8 vs fp32` },
    [`ours_int8_fps${key}`]: { unit: 'frames/s', description: `${title}: owl-stream int8 (pre-processing + encoder + decode)` },
    [`ours_fp32_fps${key}`]: { unit: 'frames/s', description: `${title}: owl-stream fp32` },
    [`peer_q8_fps${key}`]: { unit: 'frames/s', description: `${title}: transformers.js pipeline, dtype q8` },
    [`peer_fp32_fps${key}`]: { unit: 'frames/s', description: `${title}: transformers.js pipeline, dtype fp32` },
    [`detections${key}`]: { unit: 'objects', digits: 0, description: `${title}: our fp32 detections at the threshold` },
    [`threshold${key}`]: { unit: '', digits: 4, description: `${title}: the score threshold (our fp32 top ${KEPT_SHARE * 100} % of patches)` },
  };
}

const SPECS: Record<string, MetricSpec> = {
  ...Object.assign({}, ...CASES.map(caseSpecs)),
  same_detections: { unit: '1 = yes', digits: 0, goal: { op: '>=', target: 1 },
    description: `square image, fp32 both: the same detections (label, score within ${SCORE_TOLERANCE}, box within ${BOX_TOLERANCE_PX} px)` },
  max_score_diff: { unit: '', digits: 6, description: 'square image, fp32 both: largest score difference between matched detections' },
  max_box_diff_px: { unit: 'px', digits: 2, description: 'square image, fp32 both: largest box-coordinate difference' },
  agreement_720p: { unit: '', digits: 3,
    description: `camera frame, fp32 both: F1 of their detections against ours (same label, IoU >= ${LOOSE_IOU}): different pre-processing` },
  peer_detections_720p: { unit: 'objects', digits: 0,
    description: 'camera frame: transformers.js fp32 detections at the same threshold (best label per box)' },
};

/** A square test image of side `size`: a colour gradient with a few blocks and a disc. */
function testImage(size: number): BenchFrame {
  const rgb = Buffer.alloc(size * size * 3);
  const s = size / 96;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let c = [Math.round((x / size) * 190), 100 + Math.round((y / size) * 95), 180 - Math.round((x / size) * 180)];
      if (x >= 8 * s && x < 40 * s && y >= 20 * s && y < 80 * s) c = [220, 30, 30];
      if ((x - 68 * s) ** 2 + (y - 40 * s) ** 2 <= (16 * s) ** 2) c = [30, 60, 220];
      if (y >= 86 * s && y < 90 * s && x >= 50 * s && x < 90 * s) c = [255, 255, 255];
      rgb.set(c, (y * size + x) * 3);
    }
  }
  return { name: 'square', width: size, height: size, rgb };
}

/** The pipeline lists every label above the threshold for a box; NanoOWL's decode (ours) keeps the best one. */
function bestPerBox(theirs: PeerDetection[]): PeerDetection[] {
  const best = new Map<string, PeerDetection>();
  for (const d of theirs) {
    const key = `${d.box.xmin},${d.box.ymin},${d.box.xmax},${d.box.ymax}`;
    if ((best.get(key)?.score ?? -1) < d.score) best.set(key, d);
  }
  return [...best.values()].sort((a, b) => b.score - a.score);
}

/** Detections as labels, boxes and scores, whichever side made them. */
function decoded(dets: readonly (Detection | PeerDetection)[]): DecodedDetections & { scores: number[] } {
  const box = (d: Detection | PeerDetection) => ('labelIndex' in d ? d.box : [d.box.xmin, d.box.ymin, d.box.xmax, d.box.ymax]);
  return { labels: dets.map((d) => PROMPTS.indexOf(d.label)), boxes: Float32Array.from(dets.flatMap(box)),
    scores: dets.map((d) => d.score) };
}

/** F1 of `candidate` against `reference`, and the largest score change of the matched pairs. */
function agreement(reference: readonly (Detection | PeerDetection)[], candidate: readonly (Detection | PeerDetection)[],
  minIou = MATCH_IOU): { f1: number; scoreError: number } {
  const a = decoded(reference), b = decoded(candidate);
  const pairs = matchDetections(a, b, minIou);
  const count = a.labels.length + b.labels.length;
  return { f1: count === 0 ? 1 : (2 * pairs.length) / count,
    scoreError: pairs.reduce((worst, [i, j]) => Math.max(worst, Math.abs(a.scores[i] - b.scores[j])), 0) };
}

/** fp32 against fp32 on identical pixels: every detection matched within float rounding and whole-pixel boxes. */
function sameDetections(ours: Detection[], theirs: PeerDetection[]): { same: boolean; scoreDiff: number; boxDiff: number } {
  const pool = bestPerBox(theirs);
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
  return { same: matched === ours.length && pool.length === 0, scoreDiff, boxDiff };
}

type Peer = Awaited<ReturnType<typeof loadPeer>>;

export const peerScenario: Scenario = {
  name: 'peer',
  title: 'Against transformers.js: its pipeline in fp32 and q8 vs our per-frame path in int8 and fp32',
  specs: SPECS,
  async run(ctx: BenchContext, rec: Recorder): Promise<void> {
    const { seconds, runs, threads, smoke } = ctx.options;
    const folder = smoke ? assembleTinyPeer() : assembleBasePeer();
    const ours = { int8: await OwlDetector.load(ctx.model, { threads, precision: 'int8', maxDetections: 100_000 }),
      fp32: await OwlDetector.load(ctx.model, { threads, precision: 'fp32', maxDetections: 100_000 }) };
    const peers: Partial<Record<PeerDtype, Peer>> = {};
    try {
      for (const dtype of ['fp32', 'q8'] as const) {
        try {
          peers[dtype] = await loadPeer(folder, threads, dtype);
        } catch (err) {
          rec.notes.push(`transformers.js could not load ${folder} (${dtype}) offline: ${(err as Error).message.split('\n')[0]}`);
        }
      }
      const size = ours.fp32.inputSize;
      const inputs = { '': testImage(size), _720p: await cameraFrame() };
      Object.assign(rec.settings, { model: ctx.model, peerModel: folder, peer: `@huggingface/transformers ${peers.fp32?.version ?? '(not loaded)'}`,
        threads, runs, windowS: seconds, prompts: PROMPTS, inputs: Object.values(inputs).map((f) => `${f.name} ${f.width}x${f.height}`),
        order: 'interleaved frame by frame: ours int8, ours fp32, transformers.js q8, transformers.js fp32' });
      rec.notes.push('Both sides run the same weights (the peer\'s graphs read the benchmark model\'s weight files); its q8 '
        + 'model is transformers.js\'s own recipe (scripts/quantize.py, mode q8: dynamic, per-tensor uint8 weights since the '
        + 'model has a Conv, the text model too), ours is owl_int8.py\'s (per-channel int8 MatMul weights, heads and '
        + 'patch embedding in float). transformers.js re-encodes the labels on every call; we encode them once.',
      'Camera frame: transformers.js resizes 1280x720 to 768x768 in JavaScript (stretching it, as OwlViTImageProcessor '
        + 'does); ours is scaled to 768x432 by GStreamer\'s videoscale (the pipeline\'s inference branch, done once here: in '
        + 'the service it runs on GStreamer\'s threads, 0.03 core at 720p30 in `encoder`) and padded square by the native '
        + 'pre-processing inside the timed loop. So their detections are compared with ours loosely; with random weights '
        + 'a patch\'s score depends on exactly the pixels it covers, so stretched and padded inputs are not expected to agree '
        + '(a trained model puts both sides\' boxes on the same objects).');

      for (const c of CASES) {
        const frame = inputs[c.key];
        const scaled = await scaleToFit(frame, size);
        const threshold = await keepShareThreshold(ours.fp32, scaled, frame);
        for (const detector of Object.values(ours)) await detector.setPrompts(PROMPTS, [threshold]);
        const ourFrame = (d: OwlDetector) => () => d.detect(d.preprocess(scaled.rgb, scaled.width, scaled.height),
          frame.width, frame.height);
        const theirFrame = (peer: Peer) => {
          const image = peer.image(frame.rgb, frame.width, frame.height);
          return () => peer.detect(image, PROMPTS, { threshold });
        };
        const [mine8, mine32] = [(await ourFrame(ours.int8)()).detections, (await ourFrame(ours.fp32)()).detections];
        rec.add(`threshold${c.key}`, threshold);
        rec.add(`detections${c.key}`, mine32.length);
        const ourFidelity = agreement(mine32, mine8);
        rec.add(`ours_int8_f1${c.key}`, ourFidelity.f1);
        rec.add(`ours_int8_score_error${c.key}`, ourFidelity.scoreError);
        const theirs = peers.fp32 === undefined ? null : bestPerBox(await theirFrame(peers.fp32)());
        if (peers.q8 !== undefined && theirs !== null) {
          const theirFidelity = agreement(theirs, bestPerBox(await theirFrame(peers.q8)()));
          rec.add(`peer_q8_f1${c.key}`, theirFidelity.f1);
          rec.add(`peer_q8_score_error${c.key}`, theirFidelity.scoreError);
          rec.add(`fidelity_not_worse${c.key}`, ourFidelity.f1 >= theirFidelity.f1 ? 1 : 0);
        }
        if (theirs !== null && c.key === '') {
          const same = sameDetections(mine32, theirs);
          rec.add('same_detections', same.same ? 1 : 0);
          rec.add('max_score_diff', same.scoreDiff);
          rec.add('max_box_diff_px', same.boxDiff);
        }
        if (theirs !== null && c.key === '_720p') {
          rec.add('agreement_720p', agreement(mine32, theirs, LOOSE_IOU).f1);
          rec.add('peer_detections_720p', theirs.length);
        }

        const loops: (() => Promise<unknown>)[] = [ourFrame(ours.int8), ourFrame(ours.fp32)];
        if (peers.q8 !== undefined) loops.push(theirFrame(peers.q8));
        if (peers.fp32 !== undefined) loops.push(theirFrame(peers.fp32));
        for (let run = 0; run < runs; run++) {
          const [o8, o32, ...p] = await timeInterleaved(loops, seconds);
          const [q8, fp32] = [peers.q8 === undefined ? undefined : p.shift(), p.shift()];
          rec.add(`ours_int8_fps${c.key}`, o8);
          rec.add(`ours_fp32_fps${c.key}`, o32);
          if (q8 !== undefined) {
            rec.add(`peer_q8_fps${c.key}`, q8);
            rec.add(`q8_ratio${c.key}`, o8 / q8);
          }
          if (fp32 !== undefined) {
            rec.add(`peer_fp32_fps${c.key}`, fp32);
            rec.add(`fp32_ratio${c.key}`, o8 / fp32);
            rec.add(`fp32_vs_fp32_ratio${c.key}`, o32 / fp32);
          }
          ctx.log(`peer ${c.title} run ${run + 1}/${runs}: ours int8 ${o8.toFixed(2)} fps, fp32 ${o32.toFixed(2)}; `
            + `transformers.js q8 ${q8?.toFixed(2) ?? '—'}, fp32 ${fp32?.toFixed(2) ?? '—'}`);
        }
      }
    } finally {
      for (const peer of Object.values(peers)) await peer.detect.dispose();
      await ours.int8.close();
      await ours.fp32.close();
    }
  },
};

/** The score our fp32 detector's top KEPT_SHARE of patches pass on this frame. */
async function keepShareThreshold(detector: OwlDetector, scaled: BenchFrame, frame: BenchFrame): Promise<number> {
  await detector.setPrompts(PROMPTS, [0]);
  const { detections } = await detector.detect(detector.preprocess(scaled.rgb, scaled.width, scaled.height),
    frame.width, frame.height);
  const scores = detections.map((d) => d.score).sort((a, b) => b - a);
  return scores[Math.max(0, Math.floor(scores.length * KEPT_SHARE) - 1)];
}
