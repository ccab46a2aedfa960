// SPDX-License-Identifier: Apache-2.0
// The DeepStream engine: the image encoder runs as a TensorRT engine inside nvinfer, so the service loads the
// model folder's text encoder only (prompts → text embeddings, which the pipeline's decode probe uses per stream).
// Every camera of the service is a source of one shared pipeline (SharedDeepStreamPipeline: nvstreammux and nvinfer
// batching up to input.maxStreams of them, started with the first stream, stopped with the service), each one a
// DeepStreamStream; nvmsgbroker inside it writes the metadata outputs, as BrokerStatus reports them.
import os from 'node:os';
import type { OutputCounters } from '../api/service';
import type { OwlConfig } from '../config/schema';
import { exportBrokerAccess } from '../deepstream/broker-access';
import { checkSharedMqttTopic, deepStreamModel } from '../deepstream/config-input';
import { readDeviceModel } from '../deepstream/engine';
import { loadModelFolder } from '../model/model-folder';
import { PromptSets } from '../model/prompt-sets';
import type { PromptSet } from '../model/prompts';
import { OwlTextEncoder } from '../model/text-encoder';
import type { ServiceStream } from '../service/service-stream';
import type { StreamBaseOptions } from '../service/stream-base';
import { BrokerStatus, type BrokerOutput } from './broker-status';
import { SharedDeepStreamPipeline } from './deepstream-shared';
import { DeepStreamStream, type DeepStreamServiceModel } from './deepstream-stream';
import type {
  Engine, EngineContext, EngineLimits, EngineModel, KafkaWriter, MqttWriter, OutputWriter, RedisWriter,
} from '../service/engine';

/** nvmsgbroker's counters are not this process's to see. */
const NO_OUTPUT_COUNTERS: Readonly<OutputCounters> = Object.freeze(
  { written: 0, queueDepth: 0, dropped: 0, errors: 0, rejected: 0 });

/** The DeepStream engine; see the file comment. */
export class DeepStreamEngine implements Engine {
  readonly name = 'deepstream';
  readonly limits: EngineLimits;
  // Nothing in the pipeline is sized by it: the decode probe takes each stream's prompts as they come.
  // nvinfer's TensorRT engine is part of the running pipeline.
  readonly modelLive = false;
  // nvtracker is part of the pipeline: `tracker.enabled` (nvtracker in the pipeline or not) needs a restart, and its
  // own settings are the `deepstream` section's (a restart too); the portable engine's ByteTrack keys do not apply.
  readonly trackerLive = false;
  readonly unusedSettings = ['tracker.drawPredicted', 'tracker.lowScoreRatio', 'tracker.minHits', 'tracker.bufferMs',
    'tracker.matchIou', 'tracker.lowMatchIou'];
  readonly withoutModel = 'no stream can start (nvinfer needs it)';
  readonly redis: RedisWriter;
  readonly mqtt: MqttWriter;
  readonly kafka: KafkaWriter;
  readonly #context: EngineContext;
  readonly #outputs: BrokerStatus;
  readonly #shared: SharedDeepStreamPipeline;
  #model: (DeepStreamServiceModel & { close(): Promise<void> }) | null = null;
  #deviceModel: string | null = null;

  /**
   * @throws {Error} for settings nvmsgbroker cannot follow (redis.tls, see broker-access.ts; an MQTT topic per
   *   sensor, see checkSharedMqttTopic).
   */
  constructor(context: EngineContext) {
    const { config, log, binding } = context;
    this.#context = context;
    exportBrokerAccess(config.redis);
    checkSharedMqttTopic(config.mqtt);
    const max = config.input.maxStreams;
    this.limits = {
      // The pipeline's nvstreammux and nvinfer are built for this batch when it starts.
      streams: {
        max,
        refusal: (running) => `engine deepstream's pipeline takes ${max} streams (input.maxStreams, its nvstreammux `
          + `and nvinfer batch) and ${running.length} are running: remove one first (DELETE `
          + '/api/v1/live-stream/<id>), or raise input.maxStreams, build the TensorRT engine for that batch and restart',
      },
      // Four times the stall time: the first stream waits for nvinfer to load its TensorRT engine.
      firstFrameMs: (reconnect) => 4 * reconnect.stallTimeoutMs + 1000,
    };
    this.#outputs = new BrokerStatus({ redis: config.redis.enabled, mqtt: config.mqtt.enabled,
      kafka: config.kafka.enabled });
    this.#shared = new SharedDeepStreamPipeline({ binding, config, log: log.child('deepstream'),
      outputs: this.#outputs });
    this.redis = this.#writer('redis');
    this.mqtt = this.#writer('mqtt');
    this.kafka = this.#writer('kafka');
    log.info(`engine deepstream (DeepStream at ${binding.deepstreamDir}): one pipeline for up to ${max} streams; `
      + 'its metadata outputs are written by nvmsgbroker');
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
    return new DeepStreamStream({ ...options, model: () => this.#model, shared: this.#shared,
      deviceModel: this.#deviceModel, metrics: this.#context.metrics });
  }

  // An output as nvmsgbroker writes it: its branch's state; its settings are part of the running pipeline (a changed
  // section needs a restart), its counters not this process's to see.
  #writer<Section>(output: BrokerOutput): OutputWriter<Section> {
    return {
      status: () => ({ ...this.#outputs.status(output), writer: 'nvmsgbroker' }),
      counters: () => ({ ...NO_OUTPUT_COUNTERS }),
      update: null,
    };
  }

  /** After the streams left: stops the shared pipeline, then releases the model. */
  async close(): Promise<void> {
    await this.#shared.close();
    await this.#model?.close();
    this.#model = null;
  }
}
