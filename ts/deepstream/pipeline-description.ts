// SPDX-License-Identifier: Apache-2.0
// The DeepStream pipeline as gst-launch descriptions, which the addon parses and links (native/src/deepstream/
// ds_pipeline.h). One shared pipeline runs every stream; each stream adds two bins to it while it plays:
//
//   shared:      nvstreammux name=mux (batch-size = most streams) -> nvinfer name=infer (tensor output)
//                  -> [nvtracker name=tracker] -> tee name=t
//                t. -> queue -> nvmsgconv name=msgconv (minimal schema from our event metadata)
//                     -> nvmsgbroker name=broker (Redis)
//                t. -> queue -> nvmsgconv name=msgconv-mqtt -> nvmsgbroker name=broker-mqtt (MQTT), likewise -kafka
//                t. -> queue -> nvstreamdemux name=demux                    (with video outputs)
//   per stream:  source bin (one unlinked src pad)  -> mux.sink_<slot>
//                demux.src_<slot> -> output bin (one unlinked sink pad): nvvideoconvert -> nvdsosd -> encoder
//                  -> rtph264pay -> udpsink 127.0.0.1:<udpPort>  (the stream's RTSP mount reads it: rtspMountLaunch)
//
// One converter per broker. The engine's report probe attaches each stream's objects as event metadata for each
// branch at that branch's interval; with more than one branch each converter/broker pair shares a comp-id and the
// probe stamps it on the branch's events: a converter with a comp-id takes only its own events (gstnvmsgconv.c(pp)),
// and a broker only the payloads stamped with its comp-id (gstnvmsgbroker.cpp), tee handing every branch the same
// buffer and metadata.
//
// Writing them here keeps the policy in TS and the native engine small, and lets tests pin them. The encoder
// and OSD chain follows deepstream-app's RTSP sink (deepstream_sink_bin.c); the RTSP mount is its udpsrc
// factory; adding and removing sources follows the SDK's runtime_source_add_delete sample and
// deepstream-demuxer-dynamic. Element names are the contract with the native side. Every property was checked
// against the plugin sources of DeepStream 6.2, 7.0 and 9.1 (the shared list in
// test/helpers/deepstream-element-properties.ts, which the tests hold every description to).

/** A stream's video source. Files loop; RTSP reconnects are the engine's (per source, with backoff). */
export type DeepStreamSource =
  | { kind: 'rtsp'; url: string; transport: 'tcp' | 'udp'; latencyMs: number }
  | { kind: 'file'; path: string }
  | { kind: 'test'; pattern: string; width: number; height: number; fps: number };

/**
 * The nvstreammux that DeepStream loads in this process (engine.ts nvstreammuxKind). The legacy muxer scales
 * every source to width x height: object metadata and the OSD are in these pixels (Redis and the service get
 * source-frame pixels, scaled back natively). The new one (USE_NEW_NVSTREAMMUX=yes) batches frames at their own
 * size and has no width, height or live-source property (gst-nvmultistream2 gstnvstreammux.cpp): a description
 * that sets them does not parse.
 */
export type DeepStreamMuxer = { kind: 'legacy'; width: number; height: number } | { kind: 'new' };

/** nvtracker after nvinfer (NvMultiObjectTracker, the SDK's low-level tracker library). */
export interface DeepStreamTrackerElement {
  /** libnvds_nvmultiobjecttracker.so inside the SDK. */
  libPath: string;
  /** The generated low-level config (tracker-config.ts). */
  configPath: string;
  /** The size the tracker works at (multiples of 32; NvDCF's visual features scale with it). */
  width: number;
  height: number;
  gpuId: number;
}

/** Everything the shared pipeline depends on. */
export interface DeepStreamCoreInput {
  mux: DeepStreamMuxer;
  /** nvstreammux batch-size: the most streams at once (input.maxStreams); slots 0..maxStreams-1. */
  maxStreams: number;
  /** The legacy muxer's live-source: true unless every stream is a file. */
  liveSources: boolean;
  /** The generated nvinfer config (run-folder.ts). */
  inferConfigPath: string;
  /** null: no tracking (object ids stay DeepStream's untracked id). */
  tracker: DeepStreamTrackerElement | null;
  /** The metadata outputs through nvmsgbroker (none: no metadata out). */
  brokers: readonly BrokerBranch[];
  /** Streams have video outputs: nvstreamdemux gives each its own branch. */
  outputs: boolean;
}

