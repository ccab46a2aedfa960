// SPDX-License-Identifier: Apache-2.0
// Opens an encoder's ONNX file and checks it against what owl.json says it is, so that a corrupt file or a
// folder mixing two exports fails at load with the file named, not at the first frame with a shape error.
import * as ort from 'onnxruntime-node';
import { ModelError } from './model-error';
import { ENCODER_NAMES, type ModelFolder, reexport } from './model-folder';

/** One input or output as owl.json implies it; a string dimension is symbolic (the batch axis). */
export interface TensorSignature {
  name: string;
  type: 'float32' | 'int64';
  shape: readonly (number | string)[];
}

/** Inputs and outputs of one encoder. */
export interface EncoderSignature {
  inputs: TensorSignature[];
  outputs: TensorSignature[];
}

/** The image encoder's signature: image [B,3,S,S] -> class embeds [B,P,D], shift/scale [B,P,1], boxes [B,P,4]. */
export function imageEncoderSignature({ config: c }: ModelFolder): EncoderSignature {
  const n = ENCODER_NAMES.image;
  return {
    inputs: [{ name: n.input, type: 'float32', shape: ['batch', 3, c.imageSize, c.imageSize] }],
    outputs: [
      { name: n.classEmbeds, type: 'float32', shape: ['batch', c.numPatches, c.embedDim] },
      { name: n.logitShift, type: 'float32', shape: ['batch', c.numPatches, 1] },
      { name: n.logitScale, type: 'float32', shape: ['batch', c.numPatches, 1] },
      { name: n.boxes, type: 'float32', shape: ['batch', c.numPatches, 4] },
    ],
  };
}

/** The text encoder's signature: input_ids, attention_mask [Q,T] int64 -> text_embeds [Q,D]. */
export function textEncoderSignature({ config: c }: ModelFolder): EncoderSignature {
  const n = ENCODER_NAMES.text;
  return {
    inputs: [
      { name: n.inputIds, type: 'int64', shape: ['queries', c.textLength] },
      { name: n.attentionMask, type: 'int64', shape: ['queries', c.textLength] },
    ],
    outputs: [{ name: n.embeds, type: 'float32', shape: ['queries', c.embedDim] }],
  };
}

/**
 * Loads an ONNX file on ONNX Runtime's CPU provider and checks its inputs and outputs.
 * @throws {ModelError} `corrupt_file` when ONNX Runtime cannot load it, `mismatch` when it disagrees with owl.json.
 */
export async function openSession(file: string, folder: ModelFolder, signature: EncoderSignature,
  options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], ...options });
  } catch (err) {
    const reason = String((err as Error).message ?? err).split('\n')[0];
    throw new ModelError('corrupt_file', `${file} cannot be loaded by ONNX Runtime (${reason}): the file is corrupt `
      + `or incomplete; re-export the model folder with ${reexport(folder, file === folder.paths.imageEncoderInt8)}`, file);
  }
  try {
    checkValues(file, 'input', session.inputMetadata, signature.inputs);
    checkValues(file, 'output', session.outputMetadata, signature.outputs);
  } catch (err) {
    await session.release();
    throw err;
  }
  return session;
}

function checkValues(file: string, kind: 'input' | 'output', actual: readonly ort.InferenceSession.ValueMetadata[],
  expected: readonly TensorSignature[]): void {
  const fix = 'the folder mixes files of different exports, or owl.json was edited; re-export the model folder';
  for (const want of expected) {
    const got = actual.find((value) => value.name === want.name);
    if (got === undefined) {
      throw new ModelError('mismatch', `${file} has no ${kind} "${want.name}" (its ${kind}s: `
        + `${actual.map((v) => v.name).join(', ')}): ${fix}`, file);
    }
    if (!got.isTensor || got.type !== want.type) {
      throw new ModelError('mismatch', `${file} ${kind} "${want.name}" is ${got.isTensor ? got.type : 'not a tensor'}, `
        + `expected ${want.type}: ${fix}`, file);
    }
    // Symbolic dimensions on either side (the batch axis) match anything.
    const same = got.shape.length === want.shape.length && want.shape.every((dim, i) =>
      typeof dim === 'string' || typeof got.shape[i] === 'string' || got.shape[i] === dim);
    if (!same) {
      throw new ModelError('mismatch', `${file} ${kind} "${want.name}" has shape ${formatShape(got.shape)} but owl.json `
        + `implies ${formatShape(want.shape)}: ${fix}`, file);
    }
  }
}

function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(',')}]`;
}
