// SPDX-License-Identifier: Apache-2.0
// The model as each engine uses it. Portable: the whole detector (text encoder here, image encoder in a worker
// thread). DeepStream: the text encoder only, since the image encoder runs in TensorRT inside nvinfer, and the
// model folder's description for nvinfer's config. Both hold the named prompt sets that the supervisor changes
// and the streams decode with.
import os from 'node:os';
import type { ModelPrecisionStatus } from '../api/service';
import type { OwlConfig } from '../config/schema';
import { deepStreamModel, type DeepStreamModel } from '../deepstream/config-input';
import { OwlDetector } from '../model/detector';
import { loadModelFolder } from '../model/model-folder';
import { PromptSets } from '../model/prompt-sets';
import { OwlTextEncoder } from '../model/text-encoder';

/** What both engines' models offer. */
interface LoadedModel {
  /** Named prompt sets with their text embeddings (the service-wide one and each stream's own). */
  promptSets: PromptSets;
  /** Square model input side in pixels, for the log. */
  inputSize: number;
  /** Which image encoder runs and why, for the log and /status. */
  precision: ModelPrecisionStatus;
  /** Releases the encoders (and stops the image-encoder worker). */
  close(): Promise<void>;
}

/** The loaded model of the engine that runs. */
export type ServiceModel =
  | LoadedModel & { engine: 'portable'; detector: OwlDetector }
  | LoadedModel & { engine: 'deepstream'; deepstream: DeepStreamModel };

/**
 * Loads the configured model folder for an engine.
 * @throws {ModelError} naming the missing, corrupt or mismatched file and the fix.
 */
export async function loadServiceModel(engine: 'portable' | 'deepstream', config: OwlConfig): Promise<ServiceModel> {
  const { model, prompts } = config;
  const promptLimits = { maxPrompts: prompts.maxPrompts, maxPromptLength: prompts.maxPromptLength };
  if (engine === 'portable') {
    const detector = await OwlDetector.load(model.folder, {
      threads: model.threads, nmsIou: model.nmsIou, maxDetections: model.maxDetections,
      textCacheSize: model.textCacheSize, promptLimits, precision: model.precision,
    });
    const { precision: running, reason, warning } = detector.precision;
    return { engine, detector, promptSets: detector.promptSets, inputSize: detector.inputSize,
      precision: { running, reason, warning }, close: () => detector.close() };
  }
  const folder = await loadModelFolder(model.folder);
  const text = await OwlTextEncoder.load(folder,
    { threads: model.threads || os.availableParallelism(), cacheSize: model.textCacheSize });
  const deepstream = deepStreamModel(folder, model.imageEncoderEngine);
  return {
    engine, deepstream, inputSize: folder.config.imageSize,
    precision: { running: 'tensorrt', warning: null,
      reason: `the deepstream engine runs the TensorRT engine ${deepstream.engineFile} (model.precision is for the portable engine)` },
    promptSets: new PromptSets((objects) => text.encode(objects), promptLimits),
    close: () => text.close(),
  };
}
