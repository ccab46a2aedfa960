// SPDX-License-Identifier: Apache-2.0
// Which file is at fault when an encoder's embedding size disagrees with owl.json's `embedDim`. The text encoder
// is checked first, so it used to take the blame even when owl.json had been edited by hand; when both encoders
// give the same size and owl.json another, owl.json is the file to fix. Runs only on that error, so opening the
// image encoder here (to read its outputs' shapes) costs nothing on a good folder.
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelError } from './model-error';
import { ENCODER_NAMES, type ModelFolder, reexport } from './model-folder';

/**
 * The error to report for an encoder that disagrees with owl.json: `err` itself, or one naming owl.json when both
 * encoders agree with each other on the embedding size and owl.json does not.
 */
export async function blameEmbedDim(err: unknown, folder: ModelFolder): Promise<unknown> {
  if (!(err instanceof ModelError) || err.code !== 'mismatch') return err;
  const text = await lastDim(folder.paths.textEncoder, ENCODER_NAMES.text.embeds);
  const image = await lastDim(folder.paths.imageEncoder, ENCODER_NAMES.image.classEmbeds);
  const { embedDim } = folder.config;
  if (text === null || text !== image || text === embedDim) return err;
  const configPath = path.join(folder.dir, 'owl.json');
  return new ModelError('mismatch', `${configPath}: embedDim is ${embedDim}, but ${folder.paths.textEncoder} and `
    + `${folder.paths.imageEncoder} both give embeddings of ${text}: owl.json was edited or belongs to another export; `
    + `set embedDim to ${text}, or re-export the model folder with ${reexport(folder)}`, configPath);
}

/** The last dimension of an ONNX file's output, or null when it cannot be read. */
async function lastDim(file: string, output: string): Promise<number | null> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  } catch {
    return null;
  }
  try {
    const meta = session.outputMetadata.find((value) => value.name === output);
    const dim = meta?.isTensor === true ? meta.shape[meta.shape.length - 1] : undefined;
    return typeof dim === 'number' ? dim : null;
  } finally {
    await session.release();
  }
}
