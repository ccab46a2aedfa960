// SPDX-License-Identifier: Apache-2.0
// `pipeline`: the video branch alone (no model), measured by bench/harness/video-branch.ts: frames per second
// served and CPU from the RTSP test camera at 720p30 and 1080p30, and the latency the video path adds.
import { defaultConfig } from '../../ts/config/schema';
import type { BenchContext, Scenario } from '../harness/context';
import type { Recorder } from '../harness/report';
import { measureLatency, measureThroughput } from '../harness/video-branch';

const CASES = [
  { key: '720p', width: 1280, height: 720 },
  { key: '1080p', width: 1920, height: 1080 },
] as const;

const SPECS = {
  ...Object.fromEntries(CASES.flatMap(({ key }) => [
    [`fps_${key}`, { unit: 'frames/s', digits: 1, goal: { op: '>=', target: 29 }, description: `${key}30 camera: frames a client of the output receives per second` }],
    [`branch_cores_${key}`, { unit: 'cores', goal: key === '720p' ? { op: '<=', target: 0.5 } : undefined,
      description: `${key}30: CPU with the video branch minus headless (scale, overlay of 5 boxes, x264, RTSP)` }],
    [`branch_ms_${key}`, { unit: 'ms', digits: 1, description: `${key}30: video-branch CPU time per served frame` }],
    [`total_cores_${key}`, { unit: 'cores', description: `${key}30: CPU of the pipeline with the video branch (receive, decode, branch)` }],
  ])),
  camera_to_output_ms: { unit: 'ms', digits: 0, description: 'lag between a client of the camera and a client of the output (same moving ball)' },
  overlay_ms: { unit: 'ms', digits: 0, description: 'setDetections() until the box shows at a client of the output (median of 10)' },
} as const;

export const pipelineScenario: Scenario = {
  name: 'pipeline',
  title: 'Video branch alone: frames per second, CPU and added latency',
  specs: SPECS,
  async run(ctx: BenchContext, rec: Recorder): Promise<void> {
    const { seconds, runs, smoke } = ctx.options;
    const latencyMs = defaultConfig().input.rtsp.latencyMs;
    const cases = smoke ? [{ key: '720p', width: 320, height: 180 }] : CASES;
    Object.assign(rec.settings, { runs, windowS: seconds, source: 'owl_test_camera over RTSP, ball pattern, 30 fps',
      rtspLatencyMs: latencyMs, measuredBy: 'bench/harness/video-branch.ts', ...(smoke ? { smokeCase: '320x180 recorded as 720p, no latency' } : {}) });
    rec.notes.push('CPU is this process\'s own (the pipeline runs in the benchmark process; camera and clients are '
      + 'other processes); each case runs headless first, then with the video branch and a client.');
    for (let run = 0; run < runs; run++) {
      for (const c of cases) {
        const r = await measureThroughput({ width: c.width, height: c.height }, seconds);
        rec.add(`fps_${c.key}`, r.fps);
        rec.add(`branch_cores_${c.key}`, r.cpuCores - r.sourceCpuCores);
        rec.add(`branch_ms_${c.key}`, r.branchMsPerFrame);
        rec.add(`total_cores_${c.key}`, r.cpuCores);
      }
      if (!smoke) {
        const latency = await measureLatency(latencyMs);
        rec.add('camera_to_output_ms', latency.cameraToOutputMs);
        rec.add('overlay_ms', latency.overlayMedianMs);
      }
      ctx.log(`pipeline run ${run + 1}/${runs}: ` + cases.map((c) => `${c.key} ${rec.values(`fps_${c.key}`).at(-1)?.toFixed(1)} fps, `
        + `${rec.values(`branch_cores_${c.key}`).at(-1)?.toFixed(2)} cores`).join('; '));
    }
  },
};
