// SPDX-License-Identifier: Apache-2.0
// STAND-INS for DeepStream's GStreamer elements, which cannot be installed here: a generated pipeline
// description with each DeepStream element replaced by an ordinary element of the same role, names kept
// and DeepStream-only properties dropped. GStreamer can then parse it with nothing missing (no error can
// hide a syntax error) and the DeepStream pipeline harness can run it.

/** DeepStream's elements as used by ts/deepstream/pipeline-description.ts. */
export const DEEPSTREAM_ELEMENTS = ['nvurisrcbin', 'nvstreammux', 'nvinfer', 'nvvideoconvert', 'nvdsosd',
  'nvv4l2h264enc', 'nvmsgconv', 'nvmsgbroker'] as const;

const STAND_IN: Record<(typeof DEEPSTREAM_ELEMENTS)[number], string> = {
  nvurisrcbin: 'videotestsrc is-live=true',  // a live source where the camera would be
  nvstreammux: 'identity',
  nvinfer: 'identity',
  nvvideoconvert: 'videoconvert',
  nvdsosd: 'identity',
  // A key frame every 30 frames, as the description's iframeinterval=30 asks of NVENC.
  nvv4l2h264enc: 'x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30',
  nvmsgconv: 'identity',
  nvmsgbroker: 'fakesink sync=false',
};

// A property as the generator writes it: key=value or key="quoted \"value\"".
const PROPERTY = String.raw`[\w-]+=(?:"(?:[^"\\]|\\.)*"|[^\s"]+)`;

/** The description with stand-ins (see the file comment); system-memory caps instead of NVMM. */
export function withStandIns(description: string): string {
  const elements = new RegExp(`(^|! )(${DEEPSTREAM_ELEMENTS.join('|')})((?: ${PROPERTY})*)`, 'gm');
  return description
    .replace(elements, (_, before: string, factory: keyof typeof STAND_IN, props: string) => {
      const name = / name=(\S+)/.exec(props)?.[1];
      return `${before}${STAND_IN[factory]}${name === undefined ? '' : ` name=${name}`}`;
    })
    .replace(/video\/x-raw\(memory:NVMM\)/g, 'video/x-raw')
    .replace(/ mux\.sink_0/g, ' mux.sink');  // nvstreammux's request pad; identity has one sink pad
}
