// SPDX-License-Identifier: Apache-2.0
// STAND-IN for DeepStream in a real service process (loaded with `node --require`, together with
// OWL_NATIVE_ADDON=<build>/owl_stream_ds_standin.node: the addon with its DeepStream engine compiled against the
// stand-in headers and library, see native/CMakeLists.txt). DeepStream's elements cannot be installed here, so
// every description the service hands to DeepStreamPipeline (the shared part, each stream's source and output
// bins) gets stand-ins in their place (withStandIns; the test-only plugin put on GST_PLUGIN_PATH before GStreamer
// starts), and every setPrompts call is written to stderr as one line
// `[deepstream stand-in] setPrompts {"stream":"...","labels":[...],"numQueries":N,"embedValues":N*D}` for the test
// to read, as is the process environment's DEEPSTREAM_ENABLE_SENSOR_ID_EXTRACTION when a pipeline is created (what
// DeepStream's Redis adaptor would read from then on).
// Everything else is the service's own: the supervisor, the runner, prepareDeepStream, the N-API class, the probes.
import { SENSOR_ID_EXTRACTION_VARIABLE } from '../../ts/deepstream/broker-config';
import { native, type NativeDeepStreamPipeline } from '../../ts/native';
import { standInPluginEnv, withStandIns } from './deepstream-standins';

const Real = native.DeepStreamPipeline;
if (!native.deepstreamAvailable || Real === undefined) {
  throw new Error('the DeepStream stand-in preload needs OWL_NATIVE_ADDON to name owl_stream_ds_standin.node');
}
process.env.GST_PLUGIN_PATH = standInPluginEnv().GST_PLUGIN_PATH;

type Constructor = NonNullable<typeof Real>;

native.DeepStreamPipeline = function DeepStreamPipelineStandIn(...[options, onEvent, onFrame]:
  ConstructorParameters<Constructor>): NativeDeepStreamPipeline {
  const pipeline = new Real({ ...options, description: withStandIns(options.description, { broker: 'redis' }) }, onEvent,
    onFrame);
  process.stderr.write(`[deepstream stand-in] created; ${SENSOR_ID_EXTRACTION_VARIABLE}=`
    + `${process.env[SENSOR_ID_EXTRACTION_VARIABLE] ?? '(unset)'}\n`);
  return {
    start: () => pipeline.start(),
    addSource: (id, source) => pipeline.addSource(id, {
      ...source,
      description: withStandIns(source.description),
      output: source.output === null ? null : { ...source.output, description: withStandIns(source.output.description) },
    }),
    removeSource: (id) => pipeline.removeSource(id),
    setPrompts: (stream, prompts, labels) => {
      pipeline.setPrompts(stream, prompts, labels);
      process.stderr.write(`[deepstream stand-in] setPrompts ${JSON.stringify({ stream, labels,
        numQueries: prompts.numQueries, embedValues: prompts.textEmbeds.length })}\n`);
    },
    setOverlayStyle: (style) => pipeline.setOverlayStyle(style),
    stats: () => pipeline.stats(),
    stop: () => pipeline.stop(),
  };
} as unknown as Constructor;
