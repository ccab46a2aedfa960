// SPDX-License-Identifier: Apache-2.0
// The properties of DeepStream's elements that our pipeline descriptions may set, each one read in the
// plugin sources of DeepStream 6.2, 7.0 and 9.1 (fetched for reading, never committed: NVIDIA/DeepStream for
// 9.1, a copy of a 7.0 install's sources/ and hiennguyen9874/deepstream-sources for 6.2). Where a plugin's
// source is not public, the property is one deepstream-app (apps-common, all three versions) sets on it.
// test/deepstream-engine.test.ts holds every generated description to this list: a new property must be
// checked in the sources and added here first.

/** Element (nvstreammux per muxer) -> the properties checked, with where. `name` is every element's own. */
export const DEEPSTREAM_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  // gst-nvurisrcbin gstdsnvurisrcbin.cpp (9.1); what gst-nvmultiurisrcbincreator sets on nvurisrcbin (6.2, 7.0).
  // select-rtp-protocol: NvDsUriSrcBinRtpProtocol (gst-nvdscommonconfig.h), 4 = TCP in all three.
  nvurisrcbin: ['uri', 'latency', 'select-rtp-protocol', 'file-loop'],
  // The legacy muxer's source is not public: deepstream-app's set_streammux_properties (deepstream_streammux.c)
  // sets these when USE_NEW_NVSTREAMMUX is not "yes" (drop-pipeline-eos for either muxer; runtime_source_add_delete
  // sets it on the legacy one).
  'nvstreammux legacy': ['batch-size', 'width', 'height', 'live-source', 'batched-push-timeout', 'drop-pipeline-eos'],
  // gst-nvmultistream2 gstnvstreammux.cpp (7.0, 9.1): no width, height or live-source.
  'nvstreammux new': ['batch-size', 'batched-push-timeout', 'drop-pipeline-eos'],
  nvinfer: ['config-file-path'],  // gst-nvinfer gstnvinfer.cpp
  // gst-nvtracker gstnvtracker.cpp (7.0, 9.1); deepstream_tracker_bin.c sets the same five (6.2).
  nvtracker: ['ll-lib-file', 'll-config-file', 'tracker-width', 'tracker-height', 'gpu-id'],
  nvstreamdemux: [],
  nvvideoconvert: [],
  nvdsosd: [],
  // gst-v4l2 is not in these trees: deepstream_sink_bin.c sets bitrate (bits/s) and iframeinterval.
  nvv4l2h264enc: ['bitrate', 'iframeinterval'],
  // gst-nvmsgconv gstnvmsgconv.c(pp); payload-type 1 = NVDS_PAYLOAD_DEEPSTREAM_MINIMAL (nvdsmeta_schema.h).
  // comp-id: the events it converts (those of its component, eventMsg->componentId) and stamped on each payload
  // (payloads[p]->componentId), in all three.
  nvmsgconv: ['payload-type', 'comp-id'],
  // gst-nvmsgbroker gstnvmsgbroker.c(pp); a GstBaseSink, hence `sync` and `async`. comp-id: payloads of another
  // component are skipped (all three).
  nvmsgbroker: ['proto-lib', 'conn-str', 'config', 'topic', 'comp-id', 'sync', 'async'],
};

// A property as the generator writes it: key=value or key="quoted \"value\"".
const PROPERTY = String.raw`([\w-]+)=(?:"(?:[^"\\]|\\.)*"|[^\s"!]+)`;

/**
 * The properties set on each DeepStream element of a description, as [element, property] pairs (nvstreammux
 * keyed by `muxer`). Elements that the list above does not name are left out.
 */
export function deepStreamPropertiesUsed(description: string, muxer: 'legacy' | 'new'): [string, string][] {
  const used: [string, string][] = [];
  const elements = new RegExp(String.raw`(?:^|! )([\w-]+)((?: ${PROPERTY})*)`, 'gm');
  for (const [, factory, props] of description.matchAll(elements)) {
    const element = factory === 'nvstreammux' ? `nvstreammux ${muxer}` : factory;
    if (!(element in DEEPSTREAM_PROPERTIES)) continue;
    for (const [, property] of props.matchAll(new RegExp(PROPERTY, 'g'))) {
      if (property !== 'name') used.push([element, property]);
    }
  }
  return used;
}
