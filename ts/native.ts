// SPDX-License-Identifier: Apache-2.0
// The typed native surface: the only place that loads the addon. Everything else imports `native`.
// OWL_NATIVE_ADDON overrides the path (a build in another folder).
import path from 'node:path';

import type { NativePipelineState } from './generated/shared-constants';

/** Decoded detections as flat typed arrays (what crosses the boundary per frame). */
export interface NativeDecodeResult {
  labels: Int32Array;
  scores: Float32Array;
  /** [N*4] x0, y0, x1, y1 in source-frame pixels. */
  boxes: Float32Array;
}

/** Image-encoder outputs of one frame, as ONNX Runtime returns them (batch 1). */
export interface NativeImageOutputs {
  /** [P*D] per-patch class embeddings (not normalised). */
  classEmbeds: Float32Array;
  /** [P] */
  logitShift: Float32Array;
  /** [P] */
  logitScale: Float32Array;
  /** [P*4] x0, y0, x1, y1 normalised to the square model input. */
  boxes: Float32Array;
  numPatches: number;
  embedDim: number;
}

export interface NativePromptSet {
  /** [Q*D] text embeddings (normalised or not: the core normalises). */
  textEmbeds: Float32Array;
  numQueries: number;
  /** [Q], each in [0,1]; keep when score > threshold[label]. */
  thresholds: Float32Array;
}

export interface NativeDecodeOptions {
  /**
   * Source frame size: boxes are mapped back through the centred square padding (pad_square) as `preprocess`
   * laid the frame out in the inputSize square (scaled, whole-pixel padding, the odd pixel right or bottom).
   */
  frameWidth: number;
  frameHeight: number;
  /** The square model input's side S. */
  inputSize: number;
  /** Class-wise NMS IoU threshold; 0 turns NMS off. */
  nmsIou: number;
  /** Cap on detections per frame (highest scores kept); >= 1. */
  maxDetections: number;
}

export interface NativeBinding {
  /**
   * [sync] Full decode of one frame: detections sorted by score, highest first. Reads the typed arrays in
   * place. Throws TypeError (wrong JS type) or RangeError (bad shape or value), naming the field:
   * "Expected <what> for <field> but received <value>".
   */
  decode(image: NativeImageOutputs, prompts: NativePromptSet, options: NativeDecodeOptions): NativeDecodeResult;
  /** [sync] logits [P*Q] = (normalised class embeds · normalised text embeds + shift) * scale (for parity tests). */
  computeLogits(image: NativeImageOutputs, prompts: NativePromptSet): Float32Array;
  /**
   * [sync] RGB bytes (width*height*3, already scaled so max(width,height) == inputSize) to the model's
   * [1,3,S,S] float tensor: centred in the square, padding = mean colour (zero after normalisation),
   * values (x/255 - mean) / std. The result owns a plain (transferable) ArrayBuffer.
   */
  preprocess(rgb: Uint8Array, width: number, height: number, inputSize: number,
    mean: [number, number, number], std: [number, number, number]): Float32Array;

  /**
   * [sync] Routes GLib's g_log messages (GLib, GObject, DeepStream's plugins) and
   * GStreamer's debug log (its levels one step lower: ERROR is `warning`, WARNING `info`, FIXME and INFO `debug`)
   * at `level` and above to `onRecords`, called on the JS thread with what queued up
   * (bounded: `dropped` counts what did not fit). Messages are cut at 1 KiB with control characters escaped.
   * Once per process (ts/pipeline/gst-log.ts): throws with code ESTATE when installed. Keeps nothing alive.
   */
  installLogBridge(onRecords: (records: NativeLogRecord[], dropped: number) => void, level: NativeLogLevel): void;
  /** [sync] Changes the bridge's level (GStreamer's default debug threshold follows unless GST_DEBUG is set). */
  setLogBridgeLevel(level: NativeLogLevel): void;

  RtspServer: new (options: NativeRtspServerOptions) => NativeRtspServer;
  Pipeline: new (options: NativePipelineOptions, onEvent: (event: NativePipelineEvent) => void,
    onFrame: (frame: NativeFrame) => void) => NativePipeline;

  /** The multi-object tracker (ByteTrack, time-aware; native/src/tracker/tracker.h), one per stream. */
  Tracker: new (options: NativeTrackerOptions) => NativeTracker;
  /**
   * The tracker's default options, as the C++ core has them (written once, in native/src/common/shared-constants.json:
   * TRACKER_DEFAULTS in ts/generated/shared-constants.ts is the same).
   */
  trackerDefaults: Readonly<NativeTrackerOptions>;

