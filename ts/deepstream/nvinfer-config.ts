// SPDX-License-Identifier: Apache-2.0
// The nvinfer config and label file for the NanoOWL image encoder with our bbox parser
// (libowl_ds_parser.so, NvDsInferParseOwl). Key names: gst-nvinfer's gstnvinfer_property_parser.h.
//
// Thresholds and NMS are NOT written here: prompts and thresholds change while the pipeline runs, but
// nvinfer reads its config once. The parser applies them (the same decode core as the portable engine),
// so nvinfer keeps everything it is given: pre-cluster-threshold=0 and cluster-mode=4 (no clustering).
import path from 'node:path';
import { ENCODER_NAMES } from '../model/model-folder';
import type { DeepStreamConfigInput } from './config-input';
import { formatKeyFile, type KeyFileGroup } from './keyfile';

/** The image encoder's outputs the parser reads (every output is bound anyway; names are checked). */
const OUTPUT_BLOBS = [ENCODER_NAMES.image.classEmbeds, ENCODER_NAMES.image.logitShift, ENCODER_NAMES.image.logitScale,
  ENCODER_NAMES.image.boxes];

/** The parser's exported symbol (native/src/deepstream/owl_bbox_parser.cc). */
const PARSE_FUNCTION = 'NvDsInferParseOwl';

/** File name of the label file, beside the nvinfer config (nvinfer resolves relative paths there). */
export const LABEL_FILE_NAME = 'labels.txt';

const NETWORK_MODE_FP16 = 2;  // deploy/build-engine.sh builds with --fp16
const CLUSTER_NONE = 4;

/** A prompt that cannot be a DeepStream label. */
export class DeepStreamLabelError extends Error {
  override readonly name = 'DeepStreamLabelError';
}

/**
 * Checks prompts as DeepStream labels: nvinfer's label file splits each line on `;` (only the first part
 * is kept), and a line break would shift every later class.
 * @throws {DeepStreamLabelError} naming the prompt and the character to remove.
 */
export function checkDeepStreamLabels(prompts: readonly string[], maxPrompts: number): void {
  if (prompts.length > maxPrompts) {
    throw new DeepStreamLabelError(`${prompts.length} prompts given, the DeepStream engine was started for at most `
      + `${maxPrompts} (prompts.maxPrompts)`);
  }
  prompts.forEach((prompt, i) => {
    const bad = [';', '\n', '\r'].find((ch) => prompt.includes(ch));
    if (bad !== undefined) {
      throw new DeepStreamLabelError(`prompt ${i + 1} (${JSON.stringify(prompt)}) contains ${JSON.stringify(bad)}, `
        + 'which DeepStream\'s label file treats as a separator: remove it');
    }
  });
}

/** nvinfer's preprocessing y = net-scale-factor * (x - offset): one scale for all channels. */
export function nvinferNormalisation(mean: readonly number[], std: readonly number[]):
  { netScaleFactor: string; offsets: string[] } {
  // CLIP's std differs per channel (0.2613..0.2758): the mean std is within ±3% of each.
  const meanStd = (std[0] + std[1] + std[2]) / 3;
  return {
    netScaleFactor: (1 / (meanStd * 255)).toPrecision(6),
    offsets: mean.map((m) => (m * 255).toFixed(4)),
  };
}

/** The text of the label file: one prompt per line. @throws {DeepStreamLabelError} */
export function labelFile(input: Pick<DeepStreamConfigInput, 'prompts' | 'maxPrompts'>): string {
  checkDeepStreamLabels(input.prompts, input.maxPrompts);
  return input.prompts.map((p) => `${p}\n`).join('');
}

/**
 * The text of the nvinfer config file.
 * @throws {DeepStreamLabelError} for a prompt that cannot be a label.
 * @throws {Error} for a relative file path (nvinfer would resolve it against the run folder).
 */
export function nvinferConfig(input: DeepStreamConfigInput): string {
  checkDeepStreamLabels(input.prompts, input.maxPrompts);
  for (const [name, file] of [['model.onnxFile', input.model.onnxFile], ['model.engineFile', input.model.engineFile],
    ['parserLibPath', input.parserLibPath]]) {
    if (!path.isAbsolute(file)) throw new Error(`${name} must be an absolute path, received ${JSON.stringify(file)}`);
  }
  const { netScaleFactor, offsets } = nvinferNormalisation(input.model.mean, input.model.std);
  const size = input.model.inputSize;
  const groups: KeyFileGroup[] = [
    {
      name: 'property',
      entries: [
        ['gpu-id', input.gpuId],
        ['gie-unique-id', 1],
        ['process-mode', 1],
        ['network-type', 0],
        ['network-mode', NETWORK_MODE_FP16],
        ['model-engine-file', input.model.engineFile],
        ['onnx-file', input.model.onnxFile],
        ['batch-size', 1],
        ['interval', 0],
        ['infer-dims', [3, size, size]],
        ['model-color-format', 0],
        ['net-scale-factor', netScaleFactor],
        ['offsets', offsets],
        ['maintain-aspect-ratio', true],
        ['symmetric-padding', true],
        ['num-detected-classes', input.maxPrompts],
        ['labelfile-path', LABEL_FILE_NAME],
        ['output-blob-names', OUTPUT_BLOBS],
        ['custom-lib-path', input.parserLibPath],
        ['parse-bbox-func-name', PARSE_FUNCTION],
        ['cluster-mode', CLUSTER_NONE],
      ],
    },
    { name: 'class-attrs-all', entries: [['pre-cluster-threshold', 0]] },
    // One colour per prompt slot (the threshold comes from class-attrs-all), so nvdsosd draws each
    // prompt in its own colour.
    ...Array.from({ length: input.maxPrompts }, (_, i): KeyFileGroup => ({
      name: `class-attrs-${i}`,
      entries: [['border-color', borderColor(i, input.maxPrompts)]],
    })),
  ];
  return formatKeyFile([
    'nvinfer config for the NanoOWL image encoder, generated by owl-stream (ts/deepstream/nvinfer-config.ts).',
    'Rewritten at every start: change the owl-stream config instead.',
    `net-scale-factor: CLIP's std is per channel, nvinfer's scale is one number (1/(255*mean std)).`,
  ], groups);
}

// Evenly spaced hues, fully saturated: RGBA in [0,1] as class-attrs border-color wants.
function borderColor(index: number, count: number): string[] {
  const hue = (index / Math.max(count, 1)) * 6;
  const x = 1 - Math.abs((hue % 2) - 1);
  const [r, g, b] = [[1, x, 0], [x, 1, 0], [0, 1, x], [0, x, 1], [x, 0, 1], [1, 0, x]][Math.floor(hue) % 6];
  return [r, g, b, 1].map((c) => c.toFixed(3));
}
