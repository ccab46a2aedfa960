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
  /** Square model input side in pixels (768 for base-patch32). */
  inputSize: number;
  /** Source frame size: boxes are mapped back through the centred square padding (pad_square). */
  frameWidth: number;
  frameHeight: number;
  /** Class-wise NMS IoU threshold; 0 turns NMS off. */
  nmsIou: number;
  /** Cap on detections per frame (highest scores kept). */
  maxDetections: number;
}

export interface NativeBinding {
  /** [sync] Full decode of one frame. Throws TypeError/RangeError naming the bad field on wrong shapes. */
  decode(image: NativeImageOutputs, prompts: NativePromptSet, options: NativeDecodeOptions): NativeDecodeResult;
  /** [sync] logits [P*Q] = (normalised class embeds · normalised text embeds + shift) * scale (for parity tests). */
  computeLogits(image: NativeImageOutputs, prompts: NativePromptSet): Float32Array;
  /**
   * [sync] RGB bytes (width*height*3, already scaled so max(width,height) == inputSize) to the model's
   * [1,3,S,S] float tensor: centred in the square, padding = mean colour (zero after normalisation).
   */
  preprocess(rgb: Uint8Array, width: number, height: number, inputSize: number,
    mean: [number, number, number], std: [number, number, number]): Float32Array;

  RtspServer: new (options: NativeRtspServerOptions) => NativeRtspServer;
  Pipeline: new (options: NativePipelineOptions, onEvent: (event: NativePipelineEvent) => void,
    onFrame: (frame: NativeFrame) => void) => NativePipeline;
}

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
    fontSize: number;
    showScores: boolean;
  };
}

export type NativePipelineState = 'connecting' | 'playing' | 'lost' | 'reconnected' | 'stopped';

export type NativePipelineEvent =
  | { type: 'state'; state: NativePipelineState; reason: string }
  | { type: 'error'; message: string; code: string; domain: string };

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
  /** Colour index (prompt index); the palette is the native side's. */
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
  /** [sync] The model finished the last frame: the next new frame goes to onFrame. */
  frameDone(): void;
  stats(): NativePipelineStats;
  /** [sync] Stops and joins; idempotent. */
  stop(): void;
}

const addonPath = process.env.OWL_NATIVE_ADDON
  ?? path.resolve(__dirname, '..', '..', 'native', 'build', 'Release', 'owl_stream.node');

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const native: NativeBinding = require(addonPath);
