// SPDX-License-Identifier: Apache-2.0
// What the REST API needs from the running service. ServiceControl (ts/service/control.ts) implements it; the API only
// reads snapshots and forwards prompt and stream changes, so it can be tested against an in-memory stand-in.
import type { OwlConfig } from '../config/schema';
import type { NativePipelineState } from '../generated/shared-constants';
import type { PromptSet } from '../model/prompts';

/**
 * Lifecycle of one input stream: `discovering` (asking VST for the RTSP URL), then the pipeline's own states,
 * and `failed` (gave up until restarted, e.g. a file that cannot be decoded). `playing` and `reconnected` both
 * mean frames are flowing.
 */
export type StreamState = 'discovering' | NativePipelineState | 'failed';

/** State of one stream, for /ready and /status. */
export interface StreamStatus {
  /** Stream id (also the `stream` label of metrics); the sensor id unless configured apart. */
  id: string;
  state: StreamState;
  /** Why it entered this state (the last transition's reason or error); '' when none. */
  reason: string;
  /** When it entered this state, ISO 8601 UTC. */
  since: string;
  /**
   * Present when the stream is stuck: milliseconds without a new input frame while its state says frames flow,
   * beyond input.reconnect.stallTimeoutMs (ts/service/frame-watch.ts). /ready is then 503.
   */
  stalledMs?: number;
}

/**
 * State of a metadata output (Redis, MQTT, Kafka): `ready` when connected, `connecting`/`reconnecting` while trying,
 * `down` after an error, `off` when turned off (`redis.enabled` / `mqtt.enabled` / `kafka.enabled` false).
 */
export type OutputState = 'off' | 'connecting' | 'ready' | 'reconnecting' | 'down';

/** How a metadata output fares, for /status. */
export interface OutputStatus {
  state: OutputState;
  /** The last connection error, or null. */
  error: string | null;
  /**
   * Who writes it: `service` (this process's own connection; the default when absent) or `nvmsgbroker`
   * (engine deepstream: the pipeline's broker holds the connection, and `state`/`error` are what the pipeline
   * reports of that output's branch, see ts/engines/broker-status.ts).
   */
  writer?: 'service' | 'nvmsgbroker';
}

/** Counters of a metadata output, for /metrics (monotonic since start, but for the queue depth). */
export interface OutputCounters {
  /** Messages delivered (appended to the stream, acknowledged by the broker). */
  written: number;
  /** Messages waiting to be written (gauge). */
  queueDepth: number;
  /** Messages dropped because the queue was full. */
  dropped: number;
  /** Connection errors (refused, timed out, closed, TLS or password refused) and failed writes. */
  errors: number;
  /** Messages not written because they break the Minimal Schema (e.g. a label with `|`) or the topic rules. */
  rejected: number;
}

/** Overall state, for /ready and /status. */
export interface ServiceStatus {
  /** The engine actually running (`auto` resolved). */
  engine: 'portable' | 'deepstream';
  model: {
    loaded: boolean;
    /** Why the model is not loaded (bad folder, corrupt file, ...), or null. */
    error: string | null;
    /** The image encoder's precision that runs (model.precision resolved) and why; null while not loaded. */
    precision?: ModelPrecisionStatus | null;
  };
  redis: OutputStatus;
  /** The MQTT output (this process's writer with engine portable, nvmsgbroker's with deepstream). */
  mqtt?: OutputStatus;
  /** The Kafka output (engine deepstream: nvmsgbroker's Kafka adaptor); absent where the engine has none. */
  kafka?: OutputStatus;
  streams: StreamStatus[];
  /**
   * Where prompts and streams changed through the API are kept across restarts (config `state.dir`; file null:
   * nothing is kept), and the latest write's error (null when the file holds what is in force).
   */
  state?: { file: string | null; error: string | null };
  /** Process start, ISO 8601 UTC. */
  startedAt: string;
}

/** Which image encoder runs: `fp32`/`int8` (portable engine) or `tensorrt` (deepstream: its engine file's own). */
export interface ModelPrecisionStatus {
  running: 'fp32' | 'int8' | 'tensorrt';
  /** Why, in a sentence (the setting, the folder, the CPU). */
  reason: string;
  /** What to fix, e.g. a missing or corrupt int8 file under `auto` (fp32 runs meanwhile), or null. */
  warning: string | null;
}

/** Description of one stream, for /streams. */
export interface StreamInfo {
  /**
   * Stream id: names it in the API (DELETE /api/v1/live-stream/<id>), in metrics (`stream` label) and in logs.
   * A uuid for a stream added through the API; otherwise the configured id, else derived from the input.
   */
  id: string;
  /** Human-readable name (the configured name, the VST stream name, else the id). */
  name: string;
  /** Sensor id written into its Redis messages (the id unless configured apart). */
  sensorId: string;
  sensorType: string;
  location: string;
  /** The API client's description ('' for configured streams). */
  description: string;
  input: {
    kind: 'rtsp' | 'vst' | 'file' | 'test';
    /** The configured input (the API masks passwords in it). */
    uri: string;
    /** The RTSP URL actually played (differs from `uri` for VST); '' until known. */
    playingUrl: string;
    /** For a VST input: the chosen stream; null otherwise. */
    vst: { streamId: string; name: string } | null;
  };
  /** RTSP URL of the annotated video, or null when output is off. */
  outputUrl: string | null;
  /** Prompts of its own (empty lists: no detection), or null when it uses the service-wide prompts. */
  prompts: PromptSet | null;
}

