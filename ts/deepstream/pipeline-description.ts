// SPDX-License-Identifier: Apache-2.0
// The DeepStream pipeline as one gst-launch description, which the addon parses (gst_parse_launch) and
// runs. Writing it here keeps the policy in TS and the native engine small, and lets tests pin it:
//
//   source -> nvstreammux name=mux -> nvinfer name=infer -> tee name=t
//     t. -> nvvideoconvert -> RGBA -> nvdsosd -> nvvideoconvert -> I420 -> encoder name=enc -> h264parse
//           -> rtph264pay -> udpsink 127.0.0.1:<udpPort>   (the RTSP mount reads it: rtspMountLaunch)
//     t. -> nvmsgconv name=msgconv (minimal schema, new API) -> nvmsgbroker name=broker (Redis)
//
// The encoder and OSD chain follows deepstream-app's RTSP sink (deepstream_sink_bin.c); the RTSP mount is
// its udpsrc factory. Element names are the contract with native/src/deepstream/ds_pipeline.cc.

/** The video source. Files loop; RTSP reconnects are the engine's (rebuild with backoff). */
export type DeepStreamSource =
  | { kind: 'rtsp'; url: string; transport: 'tcp' | 'udp'; latencyMs: number }
  | { kind: 'file'; path: string }
  | { kind: 'test'; pattern: string; width: number; height: number; fps: number };

/** Everything the description depends on. */
export interface DeepStreamPipelineInput {
  source: DeepStreamSource;
  /** nvstreammux output size: object metadata, the OSD and nvmsgconv's coordinates are in these pixels. */
  mux: { width: number; height: number };
  /** The generated nvinfer config (run-folder.ts). */
  inferConfigPath: string;
  /** null: no video output. `hw`: nvv4l2h264enc (NVENC); `sw`: x264enc (Jetson Orin Nano has no NVENC). */
  output: { encoder: 'hw' | 'sw'; bitrateKbps: number; udpPort: number; swPreset: string } | null;
  /** null: no Redis output through nvmsgbroker. */
  broker: {
    msgconvConfigPath: string;
    /** One payload every N frames. */
    frameInterval: number;
    protoLib: string;
    /** `host;port` */
    connStr: string;
    configPath: string;
    /** Redis stream key. */
    topic: string;
  } | null;
}

// RTP payload of the H.264 stream, shared by rtph264pay and the mount's udpsrc caps.
const RTP_CAPS = 'application/x-rtp, media=video, clock-rate=90000, encoding-name=H264, payload=96';
// nvstreammux waits at most this long to form a batch (µs): one frame at 25 fps, as the DS samples.
const MUX_BATCH_TIMEOUT_US = 40000;
const SELECT_RTP_TCP = 4;  // nvurisrcbin select-rtp-protocol: 0 = UDP then TCP, 4 = TCP only

/** A property value as gst_parse_launch reads it: double-quoted, `\` and `"` escaped. */
export function quoteValue(value: string): string {
  if (/[\r\n\0]/.test(value)) {
    throw new Error(`a pipeline property must not contain line breaks: ${JSON.stringify(value)}`);
  }
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The source chain, ending in a link to the muxer's first sink pad. */
function sourceChain(source: DeepStreamSource): string {
  switch (source.kind) {
    case 'rtsp':
      return `nvurisrcbin name=src uri=${quoteValue(source.url)} latency=${source.latencyMs} `
        + `select-rtp-protocol=${source.transport === 'tcp' ? SELECT_RTP_TCP : 0} ! mux.sink_0`;
    case 'file':
      return `nvurisrcbin name=src uri=${quoteValue(fileUri(source.path))} file-loop=true ! mux.sink_0`;
    case 'test': {
      const pattern = source.pattern === '' ? '' : ` pattern=${quoteValue(source.pattern)}`;
      return `videotestsrc name=src is-live=true${pattern} ! `
        + `video/x-raw,width=${source.width},height=${source.height},framerate=${source.fps}/1 ! `
        + 'nvvideoconvert ! video/x-raw(memory:NVMM),format=NV12 ! mux.sink_0';
    }
  }
}

function fileUri(file: string): string {
  // pathToFileURL would resolve against the cwd; the service passes absolute paths.
  if (!file.startsWith('/')) {
    throw new Error(`the DeepStream engine needs an absolute file path, received ${JSON.stringify(file)}`);
  }
  return `file://${file.split('/').map(encodeURIComponent).join('/')}`;
}

function encoder(output: NonNullable<DeepStreamPipelineInput['output']>): string {
  if (output.encoder === 'hw') {
    return 'nvvideoconvert ! video/x-raw(memory:NVMM),format=I420 ! '
      + `nvv4l2h264enc name=enc bitrate=${output.bitrateKbps * 1000} iframeinterval=30`;
  }
  return 'nvvideoconvert ! video/x-raw,format=I420 ! '
    + `x264enc name=enc tune=zerolatency speed-preset=${output.swPreset} bitrate=${output.bitrateKbps} key-int-max=30`;
}

/** The whole pipeline description. @throws {Error} for a relative file path or a line break in a value */
export function deepStreamDescription(input: DeepStreamPipelineInput): string {
  const live = input.source.kind !== 'file';
  const chains = [
    sourceChain(input.source),
    `nvstreammux name=mux batch-size=1 width=${input.mux.width} height=${input.mux.height} `
      + `live-source=${live ? 1 : 0} batched-push-timeout=${MUX_BATCH_TIMEOUT_US} ! `
      + `nvinfer name=infer config-file-path=${quoteValue(input.inferConfigPath)} ! tee name=t`,
  ];
  const { output, broker } = input;
  if (output !== null) {
    chains.push('t. ! queue ! nvvideoconvert ! video/x-raw(memory:NVMM),format=RGBA ! nvdsosd ! '
      + `${encoder(output)} ! h264parse config-interval=-1 ! rtph264pay pt=96 config-interval=1 ! `
      + `udpsink host=127.0.0.1 port=${output.udpPort} sync=false async=false`);
  }
  if (broker !== null) {
    chains.push(`t. ! queue ! nvmsgconv name=msgconv config=${quoteValue(broker.msgconvConfigPath)} payload-type=1 `
      + `msg2p-newapi=true frame-interval=${broker.frameInterval} ! `
      + `nvmsgbroker name=broker proto-lib=${quoteValue(broker.protoLib)} conn-str=${quoteValue(broker.connStr)} `
      + `config=${quoteValue(broker.configPath)} topic=${quoteValue(broker.topic)} sync=false`);
  }
  if (output === null && broker === null) chains.push('t. ! queue ! fakesink sync=false');
  return chains.join('\n');
}

/** What the RTSP server serves at the mount: the udpsink's RTP, shared by every client. */
export function rtspMountLaunch(udpPort: number): string {
  return `( udpsrc name=pay0 port=${udpPort} buffer-size=524288 caps=${quoteValue(RTP_CAPS)} )`;
}
