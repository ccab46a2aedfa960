// SPDX-License-Identifier: Apache-2.0
// `limit`: how close the image encoder runs to this CPU's limit. Its work per frame is counted from the ONNX
// graph (cost.json, written by deploy/export/owl_cost.py); the limit is the fp32 matrix-multiply rate this
// machine reaches through onnxruntime-node on the same threads, measured alternately with the encoder.
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { BareEncoder, timeLoop } from '../harness/bare-encoder';
import type { BenchContext, Scenario } from '../harness/context';
import { matmulModel } from '../harness/matmul-model';
import type { MetricSpec, Recorder } from '../harness/report';

/** MatMul shapes tried for the peak: the encoder's own (577 tokens), and larger ones. */
const SHAPES: Record<string, [number, number, number, string]> = {
  fc1: [577, 768, 3072, ' (an encoder layer\'s MLP, first half)'],
  fc2: [577, 3072, 768, ' (its second half)'],
  square: [2048, 2048, 2048, ''],
  wide: [4096, 4096, 1024, ''],
};

const SPECS: Record<string, MetricSpec> = {
  fraction_of_limit: { unit: '×', ratio: true,
    description: 'encoder FLOP/s in the bare loop / the machine\'s peak matrix-multiply FLOP/s' },
  peak_gflops: { unit: 'GFLOP/s', digits: 0, description: 'fastest of the MatMul shapes below (the limit)' },
  encoder_gflops: { unit: 'GFLOP/s', digits: 0, description: 'encoder FLOPs per frame × bare loop frames per second' },
  encoder_gflop_per_frame: { unit: 'GFLOP', digits: 1, description: 'matrix-product FLOPs of one frame, from the graph' },
  limit_ms: { unit: 'ms', digits: 0, description: 'time per frame at the peak rate' },
  bare_ms: { unit: 'ms', digits: 0, description: 'bare loop: time per frame' },
  ...Object.fromEntries(Object.entries(SHAPES).map(([name, [m, k, n, what]]) => [`matmul_${name}_gflops`,
    { unit: 'GFLOP/s', digits: 0, description: `MatMul ${m}×${k} · ${k}×${n}${what}` }])),
};

/** cost.json of a model folder (deploy/export/owl_cost.py). */
interface Cost {
  imageEncoder: { flops: number; byOp: Record<string, number> };
}

async function matmulRate(m: number, k: number, n: number, threads: number, seconds: number): Promise<number> {
  const session = await ort.InferenceSession.create(matmulModel(m, k, n), {
    executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
  });
  try {
    const x = new ort.Tensor('float32', Float32Array.from({ length: m * k }, (_, i) => Math.cos(i) * 0.1), [m, k]);
    const rate = await timeLoop(() => session.run({ X: x }), seconds);
    return (2 * m * k * n * rate.fps) / 1e9;
  } finally {
    await session.release();
  }
}

export const limitScenario: Scenario = {
  name: 'limit',
  title: 'The machine\'s limit: encoder FLOP/s against the peak fp32 matrix-multiply rate',
  specs: SPECS,
  async run(ctx: BenchContext, rec: Recorder): Promise<void> {
    const { seconds, runs, threads, smoke } = ctx.options;
    const cost = JSON.parse(fs.readFileSync(path.join(ctx.model, 'cost.json'), 'utf8')) as Cost;
    const flops = cost.imageEncoder.flops;
    Object.assign(rec.settings, { model: ctx.model, threads, runs, windowS: seconds,
      flopsByOp: cost.imageEncoder.byOp, order: `per run: MatMul ${Object.keys(SHAPES).join(', ')}, encoder` });
    rec.notes.push('FLOPs count the matrix products of the graph (a multiply-add is 2): the weight MatMuls and the '
      + 'patch convolution make the 102.5 GFLOP of decisions.md, attention\'s two activation products add 12.3.',
    'The peak is what onnxruntime-node\'s MLAS kernels reach on a weight MatMul with the same threads; the encoder '
      + 'also spends time outside matrix products (softmax, layer norms, GELU, reshapes), so 1.0 is out of reach.');
    // Products are sized down in a smoke run, where only the shape of the result matters.
    const scale = smoke ? 8 : 1;
    const encoder = await BareEncoder.load(ctx.model, threads);
    try {
      for (let run = 0; run < runs; run++) {
        let peak = 0;
        for (const [name, [m, k, n]] of Object.entries(SHAPES)) {
          const rate = await matmulRate(Math.ceil(m / scale), Math.ceil(k / scale), Math.ceil(n / scale), threads, seconds / 3);
          rec.add(`matmul_${name}_gflops`, rate);
          peak = Math.max(peak, rate);
        }
        const bare = await encoder.measure(seconds);
        const gflops = (flops * bare.fps) / 1e9;
        rec.add('peak_gflops', peak);
        rec.add('encoder_gflop_per_frame', flops / 1e9);
        rec.add('encoder_gflops', gflops);
        rec.add('bare_ms', bare.msPerFrame);
        rec.add('limit_ms', (flops / (peak * 1e9)) * 1000);
        rec.add('fraction_of_limit', gflops / peak);
        ctx.log(`limit run ${run + 1}/${runs}: peak ${peak.toFixed(0)} GFLOP/s, encoder ${gflops.toFixed(0)} GFLOP/s `
          + `(${(gflops / peak).toFixed(2)} of the limit, ${bare.msPerFrame.toFixed(0)} ms vs ${((flops / peak) / 1e6).toFixed(0)} ms)`);
      }
    } finally {
      await encoder.release();
    }
  },
};
