// SPDX-License-Identifier: Apache-2.0
// A model folder as deploy/export/owl_export.py writes it: owl.json (what the model is) beside the two
// ONNX encoders and the tokenizer files. `--model` names such a folder; a Hugging Face id is refused
// with the command that exports it, since the runtime has no torch and downloads nothing.
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { describeValue } from '../errors/expected';
import { ModelError } from './model-error';

/** owl.json (format 1), written by deploy/export/owl_export.py. */
export interface OwlModelConfig {
  format: 1;
  /** The checkpoint it was exported from: a hub id, or `random:<config>:<seed>`. */
  source: string;
  /** Square model input side S in pixels. */
  imageSize: number;
  patchSize: number;
  /** S / patchSize; numPatches = gridSize². */
  gridSize: number;
  numPatches: number;
  /** Size D of the class and text embeddings. */
  embedDim: number;
  /** Tokens per prompt T (pad / truncate to this). */
  textLength: number;
  padTokenId: number;
  bosTokenId: number;
  eosTokenId: number;
  /** Per-channel normalisation in 0..1 pixel units: (x/255 - mean) / std. */
  mean: [number, number, number];
  std: [number, number, number];
  opset: number;
  /** Compute type of the image encoder; its inputs and outputs are float32 either way. */
  dtype: 'fp32' | 'fp16';
  /**
   * File names inside the folder. `imageEncoderInt8` (owl_export.py --int8): the same image encoder with int8
   * weights, chosen by model.precision (ts/model/precision.ts); the folder loads without it.
   */
  files: { imageEncoder: string; textEncoder: string; tokenizer: string; tokenizerConfig: string; imageEncoderInt8?: string };
  /** How the int8 image encoder was made (owl_int8.py), for people: tool, scheme, nodes kept in float. */
  int8?: Record<string, string | string[]>;
}

/** A loaded, validated model folder. */
export interface ModelFolder {
  /** Absolute folder path. */
  dir: string;
  config: OwlModelConfig;
  /** Absolute paths of config.files. */
  paths: OwlModelConfig['files'];
}

/** The exported encoders' input and output names (deploy/export/owl_encoders.py). */
export const ENCODER_NAMES = {
  image: {
    input: 'image',
    classEmbeds: 'image_class_embeds',
    logitShift: 'logit_shift',
    logitScale: 'logit_scale',
    boxes: 'pred_boxes',
  },
  text: { inputIds: 'input_ids', attentionMask: 'attention_mask', embeds: 'text_embeds' },
} as const;

const CONFIG_FILE = 'owl.json';
const EXPORT_SCRIPT = 'python3 deploy/export/owl_export.py';

const positive = z.number().int().positive();
const fileName = z.string().min(1).refine((name) => path.basename(name) === name, 'expected a file name inside the folder');
const triple = z.tuple([z.number(), z.number(), z.number()]);
const configSchema = z.strictObject({
  format: z.literal(1),
  source: z.string(),
  imageSize: positive,
  patchSize: positive,
  gridSize: positive,
  numPatches: positive,
  embedDim: positive,
  textLength: z.number().int().min(2),
  padTokenId: z.number().int().min(0),
  bosTokenId: z.number().int().min(0),
  eosTokenId: z.number().int().min(0),
  mean: triple,
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  opset: positive,
  dtype: z.enum(['fp32', 'fp16']),
  files: z.strictObject({ imageEncoder: fileName, textEncoder: fileName, tokenizer: fileName, tokenizerConfig: fileName,
    imageEncoderInt8: fileName.optional() }),
  int8: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
}).refine((c) => c.gridSize * c.gridSize === c.numPatches && c.gridSize * c.patchSize === c.imageSize, {
  message: 'expected numPatches = gridSize² and imageSize = gridSize * patchSize',
});

/** The command that exports hub model `id` into models/<name>, and that folder. */
function exportAdvice(id: string): { command: string; folder: string } {
  const folder = `models/${id.split('/').pop()}`;
  return { command: `${EXPORT_SCRIPT} --model ${id} --out ${folder}`, folder };
}

