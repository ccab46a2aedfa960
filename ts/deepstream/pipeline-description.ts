// SPDX-License-Identifier: Apache-2.0
// The DeepStream pipeline as one gst-launch description, which the addon parses (gst_parse_launch) and
// runs. Writing it here keeps the policy in TS and the native engine small, and lets tests pin it:
//
//   source -> nvstreammux name=mux (legacy or new) -> nvinfer name=infer -> tee name=t
//     t. -> nvvideoconvert -> RGBA -> nvdsosd -> nvvideoconvert -> I420 -> encoder name=enc -> h264parse
//           -> rtph264pay -> udpsink 127.0.0.1:<udpPort>   (the RTSP mount reads it: rtspMountLaunch)
//     t. -> nvmsgconv name=msgconv (minimal schema, new API) -> nvmsgbroker name=broker (Redis)
//     t. -> nvmsgconv name=msgconv-mqtt -> nvmsgbroker name=broker-mqtt (MQTT), likewise -kafka (Kafka)
//
// One converter per broker, each with its own frame interval. With more than one, each pair shares a comp-id: the
// converters attach their payloads to the same frame metadata (tee hands every branch the same buffer), and a
// broker with comp-id 0 would send every payload it finds, the other outputs' included (gstnvmsgbroker.cpp skips
// payloads whose componentId differs from a non-zero comp-id; gstnvmsgconv.c(pp) stamps its comp-id on each).
//
// The encoder and OSD chain follows deepstream-app's RTSP sink (deepstream_sink_bin.c); the RTSP mount is
// its udpsrc factory. Element names are the contract with native/src/deepstream/ds_pipeline.cc. Every
// property was checked against the plugin sources of DeepStream 6.2, 7.0 and 9.1 (see the shared list in
// test/helpers/deepstream-element-properties.ts, which the tests hold every description to).

/** The video source. Files loop; RTSP reconnects are the engine's (rebuild with backoff). */
export type DeepStreamSource =
  | { kind: 'rtsp'; url: string; transport: 'tcp' | 'udp'; latencyMs: number }
  | { kind: 'file'; path: string }
  | { kind: 'test'; pattern: string; width: number; height: number; fps: number };

/**
 * The nvstreammux that DeepStream loads in this process (engine.ts nvstreammuxKind). The legacy muxer scales
 * every source to width x height: object metadata, the OSD and nvmsgconv's coordinates are in these pixels.
 * The new one (USE_NEW_NVSTREAMMUX=yes) batches frames at their own size and has no width, height or
 * live-source property (gst-nvmultistream2 gstnvstreammux.cpp): a description that sets them does not parse.
 */
export type DeepStreamMuxer = { kind: 'legacy'; width: number; height: number } | { kind: 'new' };

/** Everything the description depends on. */
export interface DeepStreamPipelineInput {
  source: DeepStreamSource;
  mux: DeepStreamMuxer;
  /** The generated nvinfer config (run-folder.ts). */
  inferConfigPath: string;
  /** null: no video output. `hw`: nvv4l2h264enc (NVENC); `sw`: x264enc (Jetson Orin Nano has no NVENC). */
  output: { encoder: 'hw' | 'sw'; bitrateKbps: number; udpPort: number; swPreset: string } | null;
  /** The metadata outputs through nvmsgbroker (none: no metadata out). */
  brokers: readonly BrokerBranch[];
}

/** One nvmsgconv -> nvmsgbroker branch. */
export interface BrokerBranch {
  /**
   * '' for the Redis branch, whose elements are `msgconv` and `broker` (the names the native pipeline and the
   * broker status know); else a suffix: `mqtt` gives `msgconv-mqtt` and `broker-mqtt`.
   */
  name: string;
  msgconvConfigPath: string;
  /** One payload every N frames. */
  frameInterval: number;
  protoLib: string;
  /** `host;port` */
  connStr: string;
  configPath: string;
  /** Redis stream key, MQTT topic or Kafka topic. */
  topic: string;
}

// RTP payload of the H.264 stream, shared by rtph264pay and the mount's udpsrc caps.
const RTP_CAPS = 'application/x-rtp, media=video, clock-rate=90000, encoding-name=H264, payload=96';
// nvstreammux waits at most this long to form a batch (µs, both muxers): one frame at 25 fps, as the DS samples.
const MUX_BATCH_TIMEOUT_US = 40000;
// nvurisrcbin select-rtp-protocol: 4 is TCP only in every version (NvDsUriSrcBinRtpProtocol, gst-nvdscommonconfig.h).
// UDP is the property's default, left unset: UDP, then UDP multicast, then TCP (0 "multi" in DS 6.2/7.0, 7 in
// 9.1, where 0 means "unknown": nvurisrcbin logs a warning and falls back to 7).
const SELECT_RTP_TCP = 4;

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
    case 'rtsp': {
      const transport = source.transport === 'tcp' ? ` select-rtp-protocol=${SELECT_RTP_TCP}` : '';
      return `nvurisrcbin name=src uri=${quoteValue(source.url)} latency=${source.latencyMs}${transport} ! mux.sink_0`;
    }
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

/** The muxer with the properties the loaded one has (see DeepStreamMuxer). */
function muxer(mux: DeepStreamMuxer, source: DeepStreamSource): string {
  if (mux.kind === 'new') return `nvstreammux name=mux batch-size=1 batched-push-timeout=${MUX_BATCH_TIMEOUT_US}`;
  const live = source.kind !== 'file';
  return `nvstreammux name=mux batch-size=1 width=${mux.width} height=${mux.height} live-source=${live ? 1 : 0} `
    + `batched-push-timeout=${MUX_BATCH_TIMEOUT_US}`;
}

/** The whole pipeline description. @throws {Error} for a relative file path or a line break in a value */
export function deepStreamDescription(input: DeepStreamPipelineInput): string {
  const chains = [
    sourceChain(input.source),
    `${muxer(input.mux, input.source)} ! nvinfer name=infer config-file-path=${quoteValue(input.inferConfigPath)} `
      + '! tee name=t',
  ];
  const { output, brokers } = input;
  if (output !== null) {
    chains.push('t. ! queue ! nvvideoconvert ! video/x-raw(memory:NVMM),format=RGBA ! nvdsosd ! '
      + `${encoder(output)} ! h264parse config-interval=-1 ! rtph264pay pt=96 config-interval=1 ! `
      + `udpsink host=127.0.0.1 port=${output.udpPort} sync=false async=false`);
  }
  brokers.forEach((broker, i) => {
    const suffix = broker.name === '' ? '' : `-${broker.name}`;
    const component = brokers.length > 1 ? ` comp-id=${i + 1}` : '';
    chains.push(`t. ! queue ! nvmsgconv name=msgconv${suffix} config=${quoteValue(broker.msgconvConfigPath)} `
      + `payload-type=1 msg2p-newapi=true frame-interval=${broker.frameInterval}${component} ! `
      + `nvmsgbroker name=broker${suffix} proto-lib=${quoteValue(broker.protoLib)} conn-str=${quoteValue(broker.connStr)} `
      + `config=${quoteValue(broker.configPath)} topic=${quoteValue(broker.topic)}${component} sync=false`);
  });
  if (output === null && brokers.length === 0) chains.push('t. ! queue ! fakesink sync=false');
  return chains.join('\n');
}

/** What the RTSP server serves at the mount: the udpsink's RTP, shared by every client. */
export function rtspMountLaunch(udpPort: number): string {
  return `( udpsrc name=pay0 port=${udpPort} buffer-size=524288 caps=${quoteValue(RTP_CAPS)} )`;
}
