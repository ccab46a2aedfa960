// SPDX-License-Identifier: Apache-2.0
// The model runtime's public face: load a model folder, set prompts (re-encoded only when they change),
// detect on preprocessed frames. The image encoder and the decode run in a worker; the text encoder runs
// here, only when prompts change.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { native } from '../native';
import { ImageEncoder, type FrameTransferStats } from './image-encoder';
import { loadModelFolder, type ModelFolder } from './model-folder';
import { DEFAULT_PROMPT_LIMITS, parsePrompts, type PromptLimits } from './prompts';
import { OwlTextEncoder, type TextEncoderStats } from './text-encoder';

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

/** Detections of one frame. */
export interface DetectResult {
  frameId?: number;
  /** Sorted by score, highest first. */
  detections: Detection[];
  /** The prompt-set version the whole frame was decoded with (see {@link PromptState}). */
  promptVersion: number;
  timings: {
    /** Image encoder run, in the worker. */
    inferenceMs: number;
    /** Native decode, in the worker. */
    decodeMs: number;
    /** From detect() to the result, queueing and transfers included. */
    totalMs: number;
  };
}

/** The prompt set in force. */
export interface PromptState {
  /** Increases by one whenever prompts or thresholds change; 0 before the first setPrompts(). */
  version: number;
  objects: string[];
  thresholds: number[];
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
  #prompts: PromptState = { version: 0, objects: [], thresholds: [] };
  #textEmbeds: Float32Array = new Float32Array(0);
  // setPrompts() calls apply one after another, in call order.
  #promptChain: Promise<unknown> = Promise.resolve();

  private constructor(readonly folder: ModelFolder, readonly text: OwlTextEncoder, readonly image: ImageEncoder,
    readonly promptLimits: PromptLimits) {}

  /**
   * Loads a model folder: owl.json, the tokenizer, the text encoder (here) and the image encoder (in a worker).
   * @param model a folder written by deploy/export/owl_export.py (a Hugging Face id is refused with the export command).
   * @throws {ModelError} naming the missing, corrupt or mismatched file and the fix.
   */
  static async load(model: string, options: OwlDetectorOptions = {}): Promise<OwlDetector> {
    const folder = await loadModelFolder(model, options.cwd);
    const threads = options.threads || os.availableParallelism();
    const text = await OwlTextEncoder.load(folder, { threads, cacheSize: options.textCacheSize ?? 64 });
    try {
      const image = await ImageEncoder.start({
        folder,
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

  /** The model's per-channel normalisation (0..1 pixel units), for the pipeline's preprocessing. */
  get normalisation(): { mean: [number, number, number]; std: [number, number, number] } {
    return { mean: this.folder.config.mean, std: this.folder.config.std };
  }

  /** The prompt set in force (a copy). */
  get prompts(): PromptState {
    return { ...this.#prompts, objects: [...this.#prompts.objects], thresholds: [...this.#prompts.thresholds] };
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
   * @returns the prompt set now in force.
   * @throws {PromptError} when the list breaks a rule (nothing changes then).
   * @throws {ModelError} when the text encoder fails.
   */
  async setPrompts(objects: unknown, thresholds: unknown): Promise<PromptState> {
    const parsed = parsePrompts(objects, thresholds, this.promptLimits);
    const apply = this.#promptChain.then(() => this.#apply(parsed.objects, parsed.thresholds));
    this.#promptChain = apply.catch(() => undefined);
    return apply;
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
    const t0 = performance.now();
    const r = await this.image.run(tensor, frameWidth, frameHeight);
    const detections: Detection[] = [];
    for (let i = 0; i < r.labelIndices.length; i++) {
      const b = r.boxes.subarray(i * 4, i * 4 + 4);
      detections.push({ label: r.labels[r.labelIndices[i]], labelIndex: r.labelIndices[i], score: r.scores[i],
        box: [b[0], b[1], b[2], b[3]] });
    }
    return {
      ...(frameId === undefined ? {} : { frameId }),
      detections,
      promptVersion: r.promptVersion,
      timings: { inferenceMs: r.inferenceMs, decodeMs: r.decodeMs, totalMs: performance.now() - t0 },
    };
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

  async #apply(objects: string[], thresholds: number[]): Promise<PromptState> {
    const current = this.#prompts;
    const sameObjects = sameList(objects, current.objects);
    if (sameObjects && sameList(thresholds, current.thresholds)) return this.prompts;
    const textEmbeds = sameObjects ? this.#textEmbeds : await this.text.encode(objects);
    this.#textEmbeds = textEmbeds;
    this.#prompts = { version: current.version + 1, objects, thresholds };
    this.image.setPrompts({
      type: 'prompts',
      version: this.#prompts.version,
      labels: objects,
      textEmbeds,
      thresholds: Float32Array.from(thresholds),
    });
    return this.prompts;
  }
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
