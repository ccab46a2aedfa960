// SPDX-License-Identifier: Apache-2.0
// STAND-INS for DeepStream's GStreamer elements, which cannot be installed here: a generated pipeline
// description with each DeepStream element replaced by a stand-in of the same role, names kept and DeepStream-only
// properties dropped. The elements that carry DeepStream's batch metadata (muxer, nvinfer, nvtracker, demuxer,
// message converter) become the test-only plugin's (native/test/nvds_standin/nvds_standin_plugin.cc, on
// GST_PLUGIN_PATH: standInPluginEnv); the others ordinary elements. GStreamer can then parse a description with
// nothing missing (no error can hide a syntax error) and the engine can run it. nvmsgbroker's stand-in drops the
// payloads, or writes them to Redis (withStandIns' `broker` option).
import path from 'node:path';
import { addonPath } from '../../ts/native';

/** DeepStream's elements as used by ts/deepstream/pipeline-description.ts. */
export const DEEPSTREAM_ELEMENTS = ['nvurisrcbin', 'nvstreammux', 'nvinfer', 'nvtracker', 'nvstreamdemux', 'nvvideoconvert',
  'nvdsosd', 'nvv4l2h264enc', 'nvmsgconv', 'nvmsgbroker'] as const;

/** The frame size of the stand-in camera (every stream the same: the stand-in muxer needs equal caps). */
export const STANDIN_CAMERA = { width: 320, height: 240 };

const STAND_IN: Record<(typeof DEEPSTREAM_ELEMENTS)[number], string> = {
  // A live source where the camera would be, decoded video as nvurisrcbin gives it.
  nvurisrcbin: `videotestsrc is-live=true ! video/x-raw,width=${STANDIN_CAMERA.width},height=${STANDIN_CAMERA.height},`
    + 'framerate=30/1',
  nvstreammux: 'standin-nvstreammux',
  nvinfer: 'standin-nvinfer',
  nvtracker: 'standin-nvtracker',
  nvstreamdemux: 'standin-nvstreamdemux',
  nvvideoconvert: 'videoconvert',
  nvdsosd: 'identity',
  // A key frame every 30 frames, as the description's iframeinterval=30 asks of NVENC.
  nvv4l2h264enc: 'x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30',
  nvmsgconv: 'standin-nvmsgconv',
  nvmsgbroker: 'fakesink sync=false async=false',
};

// A property as the generator writes it: key=value or key="quoted \"value\"".
const VALUE = String.raw`"(?:[^"\\]|\\.)*"|[^\s"]+`;
const PROPERTY = String.raw`[\w-]+=(?:${VALUE})`;

// The properties each stand-in keeps: the converter's and the Redis broker's comp-id (each takes only its
// component's events), and where the Redis broker writes.
const KEPT: Partial<Record<(typeof DEEPSTREAM_ELEMENTS)[number], string[]>> = {
  nvmsgconv: ['comp-id'],
  nvmsgbroker: ['conn-str', 'topic', 'comp-id'],
};

/**
 * The description with stand-ins (see the file comment); system-memory caps instead of NVMM.
 * @param options.broker what stands in for nvmsgbroker: a sink that drops the payloads (`drop`, the default), or
 *   `redis`: the stand-in broker that writes them to Redis at the generated conn-str and topic, failing as
 *   nvmsgbroker does when Redis is not there (native/test/nvds_standin/standin_broker.h).
 */
export function withStandIns(description: string, options: { broker?: 'drop' | 'redis' } = {}): string {
  const elements = new RegExp(`(^|! )(${DEEPSTREAM_ELEMENTS.join('|')})((?: ${PROPERTY})*)`, 'gm');
  const redis = options.broker === 'redis';
  return description
    .replace(elements, (_, before: string, factory: keyof typeof STAND_IN, props: string) => {
      const name = / name=(\S+)/.exec(props)?.[1];
      const standIn = factory === 'nvmsgbroker' && redis ? 'standin-nvmsgbroker sync=false async=false' : STAND_IN[factory];
      const kept = (factory === 'nvmsgbroker' && !redis ? [] : KEPT[factory] ?? []).flatMap((key) => {
        const value = new RegExp(` ${key}=(${VALUE})`).exec(props)?.[1];
        return value === undefined ? [] : [` ${key}=${value}`];
      });
      return `${before}${standIn}${name === undefined ? '' : ` name=${name}`}${kept.join('')}`;
    })
    .replace(/video\/x-raw\(memory:NVMM\)/g, 'video/x-raw');
}

/** The folder of the stand-in plugin, beside the addon (native/CMakeLists.txt). */
export const STANDIN_PLUGIN_DIR = path.join(path.dirname(addonPath), 'gst-standins');

/** An environment in which GStreamer finds the stand-in elements (read when GStreamer initialises). */
export function standInPluginEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const paths = [STANDIN_PLUGIN_DIR, ...(env.GST_PLUGIN_PATH ?? '').split(':').filter((p) => p !== '')];
  return { ...env, GST_PLUGIN_PATH: [...new Set(paths)].join(':') };
}