  /** Whether this build has the DeepStream engine (the SDK was found when the addon was built). */
  deepstreamAvailable: boolean;
  /** Where the build looked for the DeepStream SDK (DEEPSTREAM_DIR), for error messages. */
  deepstreamDir: string;
  /** The DeepStream engine: present only when `deepstreamAvailable`. */
  DeepStreamPipeline?: new (options: NativeDeepStreamOptions, onEvent: (event: NativeDeepStreamEvent) => void,
    onFrame: (frame: NativeDeepStreamFrame) => void) => NativeDeepStreamPipeline;
}

/** Log levels of the GStreamer/GLib bridge, most severe first. */
export type NativeLogLevel = 'error' | 'warning' | 'info' | 'debug';

/** One GStreamer or GLib log message. */
export interface NativeLogRecord {
  level: NativeLogLevel;
  /** The GStreamer debug category (e.g. `rtspsrc`) or the GLib log domain (e.g. `GLib-GObject`). */
  domain: string;
  /** One line: cut at 1 KiB, control characters escaped; GStreamer's start with the element's name, `<src> `. */
  message: string;
}

/** The part of the addon the DeepStream engine reads (a stand-in can be passed in tests). */
export type DeepStreamBinding = Pick<NativeBinding, 'deepstreamAvailable' | 'deepstreamDir' | 'DeepStreamPipeline'>;

export interface NativeRtspServerOptions {
  /** Address to bind, e.g. "0.0.0.0" or "127.0.0.1". */
  host: string;
  port: number;
  /** Basic and digest authentication on every mount; absent or null: none. The user has no ':'. */
  auth?: { user: string; password: string } | null;
}

/** The encoder settings of a held mount (as NativePipelineOptions.output). */
export interface NativeHoldEncoder {
  preset: string;
  bitrateKbps: number;
  /** 0: 1280x720 until a pipeline takes the mount over. */
  width: number;
  height: number;
}

/** One in-process gst-rtsp-server; pipelines mount their outputs on it. */
export interface NativeRtspServer {
  /** [sync] Binds the port. Throws with code "EADDRINUSE" / "EACCES" naming host:port. */
  start(): void;
  /** The bound port (useful with port 0). */
  port(): number;
  /**
   * [sync] Serves black at `mount` until a pipeline started with that mount takes it over (its viewers then see
   * that pipeline's video). Returns the intervideo channel the held mount reads: frames given to an intervideosink
   * of that channel reach its viewers (a portable pipeline taking the mount over feeds it; a DeepStream stream's
   * output bin does, see deepStreamOutputDescription). Throws with code "EMOUNTINUSE", "EINVAL" (unknown preset) or
   * "ESTATE".
   */
  hold(mount: string, encoder: NativeHoldEncoder): string;
  /** [sync] Ends a hold that no pipeline took over (disconnecting its viewers); no-op otherwise. */
  release(mount: string): void;
  stop(): void;
}

export interface NativePipelineOptions {
  input: {
    /** "rtsp" (rtspsrc), "file" (looped), "test" (built-in moving pattern). */
    kind: 'rtsp' | 'file' | 'test';
    /** rtsp:// URL, file path, or for "test" a pattern name. */
    uri: string;
    rtspTransport: 'tcp' | 'udp';
    latencyMs: number;
    /** Only for "test": frame size and rate. */
    width: number;
    height: number;
    fps: number;
  };
  output: {
    /** null: headless (no video branch). */
    server: NativeRtspServer | null;
    /** e.g. "/out" */
    mount: string;
    /** x264enc speed-preset name, e.g. "ultrafast". */
    preset: string;
    bitrateKbps: number;
    /** 0 keeps the source size. */
    width: number;
    height: number;
  };
  inference: {
    /** Square model input side; 0 disables the inference branch. */
    inputSize: number;
    mean: [number, number, number];
    std: [number, number, number];
  };
  reconnect: {
    initialDelayMs: number;
    maxDelayMs: number;
    /** No frame for this long while playing = lost. */
    stallTimeoutMs: number;
    /**
     * "host:port" of the camera, connected to every second while waiting to retry so a returning camera is
     * noticed within about a second; '' for none (file and test inputs). Optional (DeepStream gives none).
     */
    probeAddress?: string;
  };
  overlay: {
    lineWidth: number;
    /** Label text height in output pixels; 0 draws no labels. */
    fontSize: number;
    /** Box colours [r, g, b] 0-255 (ts/pipeline/palette.ts); box `color` i uses palette[i % length]. */
    palette: [number, number, number][];
  };
}

