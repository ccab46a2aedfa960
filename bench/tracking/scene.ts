// SPDX-License-Identifier: Apache-2.0
// Synthetic tracking scenes from a seeded generator: a 1280×720 camera at 30 fps watching people and cars
// that wander, turn, change speed, stop, cross one another and leave (each replaced by a newcomer at an
// edge), with perspective (nearer = larger and faster). A model sees some of the camera's frames, at a mean
// rate with jittered intervals, and its detector misses objects at a rate, misses or scores low the ones
// hidden behind nearer objects, adds box noise, and reports false positives (random ones and a few
// persistent "look-alike" spots). Everything follows from the seed.
import type { Box, IdBox } from './metrics';
import { Random } from './random';

/** What differs between scenes. */
export interface SceneSpec {
  /** Used in metric names, e.g. "1fps". */
  name: string;
  /** Mean model frames per second. */
  modelFps: number;
  /** Each interval between model frames is (1 ± jitter) / modelFps, uniform, rounded to camera frames. */
  jitter: number;
  /** Objects in the scene at any time. */
  objects: number;
  durationS: number;
}

/** What every scene shares: the camera and the detector's failings. */
export const SCENE_WORLD = {
  width: 1280,
  height: 720,
  cameraFps: 30,
  /** Share of visible objects the detector misses, independently per model frame. */
  missRate: 0.1,
  /** Share of detections whose score drops (a blurred or turned object): 0.35-0.7 times the usual. */
  weakRate: 0.1,
  /** Standard deviation of each box edge, as a fraction of the box's width or height. */
  boxNoise: 0.05,
  /** An object hidden more than this (share of its box behind nearer objects) is not detected. */
  hiddenLimit: 0.7,
  /** Random false positives per model frame (Poisson mean); scores 0.1-0.6. */
  falsePositivesPerFrame: 1,
  /** Fixed look-alike spots, each reported in 30% of model frames with scores 0.35-0.65. */
  clutterSpots: 3,
  /** Detections below this score are not reported (the decode's floor). */
  scoreFloor: 0.1,
  /** Rate of abrupt changes (turn, new speed, stop) per object per second. */
  eventsPerSecond: 0.12,
} as const;

/** One model frame: the truth (visible objects, clipped to the frame) and the detector's output. */
export interface SceneFrame {
  /** Camera timestamp in ms. */
  timeMs: number;
  truth: IdBox[];
  labels: Int32Array;
  scores: Float32Array;
  /** [N*4] x0, y0, x1, y1 */
  boxes: Float32Array;
  /** Per detection: the truth id of the object it comes from, or 0 for a false positive (for the oracle). */
  sources: Int32Array;
}

export interface Scene {
  spec: SceneSpec;
  seed: number;
  frames: SceneFrame[];
  /** Distinct objects seen. */
  truthTrajectories: number;
  /** Pairs of objects whose boxes overlapped (IoU >= 0.3) in some model frame. */
  crossings: number;
  /** Detections reported, of which false positives. */
  detections: number;
  falsePositives: number;
}

const PERSON = 0;
const CAR = 1;

interface Mover {
  id: number;
  label: number;
  x: number;
  y: number;
  /** Size at perspective scale 1. */
  baseW: number;
  baseH: number;
  heading: number;
  speed: number;
  /** Cruising speed in sizes per second; the speed relaxes towards it (0 while stopped). */
  cruise: number;
  stoppedUntil: number;
}

/** Where an object is and how large it is at perspective scale 1. */
type Placed = Pick<Mover, 'x' | 'y' | 'baseW' | 'baseH'>;

/** Nearer (lower in the image) is larger: 0.6× at the top edge to 1.4× at the bottom. */
function perspective(y: number): number {
  return 0.6 + 0.8 * Math.min(Math.max(y / SCENE_WORLD.height, 0), 1);
}

function fullBox(m: Placed): Box {
  const s = perspective(m.y);
  const w = m.baseW * s, h = m.baseH * s;
  return [m.x - w / 2, m.y - h / 2, m.x + w / 2, m.y + h / 2];
}

