// SPDX-License-Identifier: Apache-2.0
// The defaults that more than one layer applies, written once (the tracker's own algorithm settings are written in
// native/src/common/shared-constants.json, shared with its C++ core: TRACKER_DEFAULTS in ts/generated/). The service
// schema (schema.ts, documented in configs/default.yaml), the Pipeline API (ts/pipeline/options.ts), the Redis
// publisher (ts/redis/publisher-options.ts) and the detector (ts/model/detector.ts) all take them from here, so that
// a program using the Pipeline API or the detector directly gets what a user of the service gets.
// test/defaults.test.ts holds every layer to them.

/** `input.rtsp`: TCP survives lossy networks and NAT; 50 ms of jitter buffer, as the seed app used. */
export const RTSP_DEFAULTS = { transport: 'tcp', latencyMs: 50 } as const;

/**
 * `model.precision`: `auto` runs the folder's int8 image encoder where the CPU has int8 dot products (about twice as
 * fast there), else fp32. The service schema and OwlDetector (ts/model/detector.ts) both apply it.
 */
export const MODEL_PRECISION_DEFAULT = 'auto';

/** `input.test`: size and rate of the built-in test source. */
export const TEST_SOURCE_DEFAULTS = { width: 1280, height: 720, fps: 30 } as const;

/** `input.reconnect`: the first retry after 1 s, doubling up to 30 s; 5 s without a frame is a lost input. */
export const RECONNECT_DEFAULTS = { initialDelayMs: 1000, maxDelayMs: 30_000, stallTimeoutMs: 5000 } as const;

/** `output.url`: where the seed app served its video (its `--stream_output`). */
export const OUTPUT_URL_DEFAULT = 'rtsp://0.0.0.0:6000/out';

/**
 * `output.encoder`: the fastest x264 preset (on small CPUs the encoder competes with the model), 2 Mbit/s,
 * the source's size (0).
 */
export const ENCODER_DEFAULTS = { preset: 'ultrafast', bitrateKbps: 2000, width: 0, height: 0 } as const;

/** `overlay`: box line width and label height in output pixels; scores not shown. */
export const OVERLAY_DEFAULTS = { lineWidth: 3, fontSize: 20, showScores: false } as const;

/**
 * `redis`: the seed app's target (localhost:6379, stream `owl`) and the metadata output's bounds; no password,
 * no TLS (the system's CAs when TLS is on).
 */
export const REDIS_DEFAULTS = {
  host: 'localhost',
  port: 6379,
  stream: 'owl',
  maxlen: 10_000,
  outputInterval: 1,
  queueSize: 1000,
  idFormat: 'string',
  password: '',
  tls: false,
  tlsCaFile: '',
} as const;

/**
 * `mqtt`: a broker on this machine (Mosquitto's default port), one topic per sensor, QoS 0 (at most once, as
 * DeepStream's MQTT adaptor sends), every processed frame, the same queue bound as Redis.
 */
export const MQTT_DEFAULTS = {
  url: 'mqtt://localhost:1883',
  topic: 'owl/{sensorId}',
  qos: 0,
  outputInterval: 1,
  queueSize: 1000,
} as const;

/**
 * `tracker`: on; each live track drawn where it is predicted at every output frame; detections down to half the
 * prompt's threshold feed ByteTrack's second stage (they extend tracks, never start one).
 */
export const TRACKING_DEFAULTS = { enabled: true, drawPredicted: true, lowScoreRatio: 0.5 } as const;

/**
 * `deepstream`: nvinfer infers every batch (interval 0) at the batch of `input.maxStreams` (0); nvtracker runs
 * NvMultiObjectTracker's NvDCF at 640x384 with the SDK sample's perf-tuned lifetimes (probation 2 frames, a lost
 * track kept 51 frames, about 1.7 s at 30 fps).
 */
export const DEEPSTREAM_DEFAULTS = {
  inferInterval: 0,
  inferBatchSize: 0,
  tracker: {
    algorithm: 'NvDCF', width: 640, height: 384, minDetectorConfidence: 0, probationAge: 2, maxShadowTrackingAge: 51,
    maxTargetsPerStream: 150,
  },
} as const;
