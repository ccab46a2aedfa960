// SPDX-License-Identifier: Apache-2.0
// The typed native surface: the only place that loads the addon. Everything else imports `native`.
// OWL_NATIVE_ADDON overrides the path (a build in another folder).
import path from 'node:path';

/** A detection in source-frame pixels. */
export interface NativeDetection {
  /** Index of the prompt (query) that won the patch. */
  label: number;
  score: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

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
  /** Source frame size: boxes are mapped back through the centred square padding (pad_square). */
  frameWidth: number;
  frameHeight: number;
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

  RtspServer: new (options: NativeRtspServerOptions) => NativeRtspServer;
  Pipeline: new (options: NativePipelineOptions, onEvent: (event: NativePipelineEvent) => void,
    onFrame: (frame: NativeFrame) => void) => NativePipeline;

  /** Whether this build has the DeepStream engine (the SDK was found when the addon was built). */
  deepstreamAvailable: boolean;
  /** Where the build looked for the DeepStream SDK (DEEPSTREAM_DIR), for error messages. */
  deepstreamDir: string;
  /** The DeepStream engine: present only when `deepstreamAvailable`. */
  DeepStreamPipeline?: new (options: NativeDeepStreamOptions, onEvent: (event: NativePipelineEvent) => void,
    onFrame: (frame: NativeDeepStreamFrame) => void) => NativeDeepStreamPipeline;
}

/** The part of the addon the DeepStream engine reads (a stand-in can be passed in tests). */
export type DeepStreamBinding = Pick<NativeBinding, 'deepstreamAvailable' | 'deepstreamDir' | 'DeepStreamPipeline'>;

export interface NativeRtspServerOptions {
  /** Address to bind, e.g. "0.0.0.0" or "127.0.0.1". */
  host: string;
  port: number;
}

/** One in-process gst-rtsp-server; pipelines mount their outputs on it. */
export interface NativeRtspServer {
  /** [sync] Binds the port. Throws with code "EADDRINUSE" / "EACCES" naming host:port. */
  start(): void;
  /** The bound port (useful with port 0). */
  port(): number;
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
  };
  overlay: {
    lineWidth: number;
    /** Label text height in output pixels; 0 draws no labels. */
    fontSize: number;
    /** Box colours [r, g, b] 0-255 (ts/pipeline/palette.ts); box `color` i uses palette[i % length]. */
    palette: [number, number, number][];
  };
}

export type NativePipelineState = 'connecting' | 'playing' | 'lost' | 'reconnected' | 'stopped';

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
}

export interface NativePipelineStats {
  framesIn: number;
  framesOut: number;
  framesToModel: number;
  framesDropped: number;
  reconnects: number;
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
   * The whole pipeline as a gst-launch description (ts/deepstream/pipeline-description.ts): nvinfer named
   * "infer", nvstreammux "mux", the encoder (if any) "enc"; errors of "infer", "enc", "msgconv" and
   * "broker" are also reported as error events.
   */
  description: string;
  /** null: headless. Otherwise the description ends in a udpsink that `launch` (udpsrc name=pay0) reads. */
  output: { server: NativeRtspServer; mount: string; launch: string } | null;
  /** Rebuild on error or stall, with exponential backoff (as NativePipelineOptions.reconnect). */
  reconnect: { initialDelayMs: number; maxDelayMs: number; stallTimeoutMs: number };
  /** The bbox parser's decode options (thresholds come with the prompts). */
  decode: { nmsIou: number; maxDetections: number };
}

/** Detections of one frame after nvinfer, in source-frame pixels; flat arrays as NativeDecodeResult. */
export interface NativeDeepStreamFrame {
  frameId: number;
  width: number;
  height: number;
  labels: Int32Array;
  scores: Float32Array;
  /** [N*4] x0, y0, x1, y1 */
  boxes: Float32Array;
}

export interface NativeDeepStreamPipeline {
  /** [sync] Builds and starts; throws with context (missing element or plugin, bad config file...). */
  start(): void;
  /**
   * [sync] New prompts for the bbox parser (from the next frame) and the labels the relabel probe writes
   * into obj_label / display_text. labels.length must equal prompts.numQueries; 0 prompts clears.
   */
  setPrompts(prompts: NativePromptSet, labels: string[]): void;
  stats(): NativePipelineStats;
  /** [async] As NativePipeline.stop: off the JS thread, resolves once stopped and joined. */
  stop(): Promise<void>;
}

/** The addon file this process loads (native/build/Release/owl_stream.node unless OWL_NATIVE_ADDON). */
export const addonPath = process.env.OWL_NATIVE_ADDON
  ?? path.resolve(__dirname, '..', '..', 'native', 'build', 'Release', 'owl_stream.node');

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const native: NativeBinding = require(addonPath);