/** One nvmsgconv -> nvmsgbroker branch. */
export interface BrokerBranch {
  /**
   * '' for the Redis branch, whose elements are `msgconv` and `broker` (the names the native pipeline and the
   * broker status know); else a suffix: `mqtt` gives `msgconv-mqtt` and `broker-mqtt`.
   */
  name: string;
  /** One payload every N inferred frames of each stream (the engine's probe; NativeDeepStreamOptions.messages). */
  frameInterval: number;
  protoLib: string;
  /** `host;port` */
  connStr: string;
  configPath: string;
  /** Redis stream key, MQTT topic or Kafka topic. */
  topic: string;
}

/** One stream's video output: the branch after nvstreamdemux. */
export interface DeepStreamOutput {
  /** `hw`: nvv4l2h264enc (NVENC); `sw`: x264enc (Jetson Orin Nano has no NVENC). */
  encoder: 'hw' | 'sw';
  bitrateKbps: number;
  /** The udpsink's port on 127.0.0.1, which the stream's RTSP mount reads. */
  udpPort: number;
  swPreset: string;
  /**
   * The intervideo channel of the stream's RTSP mount held while its input was being discovered (RtspServer.hold),
   * or null: the viewers who came while it was held keep that media, and the output bin feeds it the drawn frames,
   * as the portable engine's pipeline does (new viewers get the mount's udpsrc media).
   */
  heldChannel?: string | null;
}

/**
 * The comp-id of each branch, in order: 0 (none) for a single branch, 1, 2, ... for several (see the file comment).
 * The description and the native pipeline's event messages (NativeDeepStreamOptions.messages) both use it.
 */
