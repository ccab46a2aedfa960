// SPDX-License-Identifier: Apache-2.0
// The text encoder's tokenizer: the model folder's tokenizer.json through @huggingface/tokenizers, then
// OWL-ViT's fixed window (HF OwlViTProcessor: padding="max_length", truncation, max_length = textLength).
// The library applies neither padding nor truncation, so both are done here.
import fs from 'node:fs/promises';
import { ModelError } from './model-error';

/** A batch of token windows as the text encoder takes them: [count, textLength] int64, row-major. */
export interface TokenBatch {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  count: number;
  textLength: number;
}

/** What the library's Tokenizer offers that we use (the package is ESM-only: loaded with import()). */
interface HfTokenizer {
  encode(text: string): { ids: number[] };
}

/** Tokenises prompts into fixed windows of `textLength` tokens, padded with `padTokenId`. */
export class OwlTokenizer {
  private constructor(readonly tokenizer: HfTokenizer, readonly textLength: number, readonly padTokenId: number) {}

  /**
   * Loads tokenizer.json and tokenizer_config.json.
   * @throws {ModelError} `missing_file` or `corrupt_file`, naming the file.
   */
  static async load(tokenizerFile: string, configFile: string, textLength: number,
    padTokenId: number): Promise<OwlTokenizer> {
    const [json, config] = await Promise.all([readJson(tokenizerFile), readJson(configFile)]);
    // A dynamic import stays an import() under module node16, so the CommonJS build can load the ESM package.
    const { Tokenizer } = await import('@huggingface/tokenizers');
    let tokenizer: HfTokenizer;
    try {
      tokenizer = new Tokenizer(json, config);
      tokenizer.encode('a');
    } catch (err) {
      throw new ModelError('corrupt_file', `${tokenizerFile} is not a tokenizer the library can load `
        + `(${(err as Error).message}): re-export the model folder`, tokenizerFile);
    }
    return new OwlTokenizer(tokenizer, textLength, padTokenId);
  }

  /** Token ids of one prompt, special tokens included, truncated to the window (the end token is kept). */
  ids(text: string): number[] {
    const ids = this.tokenizer.encode(text).ids;
    if (ids.length <= this.textLength) return ids;
    // [start, ...content, end]: drop content, keep the end token, whose state is the pooled output.
    return [...ids.slice(0, this.textLength - 1), ids[ids.length - 1]];
  }

  /** Pads every prompt's ids to textLength; the attention mask is 1 on real tokens. */
  encode(texts: readonly string[]): TokenBatch {
    const n = texts.length;
    const inputIds = new BigInt64Array(n * this.textLength).fill(BigInt(this.padTokenId));
    const attentionMask = new BigInt64Array(n * this.textLength);
    texts.forEach((text, row) => {
      this.ids(text).forEach((id, i) => {
        inputIds[row * this.textLength + i] = BigInt(id);
        attentionMask[row * this.textLength + i] = 1n;
      });
    });
    return { inputIds, attentionMask, count: n, textLength: this.textLength };
  }
}

async function readJson(file: string): Promise<object> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new ModelError('missing_file', `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? err}): `
      + 're-export the model folder', file);
  }
  try {
    return JSON.parse(text) as object;
  } catch (err) {
    throw new ModelError('corrupt_file', `${file} is not valid JSON (${(err as Error).message}): `
      + 're-export the model folder', file);
  }
}