export type { NativePipelineState } from './generated/shared-constants';

/**
 * A state change, or an error of the running pipeline: `source` names the element that raised it (e.g.
 * "broker", "infer", "enc" in the DeepStream description) or "output" (the RTSP mount).
 */
export type NativePipelineEvent =
  | { type: 'state'; state: NativePipelineState; reason: string }
  | { type: 'error'; message: string; code: string; domain: string; source: string };

/** The newest frame for the model, handed over while the model is idle (others are dropped). */
export interface NativeFrame {
  frameId: number;
  /**
   * When the frame was captured, in ms on the pipeline's clock (base time + running time): the clock the video branch
   * times its output frames by, so a tracker updated at this time predicts where to draw on them. Increases across
   * reconnects.
   */
  timestampMs: number;
  /** Source frame size (detections are in these pixels). */
  width: number;
  height: number;
  /** The [1,3,S,S] normalised float tensor; ownership is the caller's. */
  tensor: Float32Array;
}

export interface NativeOverlayBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  text: string;
  /** Colour index (prompt index) into overlay.palette, modulo its length. */
  color: number;
  /** The tracker's id of the object (drawn where setTracker's tracker predicts it), or 0 (drawn at its box). */
  trackId: number;
}

export interface NativePipelineStats {
  framesIn: number;
  framesOut: number;
  framesToModel: number;
  framesDropped: number;
  reconnects: number;
  /**
   * State and error events the addon could not queue for JS (its event queue was full while JS was busy). A
   * dropped state is still delivered once the events queued before it are, so the latest state always arrives.
   */
  eventsDropped: number;
}

export interface NativePipeline {
  /** [sync] Builds and starts; throws with context (bad URI, missing file...). */
  start(): void;
  /** [sync] Replaces the boxes the video branch draws (empty array clears). */
  setDetections(frameId: number, boxes: NativeOverlayBox[]): void;
  /**
   * [sync] Box line width and label size for the boxes set from now on (labels are rendered by setDetections:
   * send the current boxes again to restyle them). TypeError / RangeError naming the field.
   */
  setOverlayStyle(style: { lineWidth: number; fontSize: number }): void;
  /**
   * [sync] The stream's tracker (null: none), kept updated by JS. With drawPredicted, boxes with a trackId are drawn
   * on every frame where the tracker predicts their track at that frame's time (and not once the track is gone).
   * TypeError naming the argument.
   */
  setTracker(tracker: NativeTracker | null, drawPredicted: boolean): void;
  /**
   * [sync] The newest annotated frame as JPEG (a copy; long side at most 1280 px), or null before the first,
   * before start and after stop. JPEG encoding runs only while this is called (at most 10 frames a second, and
   * for 3 s after the last call): the first call after such a pause drops the stale frame and returns null.
   */
  snapshot(): Buffer | null;
  /** [sync] The model finished the last frame: the next new frame goes to onFrame. */
  frameDone(): void;
  stats(): NativePipelineStats;
  /**
   * [async] Stops and joins the pipeline's threads on a libuv worker thread, never blocking the JS thread; resolves
   * once done (the final `stopped` event is queued by then). Idempotent: every call resolves with the same stop.
   */
  stop(): Promise<void>;
}

export interface NativeDeepStreamOptions {
  /**
   * The shared pipeline as a gst-launch description (ts/deepstream/pipeline-description.ts): nvstreammux named
   * "mux", nvinfer "infer" (tensor output), optionally nvtracker "tracker" and nvstreamdemux "demux" (needed for
   * streams with outputs). Errors of "infer", "tracker", "msgconv" and "broker" (and their -mqtt and -kafka
   * twins) are also error events.
   */
  description: string;
  /** Slots 0..maxStreams-1 (nvstreammux batch-size): streams at once. */
  maxStreams: number;
  /** Per stream and for the shared pipeline: rebuild on error or stall, with exponential backoff. */
  reconnect: { initialDelayMs: number; maxDelayMs: number; stallTimeoutMs: number };
  /** The decode's options (thresholds come with each stream's prompts). */
  decode: { nmsIou: number; maxDetections: number };
  /** How nvdsosd draws: box line width, label size (0: no label), scores in labels, colour of prompt i. */
  overlay: { lineWidth: number; fontSize: number; showScores: boolean; palette: [number, number, number][] };
  /**
   * The metadata branches of the description, in order (pipeline-description.ts brokerComponentIds): each stream's
   * inferred frames with objects become event messages for the converter with comp-id `componentId` (0: none set)
   * one in `interval` (>= 1). Empty: no event messages.
   */
  messages: { componentId: number; interval: number }[];
}

