// SPDX-License-Identifier: Apache-2.0
// The model runtime's public face: load a model folder, set named prompt sets (ts/model/prompt-sets.ts:
// re-encoded only when they change; one text-embedding cache for all), detect on preprocessed frames, one at a
// time or in batches whose frames each use their own prompt set. The image encoder and the decode run in a
// worker; the text encoder runs here, only when prompts change.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { MODEL_PRECISION_DEFAULT } from '../config/defaults';
import { expectedMessage } from '../errors/expected';
import { native } from '../native';
import { ImageEncoder, type FrameTransferStats } from './image-encoder';
import { ModelError } from './model-error';
import { loadModelFolder, type ModelFolder } from './model-folder';
import { cpuInt8Support, planPrecision, type CpuInt8, type PrecisionChoice, type PrecisionSetting } from './precision';
import { DEFAULT_PROMPT_SET, PromptSets, type PromptState } from './prompt-sets';
import { DEFAULT_PROMPT_LIMITS, type PromptLimits } from './prompts';
import { OwlTextEncoder, type TextEncoderStats } from './text-encoder';

export { DEFAULT_PROMPT_SET, type PromptState } from './prompt-sets';

/** Options of {@link OwlDetector.load}. */
export interface OwlDetectorOptions {
  /** ONNX Runtime intra-op threads of each encoder; 0 = all cores (os.availableParallelism()). @default 0 */
  threads?: number;
  /** Class-wise NMS IoU threshold; 0 turns NMS off. @default 0 */
  nmsIou?: number;
  /** Cap on detections per frame (the highest scores are kept). @default 100 */
  maxDetections?: number;
  /** Text embeddings cached per prompt string; 0 disables the cache. @default 64 */
  textCacheSize?: number;
  /** Bounds on prompt lists given to setPrompts(). @default DEFAULT_PROMPT_LIMITS (25 prompts, 200 characters) */
  promptLimits?: PromptLimits;
  /** Where a relative model folder starts. @default process.cwd() */
  cwd?: string;
  /**
   * Image-encoder precision: `int8` needs the folder's int8 file (owl_export.py --int8); `auto` takes it when
   * the folder has it and the CPU has int8 dot products, else fp32 (see ts/model/precision.ts).
   * @default MODEL_PRECISION_DEFAULT ('auto', ts/config/defaults.ts)
   */
  precision?: PrecisionSetting;
  /** The CPU's int8 support as `auto` sees it. @default cpuInt8Support() (read from /proc/cpuinfo) */
  cpuInt8?: CpuInt8;
}

/** One detected object, in source-frame pixels. */
export interface Detection {
  /** The prompt that won the patch. */
  label: string;
  /** Its index in the prompt list of `promptVersion`. */
  labelIndex: number;
  /** Sigmoid score in [0,1], above the prompt's threshold. */
  score: number;
  /** x0, y0, x1, y1 (may fall outside the frame, as NanoOWL's do). */
  box: [number, number, number, number];
}

/** One frame of {@link OwlDetector.detectBatch}. */
export interface BatchFrame {
  /** [1,3,S,S] float32. */
  tensor: Float32Array;
  /** Source frame size: boxes are returned in source-frame pixels. */
  width: number;
  height: number;
  /** Echoed in the result. */
  frameId?: number;
  /** The prompt set to decode it with. @default DEFAULT_PROMPT_SET */
  promptSet?: string;
  /**
   * Also return the detections scoring between this fraction of their prompt's threshold and the threshold, in
   * `lowDetections` (a tracker's second stage takes them); 1: none. In [0, 1]. @default 1
   */
  lowScoreRatio?: number;
}

/** Detections of one frame. */
export interface DetectResult {
  frameId?: number;
  /** Above their prompt's threshold, sorted by score, highest first. */
  detections: Detection[];
  /**
   * At or below their prompt's threshold and above `lowScoreRatio` times it (BatchFrame), sorted by score, highest
   * first; empty with lowScoreRatio 1.
   */
  lowDetections: Detection[];
  /** The version of its prompt set the whole frame was decoded with (see {@link PromptState}). */
  promptVersion: number;
  /** The prompts and thresholds of that version (labelIndex indexes them). */
  prompts: { objects: string[]; thresholds: number[] };
  /** Frames that went through the image encoder together with this one (itself included). */
  batchSize: number;
  timings: {
    /** Image encoder run of the whole batch, in the worker. */
    inferenceMs: number;
    /** Native decode, in the worker. */
    decodeMs: number;
    /** From detect() to the result, queueing and transfers included. */
    totalMs: number;
  };
}