// "google/owlvit-base-patch32": org/name with the characters the hub allows.
const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/**
 * Finds the model folder `--model` names.
 * @param model a folder path, or a Hugging Face hub id (refused with the export command).
 * @param cwd where relative paths start.
 * @returns the absolute folder path.
 * @throws {ModelError} `not_exported` for a hub id that is not a local folder, `missing_file` for a missing folder.
 */
export async function resolveModelFolder(model: string, cwd = process.cwd()): Promise<string> {
  const dir = path.resolve(cwd, model);
  const stat = await fs.stat(dir).catch(() => null);
  if (stat?.isDirectory()) return dir;
  if (stat) throw new ModelError('missing_file', `--model ${model} is a file; give the model folder that holds ${CONFIG_FILE}`, dir);
  if (HUB_ID.test(model)) {
    const { command, folder } = exportAdvice(model);
    const exported = await fs.stat(path.resolve(cwd, folder, CONFIG_FILE)).then(() => true, () => false);
    throw new ModelError('not_exported', `--model ${model} is a Hugging Face model id, not a local folder. `
      + `Models must be exported to ONNX first: run \`${command}\`, then use --model ${folder}`
      + (exported ? ` (${folder} already holds an export)` : ''), dir);
  }
  throw new ModelError('missing_file', `model folder ${dir} does not exist: give the folder that `
    + `${EXPORT_SCRIPT} --out wrote`, dir);
}

/**
 * Resolves, reads and validates a model folder: owl.json parses and matches its schema, and every file
 * it names exists, the optional int8 image encoder aside (model.precision decides what its absence means).
 * Loading the ONNX files (and checking them against owl.json) is the encoders' job.
 * @throws {ModelError} naming the file and the fix.
 */
export async function loadModelFolder(model: string, cwd = process.cwd()): Promise<ModelFolder> {
  const dir = await resolveModelFolder(model, cwd);
  const configPath = path.join(dir, CONFIG_FILE);
  const config = parseConfig(configPath, await readConfig(configPath));
  const paths = Object.fromEntries(Object.entries(config.files)
    .map(([key, name]) => [key, path.join(dir, name)])) as ModelFolder['paths'];
  for (const [key, file] of Object.entries(paths)) {
    if (key === 'imageEncoderInt8') continue;
    const stat = await fs.stat(file).catch(() => null);
    if (!stat?.isFile()) {
      throw new ModelError('missing_file', `${file} is missing (named by ${configPath}): `
        + `re-export the model folder with ${reexport({ config, dir })}`, file);
    }
  }
  return { dir, config, paths };
}

/** The export command that rebuilds this folder (with its int8 image encoder when `int8`), for messages. */
export function reexport({ config, dir }: Pick<ModelFolder, 'config' | 'dir'>, int8 = false): string {
  const relative = path.relative(process.cwd(), dir);
  const out = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : dir;
  const random = /^random:([\w-]+):(\d+)$/.exec(config.source);
  const command = random ? `${EXPORT_SCRIPT} --random ${random[1]} --seed ${random[2]} --out ${out}`
    : `${EXPORT_SCRIPT} --model ${config.source} --out ${out}`;
  return int8 ? `${command} --int8` : command;
}

async function readConfig(configPath: string): Promise<string> {
  try {
    return await fs.readFile(configPath, 'utf8');
  } catch {
    throw new ModelError('missing_file', `${configPath} is missing: this is not an exported model folder; `
      + `export one with ${EXPORT_SCRIPT} --model <hub id> --out <folder>`, configPath);
  }
}

function parseConfig(configPath: string, text: string): OwlModelConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelError('invalid_config', `${configPath} is not valid JSON (${(err as Error).message}): `
      + 're-export the model folder', configPath);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.length > 0 ? issue.path.join('.') : '(document)';
    const received = issue.path.reduce<unknown>((v, key) => (v as Record<PropertyKey, unknown> | undefined)?.[key], json);
    const shown = /received/.test(issue.message) ? '' : ` (received ${describeValue(received)})`;
    throw new ModelError('invalid_config', `${configPath}: ${at}: ${issue.message}${shown}; `
      + 're-export the model folder with deploy/export/owl_export.py', configPath);
  }
  return parsed.data as OwlModelConfig;
}