/** One stream of the shared pipeline (ts/deepstream/engine.ts deepStreamStream). */
export interface NativeDeepStreamSource {
  /** Its source bin: a gst-launch bin description with one unlinked src pad (decoded video). */
  description: string;
  /** "host:port" of its RTSP camera (no credentials): probed while the stream waits to retry; '' or absent: none. */
  probeAddress?: string;
  /** `sensorId` of its Redis entries (nvmsgconv's minimal schema). */
  sensorId: string;
  /**
   * null: no video. Otherwise `description` is its output bin (one unlinked sink pad, ending in a udpsink) and
   * `launch` (udpsrc name=pay0) what `server` serves at `mount` for as long as the stream is there.
   */
  output: { server: NativeRtspServer; mount: string; launch: string; description: string } | null;
}

/** The detections of one inferred frame of one stream, in source-frame pixels, after the tracker. */
export interface NativeDeepStreamFrame {
  /** The stream's id (addSource). */
  stream: string;
  /** The stream's frame counter (every frame, inferred or not), which is the `id` of its Redis entries. */
  frameId: number;
  /** The stream's frame size (detections are in these pixels, clipped to it). */
  width: number;
  height: number;
  /** Per detection: its prompt's text, from the stream's prompt set when the frame was reported. */
  labels: string[];
  scores: Float32Array;
  /** [N*4] x0, y0, x1, y1 */
  boxes: Float32Array;
  /** The tracker's object id, or -1 where there is no tracker (the payload then has DeepStream's untracked id). */
  trackIds: Float64Array;
}

/** An event of the shared pipeline (no `stream`) or of one of its streams. */
export type NativeDeepStreamEvent = NativePipelineEvent & { stream?: string };

/** Counters of one stream (addSource until removeSource). */
export interface NativeDeepStreamStreamStats {
  /** Frames of the stream into nvstreammux. */
  framesIn: number;
  /** Frames encoded for its output. */
  framesOut: number;
  /** Inferred frames whose detections were handed to JS, and those dropped because JS was busy. */
  framesToJs: number;
  framesDropped: number;
  reconnects: number;
}

export interface NativeDeepStreamPipeline {
  /**
   * [sync] Parses the shared description (ENOPLUGIN for a missing element, EINVAL for a bad one), then starts it
   * on its own thread and returns: nvinfer loads its engine there (state events follow).
   */
  start(): void;
  /**
   * [sync] Adds a stream in a free slot: its RTSP mount is served at once (EMOUNTINUSE if taken), its bins join
   * the playing pipeline (or once it plays); its state events carry `stream`. Throws EEXIST for an id in use,
   * ENOSPC when all maxStreams slots are taken, EINVAL for a source or output description that does not parse.
   */
  addSource(id: string, source: NativeDeepStreamSource): void;
  /**
   * [sync] Removes a stream: its bins leave the pipeline (its last event is `stopped`) and its mount is unmounted;
   * its slot is free again once the frames it had in flight have drained (milliseconds; ENOSPC until then).
   * EINVAL for an unknown id.
   */
  removeSource(id: string): void;
  /**
   * [sync] The stream's prompts from its next inferred frame on, swapped at once for a whole frame;
   * labels.length must equal prompts.numQueries (0 prompts: no detection). Objects of prompts no longer in the set
   * leave the stream's video and reports from its next frame; the others keep their track ids. EINVAL for an
   * unknown id, RangeError for mismatched sizes.
   */
  setPrompts(id: string, prompts: NativePromptSet, labels: string[]): void;
  /** [sync] Line width, label size and scores for boxes drawn from now on. RangeError naming the field. */
  setOverlayStyle(style: { lineWidth: number; fontSize: number; showScores: boolean }): void;
  /** Counters of the shared pipeline (its totals, eventsDropped its events and its streams'), and of each stream. */
  stats(): NativePipelineStats & { streams: Record<string, NativeDeepStreamStreamStats> };
  /**
   * [async] As NativePipeline.stop: every stream's `stopped`, then the pipeline's; off the JS thread, resolves once
   * stopped and joined.
   */
  stop(): Promise<void>;
}