/** Counters for logs, tests and benchmarks. */
export interface OwlDetectorStats {
  text: TextEncoderStats;
  frames: FrameTransferStats;
}

/**
 * An OWL-ViT detector on an exported model folder.
 *
 * @example
 * const detector = await OwlDetector.load('models/owlvit-base-patch32');
 * await detector.setPrompts('a person, a hat', '0.1, 0.2');
 * const { detections } = await detector.detect(tensor, 1280, 720);
 */
export class OwlDetector {
  /** The named prompt sets; each change is forwarded to the image-encoder worker. */
  readonly promptSets: PromptSets;

  private constructor(readonly folder: ModelFolder, readonly text: OwlTextEncoder, readonly image: ImageEncoder,
    readonly promptLimits: PromptLimits) {
    this.promptSets = new PromptSets((prompts) => text.encode(prompts), promptLimits);
    this.promptSets.on('change', (set, entry) => {
      if (entry === null) {
        image.dropPrompts(set);
        return;
      }
      image.setPrompts({ type: 'prompts', set, version: entry.state.version, labels: entry.state.objects,
        textEmbeds: entry.textEmbeds, thresholds: Float32Array.from(entry.state.thresholds) });
    });
  }

  /**
   * Loads a model folder: owl.json, the tokenizer, the text encoder (here) and the image encoder (in a worker).
   * @param model a folder written by deploy/export/owl_export.py (a Hugging Face id is refused with the export command).
   * @throws {ModelError} naming the missing, corrupt or mismatched file and the fix (under `precision: 'auto'` a
   *   missing or corrupt int8 file is no error: fp32 runs, and {@link precision} carries the warning).
   */
  static async load(model: string, options: OwlDetectorOptions = {}): Promise<OwlDetector> {
    const folder = await loadModelFolder(model, options.cwd);
    const precision = planPrecision(folder, options.precision ?? MODEL_PRECISION_DEFAULT,
      options.cpuInt8 ?? cpuInt8Support());
    const threads = options.threads || os.availableParallelism();
    const text = await OwlTextEncoder.load(folder, { threads, cacheSize: options.textCacheSize ?? 64 });
    try {
      const image = await ImageEncoder.start({
        folder,
        precision,
        threads,
        nmsIou: options.nmsIou ?? 0,
        maxDetections: options.maxDetections ?? 100,
      });
      return new OwlDetector(folder, text, image, options.promptLimits ?? DEFAULT_PROMPT_LIMITS);
    } catch (err) {
      await text.close();
      throw err;
    }
  }

  /** Square model input side S: detect() takes [1,3,S,S] tensors. */
  get inputSize(): number {
    return this.folder.config.imageSize;
  }

  /** The image encoder's precision that runs, why, and any warning (a missing or corrupt int8 file). */
  get precision(): PrecisionChoice {
    return this.image.precision;
  }

  /** The model's per-channel normalisation (0..1 pixel units), for the pipeline's preprocessing. */
  get normalisation(): { mean: [number, number, number]; std: [number, number, number] } {
    return { mean: this.folder.config.mean, std: this.folder.config.std };
  }

  /** The default prompt set in force (a copy). */
  get prompts(): PromptState {
    return this.promptsOf(DEFAULT_PROMPT_SET) ?? { version: 0, objects: [], thresholds: [] };
  }

  /** A named prompt set in force (a copy), or null when it was never set or was dropped. */
  promptsOf(set: string): PromptState | null {
    return this.promptSets.get(set)?.state ?? null;
  }

  /** Counters: text-encoder cache use, frame transfers. */
  get stats(): OwlDetectorStats {
    return { text: this.text.stats, frames: this.image.transferStats };
  }

  /**
   * Validates and applies a prompt list. Unchanged prompts keep their version; changed thresholds alone
   * do not re-encode; new prompt strings are encoded (cached ones are not).
   * @param objects comma-separated prompts ("a person, a hat") or a list.
   * @param thresholds comma-separated numbers in [0,1], or a list; exactly one applies to every prompt.
   * @param set which prompt set to replace. @default DEFAULT_PROMPT_SET
   * @returns the prompt set now in force.
   * @throws {PromptError} when the list breaks a rule (nothing changes then).
   * @throws {ModelError} when the text encoder fails.
   */
  async setPrompts(objects: unknown, thresholds: unknown, set = DEFAULT_PROMPT_SET): Promise<PromptState> {
    return this.promptSets.set(objects, thresholds, set);
  }

