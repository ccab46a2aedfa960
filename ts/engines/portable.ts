// SPDX-License-Identifier: Apache-2.0
// The portable engine: each camera runs a GStreamer pipeline of its own (StreamRunner), all of them share one
// model (OwlDetector: the text encoder here, the image encoder in a worker thread) through the inference
// scheduler, which batches their newest frames, and this process writes the metadata to Redis and/or MQTT
// (MetadataOutputs).
import type { OwlConfig } from '../config/schema';
import { OwlDetector } from '../model/detector';
import type { PromptSet } from '../model/prompts';
import type { ServiceStream } from '../service/service-stream';
import type { StreamBaseOptions } from '../service/stream-base';
import type {
  Engine, EngineContext, EngineLimits, EngineModel, MqttWriter, RedisWriter,
} from '../service/engine';
import { InferenceScheduler } from './inference-scheduler';
import { MetadataOutputs } from './metadata-outputs';
import { StreamRunner } from './stream-runner';

/** Budget for flushing queued metadata at stop (every output at once): the whole stop must end within 2 s. */
const STOP_FLUSH_MS = 1000;

/** The portable engine; see the file comment. */
export class PortableEngine implements Engine {
  readonly name = 'portable';
  readonly limits: EngineLimits = {
    streams: null,
    // Twice the stall time, as the pipeline allows for connecting, and a little more.
    firstFrameMs: (reconnect) => 2 * reconnect.stallTimeoutMs + 1000,
  };
  readonly modelLive = true;
  readonly trackerLive = true;
  readonly unusedSettings = ['deepstream', 'kafka'];
  readonly withoutModel = 'video runs without detection';
  readonly redis: RedisWriter;
  readonly mqtt: MqttWriter;
  readonly #context: EngineContext;
  readonly #outputs: MetadataOutputs;
  readonly #scheduler: InferenceScheduler;
  #detector: OwlDetector | null = null;

  /**
   * Starts connecting the metadata outputs that are on at once (an unreachable server is a warning, and retried).
   * @throws {Error} for output settings that cannot be used (e.g. an unreadable TLS file, named by its key).
   */
  constructor(context: EngineContext) {
    const { config, log } = context;
    this.#context = context;
    this.#outputs = new MetadataOutputs(config, log);
    this.redis = this.#outputs.redis;
    this.mqtt = this.#outputs.mqtt;
    this.#scheduler = new InferenceScheduler(() => this.#detector,
      { maxBatch: config.model.maxBatch, gatherMs: config.model.batchWindowMs });
    if (config.kafka.enabled) {
      log.warn('kafka.enabled applies to engine deepstream only (nvmsgbroker\'s Kafka adaptor); the portable engine '
        + 'has no Kafka output');
    }
  }

  async loadModel(prompts: PromptSet, settings: OwlConfig['model'],
    prepare: (model: EngineModel) => Promise<void> = async () => undefined): Promise<EngineModel> {
    const detector = await OwlDetector.load(settings.folder, {
      threads: settings.threads, nmsIou: settings.nmsIou, maxDetections: settings.maxDetections,
      textCacheSize: settings.textCacheSize, promptLimits: this.#context.promptLimits, precision: settings.precision,
    });
    const { precision: running, reason, warning } = detector.precision;
    const model = { promptSets: detector.promptSets, summary: `input ${detector.inputSize}px`,
      precision: { running, reason, warning } };
    try {
      await detector.promptSets.set(prompts.objects, prompts.thresholds);
      await prepare(model);
    } catch (err) {
      await detector.close();
      throw err;
    }
    const previous = this.#detector;
    this.#detector = detector;
    // Not awaited: the caller moves the streams to the new model in this same turn of the event loop, before any
    // frame of their old pipelines comes (ServiceStream.modelChanged).
    previous?.close().catch((err: Error) => this.#context.log.warn(`the previous model did not close: ${err.message}`));
    return model;
  }

  createStream(options: StreamBaseOptions): ServiceStream {
    this.#scheduler.add(options.key);
    return new StreamRunner({ ...options, detector: () => this.#detector, scheduler: this.#scheduler,
      metadata: this.#outputs, metrics: this.#context.metrics });
  }

  async close(): Promise<void> {
    this.#scheduler.close();
    await this.#outputs.close(STOP_FLUSH_MS);
    await this.#detector?.close();
    this.#detector = null;
  }
}
