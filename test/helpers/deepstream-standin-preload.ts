// SPDX-License-Identifier: Apache-2.0
// STAND-IN for DeepStream in a real service process (loaded with `node --require`, together with
// OWL_NATIVE_ADDON=<build>/owl_stream_ds_standin.node: the addon with its DeepStream engine compiled against the
// stand-in headers and metadata, see native/CMakeLists.txt). DeepStream's elements cannot be installed here, so
// every pipeline description the service hands to DeepStreamPipeline gets ordinary elements in their place
// (withStandIns), and every setPrompts call is written to stderr as one line
// `[deepstream stand-in] setPrompts {"labels":[...],"numQueries":N,"embedValues":N*D}` for the test to read,
// as is the process environment's DEEPSTREAM_ENABLE_SENSOR_ID_EXTRACTION when a pipeline is created (what
// DeepStream's Redis adaptor would read from then on).
// Everything else is the service's own: the supervisor, the runner, prepareDeepStream, the N-API class, the probe.
import { SENSOR_ID_EXTRACTION_VARIABLE } from '../../ts/deepstream/broker-config';
import { native, type NativeDeepStreamPipeline } from '../../ts/native';
import { withStandIns } from './deepstream-standins';

const Real = native.DeepStreamPipeline;
if (!native.deepstreamAvailable || Real === undefined) {
  throw new Error('the DeepStream stand-in preload needs OWL_NATIVE_ADDON to name owl_stream_ds_standin.node');
}

type Constructor = NonNullable<typeof Real>;

native.DeepStreamPipeline = function DeepStreamPipelineStandIn(...[options, onEvent, onFrame]:
  ConstructorParameters<Constructor>): NativeDeepStreamPipeline {
  const pipeline = new Real({ ...options, description: withStandIns(options.description) }, onEvent, onFrame);
  process.stderr.write(`[deepstream stand-in] created; ${SENSOR_ID_EXTRACTION_VARIABLE}=`
    + `${process.env[SENSOR_ID_EXTRACTION_VARIABLE] ?? '(unset)'}\n`);
  return {
    start: () => pipeline.start(),
    setPrompts: (prompts, labels) => {
      pipeline.setPrompts(prompts, labels);
      process.stderr.write(`[deepstream stand-in] setPrompts ${JSON.stringify({ labels, numQueries: prompts.numQueries,
        embedValues: prompts.textEmbeds.length })}\n`);
    },
    stats: () => pipeline.stats(),
    stop: () => pipeline.stop(),
  };
} as unknown as Constructor;