function area(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

function clip(b: Box): Box {
  const { width, height } = SCENE_WORLD;
  return [Math.max(b[0], 0), Math.max(b[1], 0), Math.min(b[2], width), Math.min(b[3], height)];
}

function intersection(a: Box, b: Box): number {
  return Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])) * Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
}

function shape(rnd: Random, label: number): { baseW: number; baseH: number; cruise: number } {
  if (label === PERSON) {
    const baseW = rnd.uniform(28, 50);
    return { baseW, baseH: baseW * rnd.uniform(2.3, 2.8), cruise: rnd.uniform(0.4, 1.5) };
  }
  const baseW = rnd.uniform(90, 160);
  return { baseW, baseH: baseW * rnd.uniform(0.5, 0.65), cruise: rnd.uniform(0.5, 2.0) };
}

/** Generates a scene; the same spec and seed give the same scene. */
export function generateScene(spec: SceneSpec, seed: number): Scene {
  const W = SCENE_WORLD;
  const rnd = new Random(seed);
  let nextId = 1;
  const spawn = (atEdge: boolean): Mover => {
    const label = rnd.chance(0.7) ? PERSON : CAR;
    const { baseW, baseH, cruise } = shape(rnd, label);
    let x = rnd.uniform(0, W.width), y = rnd.uniform(0.15 * W.height, W.height);
    let heading = rnd.uniform(-Math.PI, Math.PI);
    if (atEdge) {  // just outside an edge, heading inwards
      const edge = Math.floor(rnd.uniform(0, 4));
      const margin = 0.7 * Math.max(baseW, baseH);
      if (edge === 0) { x = -margin; heading = rnd.uniform(-0.8, 0.8); }
      if (edge === 1) { x = W.width + margin; heading = Math.PI + rnd.uniform(-0.8, 0.8); }
      if (edge === 2) { y = W.height + margin; heading = -Math.PI / 2 + rnd.uniform(-0.8, 0.8); }
      if (edge === 3) { y = 0.15 * W.height; heading = Math.PI / 2 + rnd.uniform(-0.8, 0.8); }
    }
    return { id: nextId++, label, x, y, baseW, baseH, heading, speed: cruise, cruise, stoppedUntil: -1 };
  };
  const movers = Array.from({ length: spec.objects }, () => spawn(false));
  const clutter = Array.from({ length: W.clutterSpots }, () => {
    const label = rnd.chance(0.5) ? PERSON : CAR;
    const { baseW, baseH } = shape(rnd, label);
    const y = rnd.uniform(0.2 * W.height, 0.9 * W.height);
    const place: Placed = { x: rnd.uniform(100, W.width - 100), y, baseW, baseH };
    return { label, place };
  });

  const frames: SceneFrame[] = [];
  const overlapping = new Set<string>();
  const seen = new Set<number>();
  let detections = 0, falsePositives = 0;
  const dt = 1 / W.cameraFps;
  const cameraFrames = Math.round(spec.durationS * W.cameraFps);
  let nextModelFrame = 0;
  for (let f = 0; f < cameraFrames; f++) {
    const t = f * dt;
    for (const [i, m] of movers.entries()) {
      if (rnd.chance(W.eventsPerSecond * dt)) {
        const kind = rnd.next();
        if (kind < 0.5) m.heading += (rnd.chance(0.5) ? 1 : -1) * rnd.uniform(Math.PI / 6, Math.PI / 2);
        else if (kind < 0.8) m.cruise = Math.min(Math.max(m.cruise * rnd.uniform(0.4, 1.8), 0.3), 2.2);
        else m.stoppedUntil = t + rnd.uniform(1, 4);
      }
      m.heading += rnd.normal(0, 0.35 * Math.sqrt(dt));
      const target = t < m.stoppedUntil ? 0 : m.cruise;
      m.speed += (target - m.speed) * Math.min(1, dt / 0.5);  // ~0.5 s to change speed
      const pxPerSize = Math.sqrt(m.baseW * m.baseH) * perspective(m.y);
      m.x += Math.cos(m.heading) * m.speed * pxPerSize * dt;
      m.y += Math.sin(m.heading) * m.speed * pxPerSize * dt;
      const box = fullBox(m);
      const out = box[2] < 0 || box[0] > W.width || box[3] < 0 || box[1] > W.height;
      if (out) movers[i] = spawn(true);
    }
    if (f !== nextModelFrame) continue;
    const period = W.cameraFps / spec.modelFps;
    nextModelFrame = f + Math.max(1, Math.round(period * rnd.uniform(1 - spec.jitter, 1 + spec.jitter)));

    const visible = movers.map((m) => {
      const full = fullBox(m);
      const clipped = clip(full);
      return { m, full, clipped, shown: area(clipped) / area(full) };
    }).filter((v) => v.shown >= 0.25);
    const truth: IdBox[] = visible.map((v) => ({ id: v.m.id, box: v.clipped }));
    for (const v of visible) seen.add(v.m.id);
    const labels: number[] = [], scores: number[] = [], boxes: number[] = [], sources: number[] = [];
    const report = (source: number, label: number, score: number, b: Box) => {
      const c = clip(b);
      if (score < W.scoreFloor || c[2] - c[0] < 2 || c[3] - c[1] < 2) return false;
      labels.push(label);
      scores.push(Math.min(score, 0.99));
      boxes.push(...c);
      sources.push(source);
      detections++;
      return true;
    };
    const noisy = (b: Box): Box => {
      const w = b[2] - b[0], h = b[3] - b[1], s = W.boxNoise;
      return [b[0] + rnd.normal(0, s * w), b[1] + rnd.normal(0, s * h), b[2] + rnd.normal(0, s * w), b[3] + rnd.normal(0, s * h)];
    };
    for (const v of visible) {
      // Hidden share: the parts of its box behind nearer objects (lower bottom edge = farther).
      let hidden = 0;
      for (const o of visible) if (o !== v && o.full[3] > v.full[3]) hidden += intersection(v.full, o.full);
      hidden = Math.min(1, hidden / area(v.full));
      const missed = rnd.chance(W.missRate);
      let score = Math.min(Math.max(rnd.normal(0.72, 0.1), 0.5), 0.97) * (1 - 0.9 * hidden);
      if (rnd.chance(W.weakRate)) score *= rnd.uniform(0.35, 0.7);
      if (missed || v.shown < 0.5 || hidden > W.hiddenLimit) continue;
      report(v.m.id, v.m.label, score, noisy(v.clipped));
    }
    for (let k = rnd.poisson(W.falsePositivesPerFrame); k > 0; k--) {
      const label = rnd.chance(0.7) ? PERSON : CAR;
      const { baseW, baseH } = shape(rnd, label);
      const place: Placed = { x: rnd.uniform(0, W.width), y: rnd.uniform(0.15 * W.height, W.height), baseW, baseH };
      if (report(0, label, rnd.uniform(0.1, 0.6), fullBox(place))) falsePositives++;
    }
    for (const spot of clutter) {
      if (rnd.chance(0.3) && report(0, spot.label, rnd.uniform(0.35, 0.65), noisy(fullBox(spot.place)))) falsePositives++;
    }
    for (let i = 0; i < truth.length; i++) {
      for (let j = i + 1; j < truth.length; j++) {
        const a = truth[i].box, b = truth[j].box, inter = intersection(a, b);
        if (inter / (area(a) + area(b) - inter) >= 0.3) overlapping.add(`${truth[i].id}:${truth[j].id}`);
      }
    }
    frames.push({ timeMs: Math.round(t * 1000), truth, labels: Int32Array.from(labels), scores: Float32Array.from(scores),
      boxes: Float32Array.from(boxes), sources: Int32Array.from(sources) });
  }
  return { spec, seed, frames, truthTrajectories: seen.size, crossings: overlapping.size, detections, falsePositives };
}