export function brokerComponentIds(branches: number): number[] {
  return branches === 1 ? [0] : Array.from({ length: branches }, (_, i) => i + 1);
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

/**
 * A stream's source bin: decoded video (NVMM) on its one unlinked src pad, which the engine links to the
 * muxer's sink pad of the stream's slot. The queue gives nvurisrcbin's dynamic pad a static one to ghost, and
 * each source its own thread into the muxer. nvurisrcbin's own RTSP reconnection stays off (its default):
 * errors reach the engine, which rebuilds this bin alone with backoff.
 * @throws {Error} for a relative file path or a line break in a value.
 */
export function deepStreamSourceDescription(source: DeepStreamSource): string {
  switch (source.kind) {
    case 'rtsp': {
      const transport = source.transport === 'tcp' ? ` select-rtp-protocol=${SELECT_RTP_TCP}` : '';
      return `nvurisrcbin uri=${quoteValue(source.url)} latency=${source.latencyMs}${transport} ! queue`;
    }
    case 'file':
      return `nvurisrcbin uri=${quoteValue(fileUri(source.path))} file-loop=true ! queue`;
    case 'test': {
      const pattern = source.pattern === '' ? '' : ` pattern=${quoteValue(source.pattern)}`;
      return `videotestsrc is-live=true${pattern} ! `
        + `video/x-raw,width=${source.width},height=${source.height},framerate=${source.fps}/1 ! `
        + 'nvvideoconvert ! video/x-raw(memory:NVMM),format=NV12 ! queue';
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

function encoder(output: DeepStreamOutput): string {
  if (output.encoder === 'hw') {
    return 'nvvideoconvert ! video/x-raw(memory:NVMM),format=I420 ! '
      + `nvv4l2h264enc name=enc bitrate=${output.bitrateKbps * 1000} iframeinterval=30`;
  }
  return 'nvvideoconvert ! video/x-raw,format=I420 ! '
    + `x264enc name=enc tune=zerolatency speed-preset=${output.swPreset} bitrate=${output.bitrateKbps} key-int-max=30`;
}

/**
 * A stream's output bin, linked by the engine to nvstreamdemux's src pad of the stream's slot: the stream's
 * frames only, with its objects drawn by nvdsosd, encoded and sent as RTP to the stream's RTSP mount; with a held
 * channel, also handed to the held mount's viewers (in system memory, the newest frame only: the held media encodes
 * them on the CPU while those viewers stay).
 * @throws {Error} for a line break in the held channel.
 */
export function deepStreamOutputDescription(output: DeepStreamOutput): string {
  const held = output.heldChannel ?? null;
  const rtp = `${encoder(output)} ! h264parse config-interval=-1 ! rtph264pay pt=96 config-interval=1 ! `
    + `udpsink host=127.0.0.1 port=${output.udpPort} sync=false async=false`;
  const drawn = 'queue ! nvvideoconvert ! video/x-raw(memory:NVMM),format=RGBA ! nvdsosd';
  if (held === null) return `${drawn} ! ${rtp}`;
  return `${drawn} ! tee name=held ! queue ! ${rtp}\nheld. ! queue leaky=downstream max-size-buffers=1 ! `
    + `nvvideoconvert ! video/x-raw,format=I420 ! intervideosink channel=${quoteValue(held)} sync=false async=false`;
}

/**
 * The muxer with the properties the loaded one has (see DeepStreamMuxer). drop-pipeline-eos: when every stream
 * has gone, the pipeline plays on for the next one (runtime_source_add_delete sets it to run forever).
 */
function muxer(input: DeepStreamCoreInput): string {
  const common = `nvstreammux name=mux batch-size=${input.maxStreams} drop-pipeline-eos=1`;
  if (input.mux.kind === 'new') return `${common} batched-push-timeout=${MUX_BATCH_TIMEOUT_US}`;
  return `${common} width=${input.mux.width} height=${input.mux.height} live-source=${input.liveSources ? 1 : 0} `
    + `batched-push-timeout=${MUX_BATCH_TIMEOUT_US}`;
}

function tracker(element: DeepStreamTrackerElement): string {
  return `nvtracker name=tracker ll-lib-file=${quoteValue(element.libPath)} `
    + `ll-config-file=${quoteValue(element.configPath)} tracker-width=${element.width} `
    + `tracker-height=${element.height} gpu-id=${element.gpuId}`;
}

/**
 * The shared pipeline (see the file comment). Its sinks do not wait for a first buffer (async=false): it
 * plays with no stream at all, and streams come and go.
 * @throws {Error} for maxStreams < 1 or a line break in a value.
 */
export function deepStreamCoreDescription(input: DeepStreamCoreInput): string {
  if (!Number.isInteger(input.maxStreams) || input.maxStreams < 1) {
    throw new Error(`maxStreams must be an integer >= 1, received ${input.maxStreams}`);
  }
  const infer = `nvinfer name=infer config-file-path=${quoteValue(input.inferConfigPath)}`;
  const chains = [[muxer(input), infer, ...(input.tracker === null ? [] : [tracker(input.tracker)]), 'tee name=t']
    .join(' ! ')];
  const { brokers } = input;
  const components = brokerComponentIds(brokers.length);
  brokers.forEach((broker, i) => {
    // Old API (no msg2p-newapi): the payload comes from the event metadata the engine attaches per object, with
    // the stream's sensor id and source-frame coordinates (native/src/deepstream/event_msg.h).
    const suffix = broker.name === '' ? '' : `-${broker.name}`;
    const component = components[i] === 0 ? '' : ` comp-id=${components[i]}`;
    chains.push(`t. ! queue ! nvmsgconv name=msgconv${suffix} payload-type=1${component} ! `
      + `nvmsgbroker name=broker${suffix} proto-lib=${quoteValue(broker.protoLib)} conn-str=${quoteValue(broker.connStr)} `
      + `config=${quoteValue(broker.configPath)} topic=${quoteValue(broker.topic)}${component} sync=false async=false`);
  });
  if (input.outputs) chains.push('t. ! queue ! nvstreamdemux name=demux');
  if (brokers.length === 0 && !input.outputs) chains.push('t. ! queue ! fakesink sync=false async=false');
  return chains.join('\n');
}

/** What the RTSP server serves at a stream's mount: its udpsink's RTP, shared by every client. */
export function rtspMountLaunch(udpPort: number): string {
  return `( udpsrc name=pay0 port=${udpPort} buffer-size=524288 caps=${quoteValue(RTP_CAPS)} )`;
}
