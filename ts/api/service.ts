// SPDX-License-Identifier: Apache-2.0
// What the REST API needs from the running service. The supervisor implements ControlService; the API only
// reads snapshots and forwards prompt and stream changes, so it can be tested against an in-memory stand-in.
import type { OwlConfig } from '../config/schema';
import type { PromptSet } from '../model/prompts';

/**
 * Lifecycle of one input stream: `discovering` (asking VST for the RTSP URL), then the pipeline's own states,
 * and `failed` (gave up until restarted, e.g. a file that cannot be decoded). `playing` and `reconnected` both
 * mean frames are flowing.
 */
export type StreamState = 'discovering' | 'connecting' | 'playing' | 'lost' | 'reconnected' | 'stopped' | 'failed';

/** State of one stream, for /ready and /status. */
export interface StreamStatus {
  /** Stream id (also the `stream` label of metrics); the sensor id unless configured apart. */
  id: string;
  state: StreamState;
  /** Why it entered this state (the last transition's reason or error); '' when none. */
  reason: string;
  /** When it entered this state, ISO 8601 UTC. */
  since: string;
}

/** Redis writer state: `ready` when connected, `connecting`/`reconnecting` while trying, `down` after an error. */
export type RedisState = 'connecting' | 'ready' | 'reconnecting' | 'down';

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
  redis: {
    state: RedisState;
    /** The last connection error, or null. */
    error: string | null;
    /**
     * Who writes the stream: `service` (this process's own connection; the default when absent) or `nvmsgbroker`
     * (engine deepstream: the pipeline's broker holds the connection, and `state`/`error` are what the pipeline
     * reports of it, see ts/service/broker-status.ts).
     */
    writer?: 'service' | 'nvmsgbroker';
  };
  streams: StreamStatus[];
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
  redis: {
    /** Messages appended to the stream. */
    written: number;
    /** Messages waiting to be written (gauge). */
    queueDepth: number;
    /** Messages dropped because the queue was full. */
    dropped: number;
    /** Failed writes and connection errors. */
    errors: number;
  };
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
}

/** The running service as the REST API sees it. Implemented by the supervisor. */
export interface ControlService {
  /** The prompts in force. */
  getPrompts(): PromptSet;
  /**
   * Replaces the service-wide prompts (already validated by the API against the configured limits) for every
   * stream, streams with prompts of their own included, and resolves with the prompts now in force once the new
   * text embeddings are in use.
   * @throws {PromptError} (rejects) when the service refuses the list; the API answers 400 with its code.
   * @throws {ApiError} (rejects) for another answer, e.g. 503 while the text encoder is not loaded; any other
   *   rejection answers 500 and is logged.
   */
  setPrompts(objects: string[], thresholds: number[]): Promise<PromptSet>;
  /**
   * Gives one stream prompts of its own (validated by the API; both lists empty: detect nothing on that stream)
   * and resolves with them once in use.
   * @throws {ApiError} (rejects) 422 `unknown_stream`, 503 `model_not_loaded`; {PromptError} as setPrompts.
   */
  setStreamPrompts(id: string, objects: string[], thresholds: number[]): Promise<PromptSet>;
  /**
   * Starts one more stream and resolves once its first frame arrived (it is then listed by streams()).
   * @throws {ApiError} (rejects) 422 `too_many_streams` (the configured maximum is running) or `stream_failed`
   *   (its first connection failed or brought no video: it is removed again; the message says why).
   */
  addStream(stream: NewStream): Promise<StreamInfo>;
  /**
   * Stops one stream and releases what it held (pipeline threads, sockets, RTSP mount); the others run on.
   * @throws {ApiError} (rejects) 422 `unknown_stream`.
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
