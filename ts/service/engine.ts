// SPDX-License-Identifier: Apache-2.0
// The seam between the service core and the engine that runs the video. The core (ts/service/) composes streams,
// prompts, the API and reloads through this interface alone; the engine owns what differs: its model, its
// streams' pipelines, its metadata outputs, its limits. The implementations live in ts/engines/: PortableEngine
// (portable.ts: GStreamer + ONNX Runtime, this process writes Redis and MQTT) and DeepStreamEngine (deepstream.ts:
// nvinfer, nvmsgbroker writes them). The composition root (supervisor.ts) picks one, once, with resolveEngine.
//
// Streams: createStream hands out one ServiceStream per camera. An engine may share one pipeline among its
// streams (the portable engine shares its model through a scheduler; a DeepStream engine with an nvstreammux of
// batch N would own one pipeline and hand out per-source streams attached to it): what is shared is the engine's,
// and limits.maxStreams says how many it takes.
import type { ModelPrecisionStatus, OutputCounters, OutputStatus, ServiceStatus } from '../api/service';
import type { OwlConfig } from '../config/schema';
import type { PromptSets } from '../model/prompt-sets';
import type { PromptLimits, PromptSet } from '../model/prompts';
import type { NativeBinding } from '../native';
import type { InferenceMetrics } from './inference-metrics';
import type { Logger } from './logger';
import type { ServiceStream } from './service-stream';
import type { StreamBaseOptions } from './stream-base';

/** The engines there are (`auto` resolved). */
export type EngineName = ServiceStatus['engine'];

/** What an engine can take. */
export interface EngineLimits {
  /**
   * Streams it runs at once in one service, and the refusal of one more naming the running ones (what to do
   * instead); null for no limit of its own (input.maxStreams applies in any case).
   */
  streams: { max: number; refusal(running: readonly string[]): string } | null;
  /**
   * How long a new stream may take to its first frame before it counts as failed: as long as its pipeline allows
   * for connecting, and a little more.
   */
  firstFrameMs(reconnect: OwlConfig['input']['reconnect']): number;
}

/** The model as the service core uses it, whichever engine loaded it. */
export interface EngineModel {
  /** Named prompt sets with their text embeddings: the service-wide one and each stream's own. */
  promptSets: PromptSets;
  /** What was loaded, for the log (e.g. "input 768px, TensorRT engine owl.engine"). */
  summary: string;
  /** Which image encoder runs and why (model.precision resolved by the engine), for the log and /status. */
  precision: ModelPrecisionStatus;
}

/** Who writes the metadata to one output (Redis, MQTT), and how it fares. */
export interface OutputWriter<Section> {
  /** State for /status (`writer` says who holds the connection). */
  status(): OutputStatus;
  /** Counters for /metrics (zeros where the engine's writer has none). */
  counters(): OutputCounters;
  /**
   * Applies a changed config section while running (turning the output on or off included); null when the writer is
   * part of the running pipeline, so a change needs a restart.
   */
  readonly update: ((section: Section) => void) | null;
}

/** Who writes the metadata to Redis. */
export type RedisWriter = OutputWriter<OwlConfig['redis']>;

/** Who writes the metadata to MQTT. */
export type MqttWriter = OutputWriter<OwlConfig['mqtt']>;

/** Who writes the metadata to Kafka. */
export type KafkaWriter = OutputWriter<OwlConfig['kafka']>;

/** What the composition root hands an engine. */
export interface EngineContext {
  /** The configuration at start (each stream gets the one in force when it starts). */
  config: OwlConfig;
  log: Logger;
  /** Inference counters the engine's streams add to. */
  metrics: InferenceMetrics;
  /** The prompt limits in force, read at each use (a reload updates the object in place). */
  promptLimits: PromptLimits;
  /** The loaded addon (a stand-in in tests). */
  binding: NativeBinding;
}

/** An engine; see the file comment. */
export interface Engine {
  readonly name: EngineName;
  readonly limits: EngineLimits;
  readonly redis: RedisWriter;
  /**
   * The MQTT output: this process's writer (engine portable) or the pipeline's (DeepStream's nvmsgbroker: `update`
   * null, its settings need a restart); absent where the engine has none.
   */
  readonly mqtt?: MqttWriter;
  /** The Kafka output, where the engine has one (DeepStream's nvmsgbroker). */
  readonly kafka?: KafkaWriter;
  /**
   * Whether a changed `tracker` section applies to running streams (ServiceStream.setTracker) or needs a restart (a
   * tracker that is part of the engine's pipeline, such as DeepStream's nvtracker).
   */
  readonly trackerLive: boolean;
  /**
   * Settings this engine has no use for, as dotted keys or whole sections (the portable engine: `deepstream`;
   * DeepStream's nvtracker: the `tracker` section's ByteTrack keys): a reload says a change to them has no effect
   * rather than asking for a restart.
   */
  readonly unusedSettings: readonly string[];
  /** What runs while the model is not loaded, for the log (e.g. "video runs without detection"). */
  readonly withoutModel: string;
  /**
   * Whether loadModel may run again while streams run, replacing the model in use (a reload after the model's
   * settings or files changed); false where the model is part of the running pipelines (nvinfer's engine).
   */
  readonly modelLive: boolean;
  /**
   * Loads the model folder of `settings` (the part this engine runs itself) and encodes `prompts`, the service-wide
   * prompts in force, then runs `prepare` (e.g. the streams' own prompts into its prompt sets), so no frame is
   * decoded without them; then the engine uses it for its streams, and a model it used before is closed.
   * @throws {ModelError} naming the missing, corrupt or mismatched file and the fix; what `prepare` throws. Nothing
   *   is kept then, and a model in use before stays in use.
   */
  loadModel(prompts: PromptSet, settings: OwlConfig['model'],
    prepare?: (model: EngineModel) => Promise<void>): Promise<EngineModel>;
  /** A new stream, not started (ServiceStream.start starts it). */
  createStream(options: StreamBaseOptions): ServiceStream;
  /** After the streams stopped: flushes the metadata outputs (bounded) and releases the model. */
  close(): Promise<void>;
}
