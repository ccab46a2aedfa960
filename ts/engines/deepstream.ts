// SPDX-License-Identifier: Apache-2.0
// The DeepStream engine: the image encoder runs as a TensorRT engine inside nvinfer, so the service loads the
// model folder's text encoder only (prompts → text embeddings, which the pipeline's decode probe uses per stream);
// each camera runs a DeepStream pipeline (DeepStreamStream), and nvmsgbroker inside it writes Redis, as
// BrokerStatus reports it. One stream per service for now: each stream builds its own pipeline. The pipeline takes
// many streams (DeepStreamPipeline.addSource, nvstreammux batch N): next, this engine owns one and its streams are
// its sources.
import os from 'node:os';
import type { MetricsSnapshot } from '../api/service';
import type { OwlConfig } from '../config/schema';
import { exportBrokerAccess } from '../deepstream/broker-access';
import { deepStreamModel } from '../deepstream/config-input';
import { readDeviceModel } from '../deepstream/engine';
import { loadModelFolder } from '../model/model-folder';
import { PromptSets } from '../model/prompt-sets';
import type { PromptSet } from '../model/prompts';
import { OwlTextEncoder } from '../model/text-encoder';
import type { ServiceStream } from '../service/service-stream';
import type { StreamBaseOptions } from '../service/stream-base';
import { BrokerStatus } from './broker-status';
import { DeepStreamStream, type DeepStreamServiceModel } from './deepstream-stream';
import type { Engine, EngineContext, EngineLimits, EngineModel, RedisWriter } from '../service/engine';

/** nvmsgbroker's counters are not this process's to see. */
const NO_REDIS_COUNTERS: Readonly<MetricsSnapshot['redis']> = Object.freeze(
  { written: 0, queueDepth: 0, dropped: 0, errors: 0, rejected: 0 });

/** The DeepStream engine; see the file comment. */
export class DeepStreamEngine implements Engine {
  readonly name = 'deepstream';
  readonly limits: EngineLimits = {
    streams: {
      max: 1,
      refusal: (running) => `engine deepstream runs one stream per service (its pipeline has a single source) and `
        + `${running[0] || 'one'} is running: remove it first (DELETE /api/v1/live-stream/<id>), or run another `
        + 'service or --engine portable for more cameras',
    },
    // Four times the stall time: nvinfer loads its TensorRT engine while connecting.
    firstFrameMs: (reconnect) => 4 * reconnect.stallTimeoutMs + 1000,
  };
  // Nothing in the pipeline is sized by it: the decode probe takes each stream's prompts as they come.
  readonly maxPromptsLive = true;
  // nvinfer's TensorRT engine is part of the running pipeline.
  readonly modelLive = false;
  readonly trackerLive = false;
  readonly withoutModel = 'no stream can start (nvinfer needs it)';
  readonly redis: RedisWriter;
  readonly #context: EngineContext;
  readonly #broker = new BrokerStatus();
  #model: (DeepStreamServiceModel & { close(): Promise<void> }) | null = null;
  #deviceModel: string | null = null;

  /** @throws {Error} for settings nvmsgbroker cannot follow (redis.tls; see broker-access.ts). */
  constructor(context: EngineContext) {
    this.#context = context;
    exportBrokerAccess(context.config.redis);
    // nvmsgbroker's settings are part of the running pipeline: a changed `redis` section needs a restart.
    this.redis = {
      status: () => ({ ...this.#broker.status(), writer: 'nvmsgbroker' }),
      counters: () => ({ ...NO_REDIS_COUNTERS }),
      update: null,
    };
    context.log.info(`engine deepstream (DeepStream at ${context.binding.deepstreamDir}); `
      + 'Redis is written by nvmsgbroker');
  }

  async loadModel(prompts: PromptSet, settings: OwlConfig['model'],
    prepare: (model: EngineModel) => Promise<void> = async () => undefined): Promise<EngineModel> {
    this.#deviceModel = await readDeviceModel();
    const folder = await loadModelFolder(settings.folder);
    const text = await OwlTextEncoder.load(folder,
      { threads: settings.threads || os.availableParallelism(), cacheSize: settings.textCacheSize });
    const promptSets = new PromptSets((objects) => text.encode(objects), this.#context.promptLimits);
    let deepstream;
    let model: EngineModel;
    try {
      deepstream = deepStreamModel(folder, settings.imageEncoderEngine);
      model = { promptSets, summary: `input ${folder.config.imageSize}px, TensorRT engine ${deepstream.engineFile}`,
        precision: { running: 'tensorrt', warning: null, reason: `the deepstream engine runs the TensorRT engine `
          + `${deepstream.engineFile} (model.precision is for the portable engine)` } };
      await promptSets.set(prompts.objects, prompts.thresholds);
      await prepare(model);
    } catch (err) {
      await text.close();
      throw err;
    }
    const previous = this.#model;
    this.#model = { deepstream, promptSets, close: () => text.close() };
    await previous?.close();
    return model;
  }

  createStream(options: StreamBaseOptions): ServiceStream {
    const { binding, metrics } = this.#context;
    return new DeepStreamStream({ ...options, model: () => this.#model, binding, deviceModel: this.#deviceModel,
      metrics, broker: this.#broker });
  }

  async close(): Promise<void> {
    await this.#model?.close();
    this.#model = null;
  }
}
