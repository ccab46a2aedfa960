// SPDX-License-Identifier: Apache-2.0
// Prompts -> text embeddings, on the main thread: it runs only when prompts change (about 10 ms for a few
// prompts with the base model), and a cache of embeddings per prompt string makes repeated prompts free.
import * as ort from 'onnxruntime-node';
import { blameEmbedDim } from './embed-dim-blame';
import { LruCache } from './lru-cache';
import { ModelError } from './model-error';
import { ENCODER_NAMES, type ModelFolder } from './model-folder';
import { openSession, textEncoderSignature } from './onnx-session';
import { OwlTokenizer } from './tokenizer';

/** Options of {@link OwlTextEncoder.load}. */
export interface TextEncoderOptions {
  /** ONNX Runtime intra-op threads. */
  threads: number;
  /** Embeddings kept per prompt string; 0 disables the cache. */
  cacheSize: number;
}

/** Counters of {@link OwlTextEncoder}, for logs and tests. */
export interface TextEncoderStats {
  /** Prompts served from the cache. */
  cacheHits: number;
  /** Prompts that went through the model. */
  encoded: number;
  /** Model runs (one per encode() with uncached prompts). */
  runs: number;
}

/** The exported text encoder (pooled output -> projection -> L2 norm) with its tokenizer and cache. */
export class OwlTextEncoder {
  readonly #cache: LruCache<string, Float32Array>;
  readonly #stats: TextEncoderStats = { cacheHits: 0, encoded: 0, runs: 0 };

  private constructor(readonly session: ort.InferenceSession, readonly tokenizer: OwlTokenizer,
    readonly embedDim: number, cacheSize: number) {
    this.#cache = new LruCache(cacheSize);
  }

  /**
   * Loads text_encoder.onnx and the tokenizer of a model folder.
   * @throws {ModelError} naming the file that is missing, corrupt or disagrees with owl.json.
   */
  static async load(folder: ModelFolder, options: TextEncoderOptions): Promise<OwlTextEncoder> {
    const { config, paths } = folder;
    const tokenizer = await OwlTokenizer.load(paths.tokenizer, paths.tokenizerConfig, config.textLength, config.padTokenId);
    const session = await openSession(paths.textEncoder, folder, textEncoderSignature(folder), {
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    }).catch(async (err: unknown) => { throw await blameEmbedDim(err, folder); });
    return new OwlTextEncoder(session, tokenizer, config.embedDim, options.cacheSize);
  }

  /** A copy of the counters. */
  get stats(): TextEncoderStats {
    return { ...this.#stats };
  }

  /**
   * Text embeddings of the prompts, [Q*D] row-major, L2-normalised. Only prompts missing from the cache
   * go through the model, in one batch.
   * @throws {ModelError} `runtime` when ONNX Runtime fails.
   */
  async encode(prompts: readonly string[]): Promise<Float32Array> {
    const missing = [...new Set(prompts.filter((p) => this.#cache.get(p) === undefined))];
    const fresh = new Map<string, Float32Array>();
    if (missing.length > 0) {
      const rows = await this.#run(missing);
      missing.forEach((prompt, i) => {
        fresh.set(prompt, rows[i]);
        this.#cache.set(prompt, rows[i]);
      });
    }
    this.#stats.cacheHits += prompts.length - missing.length;
    const out = new Float32Array(prompts.length * this.embedDim);
    // Fresh rows first: with a small cache, this batch may already have evicted some of them.
    prompts.forEach((prompt, q) => out.set(fresh.get(prompt) ?? this.#cache.get(prompt)!, q * this.embedDim));
    return out;
  }

  /** Releases the ONNX Runtime session. */
  async close(): Promise<void> {
    await this.session.release();
  }

  async #run(prompts: string[]): Promise<Float32Array[]> {
    const batch = this.tokenizer.encode(prompts);
    const shape = [batch.count, batch.textLength];
    const names = ENCODER_NAMES.text;
    let result: ort.InferenceSession.OnnxValueMapType;
    try {
      result = await this.session.run({
        [names.inputIds]: new ort.Tensor('int64', batch.inputIds, shape),
        [names.attentionMask]: new ort.Tensor('int64', batch.attentionMask, shape),
      }, [names.embeds]);
    } catch (err) {
      throw new ModelError('runtime', `the text encoder failed on ${prompts.length} prompt(s): ${(err as Error).message}`);
    }
    const embeds = result[names.embeds].data as Float32Array;
    this.#stats.runs += 1;
    this.#stats.encoded += prompts.length;
    return prompts.map((_, i) => embeds.slice(i * this.embedDim, (i + 1) * this.embedDim));
  }
}
