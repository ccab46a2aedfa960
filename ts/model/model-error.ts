// SPDX-License-Identifier: Apache-2.0
// The model runtime's one error class: every failure to load or run the model names the file (or the
// model id) and says what to do about it.

/** Why the model could not be loaded or run; `code` is stable and machine-readable. */
export type ModelErrorCode =
  /** `--model` is a Hugging Face id, not an exported folder. */
  | 'not_exported'
  /** The folder or one of its files does not exist. */
  | 'missing_file'
  /** owl.json is not valid JSON or breaks its schema. */
  | 'invalid_config'
  /** ONNX Runtime (or the tokenizer) cannot load a file. */
  | 'corrupt_file'
  /** A file loads but disagrees with owl.json (input/output names or shapes). */
  | 'mismatch'
  /** Inference failed at run time, or the image-encoder worker stopped. */
  | 'runtime';

/** A model that cannot be loaded or run. `file` is the file concerned, when there is one. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(readonly code: ModelErrorCode, message: string, readonly file?: string) {
    super(message);
  }
}