  /** Forgets a named prompt set (after the calls before it); frames that still name it fail. */
  async dropPrompts(set: string): Promise<void> {
    await this.promptSets.drop(set);
  }

  /**
   * Detects objects on one preprocessed frame (see native.preprocess / the pipeline's inference branch).
   * @param tensor [1,3,S,S] float32; its buffer is moved to the worker (detached here) when possible.
   * @param frameWidth source frame width: boxes are returned in source-frame pixels.
   * @param frameHeight source frame height.
   * @param frameId echoed in the result.
   * @throws {ModelError} `runtime` when no prompts are set, inference fails or the worker stopped.
   */
  async detect(tensor: Float32Array, frameWidth: number, frameHeight: number, frameId?: number): Promise<DetectResult> {
    return this.detectBatch([{ tensor, width: frameWidth, height: frameHeight, frameId }])[0];
  }

  /**
   * Detects objects on several frames with one image-encoder run ([B,3,S,S]), each decoded with its own prompt
   * set. A lone frame's buffer moves to the worker as in detect(); the frames of a larger batch are copied.
   * @returns one promise per frame, in order: a frame that fails (wrong size, unknown prompt set) rejects alone.
   * @throws {ModelError} `runtime` (each promise rejects) when inference fails or the worker stopped.
   */
  detectBatch(frames: readonly BatchFrame[]): Promise<DetectResult>[] {
    const t0 = performance.now();
    const expected = 3 * this.inputSize * this.inputSize;
    const results: Promise<DetectResult>[] = new Array(frames.length);
    const accepted: number[] = [];
    frames.forEach((frame, i) => {
      if (frame.tensor.length === expected) {
        accepted.push(i);
        return;
      }
      const s = this.inputSize;
      results[i] = Promise.reject(new ModelError('runtime',
        expectedMessage(`a [1,3,${s},${s}] tensor (${expected} floats)`, 'the frame', `${frame.tensor.length} floats`)));
    });
    if (accepted.length === 0) return results;
    const batch = this.image.run(accepted.map((i) => ({ tensor: frames[i].tensor, width: frames[i].width,
      height: frames[i].height, set: frames[i].promptSet ?? DEFAULT_PROMPT_SET,
      lowScoreRatio: frames[i].lowScoreRatio ?? 1 })));
    accepted.forEach((i, b) => {
      results[i] = batch.then((r) => {
        const item = r.items[b];
        if ('error' in item) throw new ModelError(item.error.code, item.error.message, item.error.file);
        const detections: Detection[] = [];
        const lowDetections: Detection[] = [];
        for (let k = 0; k < item.labelIndices.length; k++) {
          const box = item.boxes.subarray(k * 4, k * 4 + 4);
          const labelIndex = item.labelIndices[k];
          const score = item.scores[k];
          // The decode's own rule (score > threshold) tells the two apart.
          (score > item.thresholds[labelIndex] ? detections : lowDetections).push({ label: item.labels[labelIndex],
            labelIndex, score, box: [box[0], box[1], box[2], box[3]] });
        }
        const { frameId } = frames[i];
        return {
          ...(frameId === undefined ? {} : { frameId }),
          detections,
          lowDetections,
          promptVersion: item.promptVersion,
          prompts: { objects: item.labels, thresholds: Array.from(item.thresholds) },
          batchSize: accepted.length,
          timings: { inferenceMs: r.inferenceMs, decodeMs: item.decodeMs, totalMs: performance.now() - t0 },
        };
      });
    });
    return results;
  }

  /**
   * Convenience for tests and tools: packed RGB (already scaled so max(width, height) == inputSize) to the
   * model's [1,3,S,S] tensor, centred with mean-colour padding.
   */
  preprocess(rgb: Uint8Array, width: number, height: number): Float32Array {
    const { mean, std } = this.normalisation;
    return native.preprocess(rgb, width, height, this.inputSize, mean, std);
  }

  /** Stops the worker and releases both sessions. */
  async close(): Promise<void> {
    await this.image.close();
    await this.text.close();
  }
}