/** A stream to add while the service runs (POST /api/v1/live-stream). */
export interface NewStream {
  /** An rtsp:// URL, already checked by the API. */
  uri: string;
  /** Free text, kept and listed. */
  description: string;
}

/** Counters of one stream's pipeline (monotonic since start). */
export interface StreamCounters {
  streamId: string;
  framesIn: number;
  framesOut: number;
  /** Frames handed to the model. */
  framesToModel: number;
  /** Frames the model skipped because it was busy (the video branch still showed them). */
  framesDropped: number;
  reconnects: number;
  /** Pipeline state and error events dropped because JS was busy (the latest state still arrives). */
  eventsDropped: number;
}

/** A histogram as counted so far; see ts/api/histogram.ts for a ready-made recorder. */
export interface HistogramSnapshot {
  /** Bucket upper bounds, ascending, in seconds. */
  bounds: number[];
  /** Observations per bucket (not cumulative): `bounds.length + 1` entries, the last for values above every bound. */
  counts: number[];
  /** Sum of all observations, in seconds. */
  sum: number;
}

/** Everything /metrics exposes (counters are monotonic since start, gauges are current values). */
export interface MetricsSnapshot {
  streams: StreamCounters[];
  inferences: number;
  inferenceErrors: number;
  /** Image-encoder + decode time per frame. */
  inferenceLatency: HistogramSnapshot;
  redis: OutputCounters;
  /** The MQTT output's (zeros where this process does not write it). */
  mqtt: OutputCounters;
  /** Successful prompt changes. */
  promptChanges: number;
}

/** One detection, in source-frame pixels. */
export interface DetectedObject {
  /** Object id as written to Redis. */
  id: number;
  label: string;
  score: number;
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** The newest processed frame of one stream. */
export interface FrameDetections {
  streamId: string;
  frameId: number;
  /** ISO 8601 UTC with milliseconds, as in the Redis message. */
  timestamp: string;
  width: number;
  height: number;
  objects: DetectedObject[];
  /**
   * Present (true) when these are frame `frameId`'s image-encoder outputs decoded again after a prompt change, in
   * place of its first detections (the Redis entry is marked the same way).
   */
  redecode?: true;
}

/** The running service as the REST API sees it. Implemented by ServiceControl (ts/service/control.ts). */
export interface ControlService {
  /** The prompts in force. */
  getPrompts(): PromptSet;
  /**
   * Replaces the service-wide prompts (already validated by the API against the configured limits) for every
   * stream, streams with prompts of their own included, and resolves with the prompts now in force once the new
   * text embeddings are in use (on the portable engine: once every stream's newest frame, decoded again with them,
   * is on the overlay, in latestDetections() and queued for Redis).
   * @throws {PromptError} (rejects) when the service refuses the list; the API answers 400 with its code.
   * @throws {ServiceError} (rejects) a refusal of ts/service/errors.ts, e.g. ModelNotLoadedError while the text
   *   encoder is not loaded (ts/api/service-errors.ts maps each to its status); any other rejection answers 500
   *   and is logged.
   */
  setPrompts(objects: string[], thresholds: number[]): Promise<PromptSet>;
  /**
   * Back to the configuration's prompts, service-wide and for every stream (configured streams get their own
   * configured prompts again); forgets the prompts kept for the next start.
   * @returns the service-wide prompts now in force. @throws as setPrompts.
   */
  resetPrompts(): Promise<PromptSet>;
  /**
   * Gives one stream prompts of its own (validated by the API; both lists empty: detect nothing on that stream)
   * and resolves with them once in use.
   * @throws {UnknownStreamError | ModelNotLoadedError} (rejects); {PromptError} as setPrompts.
   */
  setStreamPrompts(id: string, objects: string[], thresholds: number[]): Promise<PromptSet>;
  /**
   * One stream back to the prompts it starts with (its configured ones, else the service-wide ones); forgets those
   * kept for it. @returns the prompts now in force for it. @throws {UnknownStreamError} (rejects).
   */
  resetStreamPrompts(id: string): Promise<PromptSet>;
  /**
   * Starts one more stream and resolves once its first frame arrived (it is then listed by streams()).
   * @throws {StreamLimitError} (rejects) the configured maximum (or the engine's) is running;
   *   {StreamFailedError} its first connection failed or brought no video (it is removed again; the message says
   *   why); {InvalidStreamInputError}, {ServiceStoppingError}.
   */
  addStream(stream: NewStream): Promise<StreamInfo>;
  /**
   * Stops one stream and releases what it held (pipeline threads, sockets, RTSP mount), without blocking the
   * event loop meanwhile; the others run on.
   * @throws {UnknownStreamError} (rejects).
   */
  removeStream(id: string): Promise<void>;
  status(): ServiceStatus;
  metrics(): MetricsSnapshot;
  /** The newest detections of each stream that has processed a frame. */
  latestDetections(): FrameDetections[];
  /** Every running stream, in the order they were started. */
  streams(): StreamInfo[];
  /**
   * The newest annotated frame (boxes drawn) of the first stream as a complete JPEG, or null before the first
   * one. Called up to 10 times a second per viewer: return the frame the video branch already encoded, not a
   * fresh encode. The API never modifies the buffer. May return null for about one frame after a spell without
   * calls (the pipeline encodes JPEGs only while they are asked for): GET /snapshot.jpg asks again meanwhile.
   */
  snapshot(): Buffer | null;
  /** The configuration in force, as is: the API masks the token and URL passwords before sending it. */
  effectiveConfig(): OwlConfig;
}
