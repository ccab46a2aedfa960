// SPDX-License-Identifier: Apache-2.0
// The model runtime's public face: load a model folder, set named prompt sets (ts/model/prompt-sets.ts:
// re-encoded only when they change; one text-embedding cache for all), detect on preprocessed frames, one at a
// time or in batches whose frames each use their own prompt set, and decode a frame's kept image-encoder outputs
// again with the prompts now in force. The image encoder runs in a worker; the text encoder (only when prompts
// change, on its own ONNX Runtime session) and the decode (under a millisecond a frame) run here, so neither waits
// behind an image-encoder run.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { MODEL_PRECISION_DEFAULT } from '../config/defaults';
import { expectedMessage } from '../errors/expected';
import { native } from '../native';
import {
  decodeFrame, frameOf, type DecodedFrame, type Detection, type EncodedFrame, type FrameDecodeOptions,
} from './frame-decode';
import { ImageEncoder, type FrameTransferStats } from './image-encoder';
import { ModelError } from './model-error';
import { loadModelFolder, type ModelFolder } from './model-folder';
import { cpuInt8Support, planPrecision, type CpuInt8, type PrecisionChoice, type PrecisionSetting } from './precision';
import { DEFAULT_PROMPT_SET, PromptSets, type PromptState } from './prompt-sets';
import { DEFAULT_PROMPT_LIMITS, type PromptLimits } from './prompts';
import { OwlTextEncoder, type TextEncoderStats } from './text-encoder';

export type { Detection, EncodedFrame } from './frame-decode';
export { DEFAULT_PROMPT_SET, type PromptState } from './prompt-sets';

/** Options of {@link OwlDetector.load}. */
export interface OwlDetectorOptions {
  /**
   * ONNX Runtime intra-op threads of the image encoder; 0 = all cores (os.availableParallelism()). The text encoder
   * always runs on one (see load()). @default 0
   */
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
  /** The prompt set it was decoded with, and that set's version (see {@link PromptState}). */
  promptSet: string;
  promptVersion: number;
  /** The prompts and thresholds of that version (labelIndex indexes them). */
  prompts: { objects: string[]; thresholds: number[] };
  /** Its image-encoder outputs, to decode again with other prompts ({@link OwlDetector.redecode}). */
  encoded: EncodedFrame;
  /** Frames that went through the image encoder together with this one (itself included). */
  batchSize: number;
  timings: {
    /** Image encoder run of the whole batch, in the worker. */
    inferenceMs: number;
    /** Native decode. */
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
  /** The named prompt sets: a frame is decoded with its set as in force when its image-encoder outputs arrive. */
  readonly promptSets: PromptSets;
  readonly #decode: FrameDecodeOptions;

  private constructor(readonly folder: ModelFolder, readonly text: OwlTextEncoder, readonly image: ImageEncoder,
    readonly promptLimits: PromptLimits, decode: Pick<FrameDecodeOptions, 'nmsIou' | 'maxDetections'>) {
    this.promptSets = new PromptSets((prompts) => text.encode(prompts), promptLimits);
    const { imageSize, numPatches, embedDim } = folder.config;
    this.#decode = { inputSize: imageSize, numPatches, embedDim, ...decode };
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
    // One thread: new prompts are encoded while the image encoder keeps every core busy, and a pool of its own
    // would wait at each step for threads the image encoder's displace (measured with the base model on 2 busy
    // cores: 1 thread faster than 2 in 15 of 20 paired runs, medians 394 / 475 ms on a loaded machine).
    const text = await OwlTextEncoder.load(folder, { threads: 1, cacheSize: options.textCacheSize ?? 64 });
    try {
      const image = await ImageEncoder.start({ folder, precision, threads });
      return new OwlDetector(folder, text, image, options.promptLimits ?? DEFAULT_PROMPT_LIMITS,
        { nmsIou: options.nmsIou ?? 0, maxDetections: options.maxDetections ?? 100 });
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
    // No frame has its prompts: refuse before a whole image-encoder run is spent on it.
    if (!this.image.closed
      && accepted.every((i) => this.promptSets.get(frames[i].promptSet ?? DEFAULT_PROMPT_SET) === null)) {
      for (const i of accepted) results[i] = Promise.reject(noPrompts());
      return results;
    }
    const batch = this.image.run(accepted.map((i) => frames[i].tensor));
    accepted.forEach((i, b) => {
      results[i] = batch.then((r) => {
        const { frameId, width, height, promptSet = DEFAULT_PROMPT_SET, lowScoreRatio = 1 } = frames[i];
        const encoded = frameOf(r.outputs, b, accepted.length, { width, height }, this.#decode);
        const { decodeMs, ...decoded } = this.#decodeWith(encoded, promptSet, lowScoreRatio);
        return {
          ...(frameId === undefined ? {} : { frameId }),
          ...decoded,
          encoded,
          batchSize: accepted.length,
          timings: { inferenceMs: r.inferenceMs, decodeMs, totalMs: performance.now() - t0 },
        };
      });
    });
    return results;
  }

  /**
   * Decodes a frame's image-encoder outputs again (as a DetectResult kept them) with a prompt set as now in force:
   * no image-encoder run, under a millisecond for the base model. What applies new prompts to the newest frame at
   * once.
   * @param lowScoreRatio as BatchFrame.lowScoreRatio.
   * @returns the detections with the set's version (`batchSize` 0: no image-encoder run).
   * @throws {ModelError} `runtime` when the set is not in force.
   */
  redecode(encoded: EncodedFrame, set = DEFAULT_PROMPT_SET, lowScoreRatio = 1): DetectResult {
    const t0 = performance.now();
    const { decodeMs, ...decoded } = this.#decodeWith(encoded, set, lowScoreRatio);
    return { ...decoded, encoded, batchSize: 0, timings: { inferenceMs: 0, decodeMs, totalMs: performance.now() - t0 } };
  }

  // One snapshot of the set, so the whole frame is decoded with one version of it.
  #decodeWith(encoded: EncodedFrame, set: string, lowScoreRatio: number):
    DecodedFrame & Pick<DetectResult, 'promptSet' | 'promptVersion' | 'prompts'> {
    const prompts = this.promptSets.get(set);
    if (prompts === null) throw noPrompts();
    const { version, objects, thresholds } = prompts.state;
    return { ...decodeFrame(encoded, prompts, this.#decode, lowScoreRatio), promptSet: set, promptVersion: version,
      prompts: { objects, thresholds } };
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

function noPrompts(): ModelError {
  return new ModelError('runtime', 'no prompts set: call setPrompts() before detect()');
}