/**
 * Options of native.Tracker; every field is required (start from `native.trackerDefaults`). Ranges are checked
 * by the core: RangeError naming the option.
 */
export interface NativeTrackerOptions {
  /** Detections at or above start and follow tracks, for labels without setThresholds(). [0,1] */
  highScore: number;
  /** Detections at or above (and below highScore) only extend confirmed tracks, never start one. */
  lowScore: number;
  /** Least IoU to match a high detection to a confirmed track. (0,1] */
  matchIou: number;
  /** Least IoU to match a low detection. (0,1] */
  lowMatchIou: number;
  /** Least IoU to match a tentative track. (0,1] */
  tentativeMatchIou: number;
  /** Consecutive matched frames before a track is confirmed and gets an id (>= 1). */
  minHits: number;
  /** A confirmed track unmatched for longer than this (ms) is removed. */
  bufferMs: number;
  /** Detection box noise, as a fraction of the box's size. */
  measurementNoise: number;
  /** Acceleration noise, in box sizes per second². */
  motionNoise: number;
  /** Prior speed uncertainty of a new track, in box sizes per second. */
  initialSpeedStd: number;
  /** Match margin in standard deviations of the predicted centre (0: plain IoU). */
  marginSigmas: number;
  /** Largest match margin per side, as a fraction of the box's width or height. */
  maxMargin: number;
}

/** Confirmed tracks as flat typed arrays, oldest first. */
export interface NativeTrackSet {
  /** Track ids: unique per tracker, increasing, never 0 or reused (exact: below 2^53). */
  ids: Float64Array;
  labels: Int32Array;
  /** The score of each track's last matched detection. */
  scores: Float32Array;
  /** [N*4] x0, y0, x1, y1: update(): the filtered box; predict(): the box extrapolated to the asked time. */
  boxes: Float32Array;
  /** Timestamp (ms) of each track's last matched detection. */
  lastMatchMs: Float64Array;
  /** update(): the index of the detection each track matched at this frame, or -1 (lost). predict(): -1. */
  detections: Int32Array;
}

export interface NativeTrackerUpdate {
  /** Per input detection: its confirmed track's id, or 0 (tentative, unmatched, below lowScore, or no area). */
  trackIds: Float64Array;
  /** The timestamp went backwards: every track was dropped first (a restarted source); ids continue. */
  timeReset: boolean;
  /** Every confirmed track alive after this frame, matched or lost. */
  tracks: NativeTrackSet;
}

/**
 * One stream's tracker. Every call is synchronous and short, under a lock it shares with the video branch of a
 * pipeline it is given to (NativePipeline.setTracker), which only predicts with it.
 */
export interface NativeTracker {
  /**
   * [sync] One model frame at timestampMs (integer ms, any origin): labels [N], scores [N], boxes [N*4] in pixels.
   * Throws TypeError (wrong type) or RangeError (lengths; a non-finite value or negative label, naming the
   * detection), changing nothing.
   */
  update(timestampMs: number, labels: Int32Array, scores: Float32Array, boxes: Float32Array): NativeTrackerUpdate;
  /** [sync] The confirmed tracks' boxes at timestampMs (extrapolated by their velocities), for drawing. */
  predict(timestampMs: number): NativeTrackSet;
  /** [sync] Per-label thresholds (index = label; labels beyond use highScore/lowScore). RangeError if out of [0,1] or low > high. */
  setThresholds(high: Float32Array, low: Float32Array): void;
  /** [sync] Prompts changed: oldToNew[label] = its new index, or -1 (its tracks are dropped; the others keep their ids). */
  remapLabels(oldToNew: Int32Array): void;
  /** [sync] New options from the next call on; tracks and ids are kept. As the constructor: TypeError / RangeError. */
  setOptions(options: NativeTrackerOptions): void;
}

/** The addon file this process loads (native/build/Release/owl_stream.node unless OWL_NATIVE_ADDON). */
export const addonPath = process.env.OWL_NATIVE_ADDON
  ?? path.resolve(__dirname, '..', '..', 'native', 'build', 'Release', 'owl_stream.node');

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const native: NativeBinding = require(addonPath);
