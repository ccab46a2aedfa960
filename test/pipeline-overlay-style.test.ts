// SPDX-License-Identifier: Apache-2.0
// Pipeline.setOverlay(): the overlay style changes while running (what a configuration reload applies), the boxes
// already on screen included. Real parts: the pipeline's RTSP output decoded by ffmpeg, and its JPEG snapshots.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Pipeline, PipelineError } from '../ts/pipeline';
import { decodeJpeg } from './helpers/decode-jpeg';
import { freePort } from './helpers/ports';
import { grabFrame, pixelAt } from './helpers/rtsp-reader';

const WIDTH = 640;
const HEIGHT = 360;
const BOX = [100, 100, 400, 300] as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Palette colour 0 (230, 25, 75), allowing for H.264 and 4:2:0 losses. */
const isBoxRed = ([r, g, b]: [number, number, number]) => r > 160 && g < 100 && b < 140;

describe('Pipeline.setOverlay()', () => {
  let pipeline: Pipeline;

  before(async () => {
    pipeline = new Pipeline();
    pipeline.start({ input: 'test:black', testSource: { width: WIDTH, height: HEIGHT },
      output: `rtsp://127.0.0.1:${await freePort()}/out`, overlay: { lineWidth: 2, fontSize: 16 } });
    pipeline.setDetections(1, [{ label: 'a person', labelIndex: 0, score: 0.42, box: BOX }]);
  });

  after(() => pipeline?.stop());

  /** How far the left edge band reaches into the box, in pixels, along the row y = 200 of the RTSP output. */
  async function leftBandWidth(): Promise<number> {
    const frame = await grabFrame(pipeline.outputUrl!, WIDTH, HEIGHT);
    let x = BOX[0];
    while (x < BOX[0] + 40 && isBoxRed(pixelAt(frame, WIDTH, x, 200))) x++;
    return x - BOX[0];
  }

  test('a new line width shows in the boxes already drawn', async () => {
    await sleep(300);
    const thin = await leftBandWidth();
    assert.ok(thin >= 1 && thin <= 4, `2-pixel line measured ${thin} px`);
    pipeline.setOverlay({ lineWidth: 12 });
    await sleep(300);
    const thick = await leftBandWidth();
    assert.ok(thick >= 10 && thick <= 14, `12-pixel line measured ${thick} px`);
  });

  test('a new font size and showScores relabel the boxes already drawn', async () => {
    /** The label's width: its background runs from the box's left edge to its last red pixel in a row inside it. */
    const labelWidth = async () => {
      await sleep(300);
      const picture = await decodeJpeg(await snapshot());
      const row = BOX[1] - 8;  // the label is drawn above the box
      let last = BOX[0] - 1;
      for (let x = BOX[0]; x < WIDTH; x++) if (isBoxRed(pixelAt(picture.rgb, picture.width, x, row))) last = x;
      return last + 1 - BOX[0];
    };
    const plain = await labelWidth();
    pipeline.setOverlay({ showScores: true });
    const scored = await labelWidth();
    assert.ok(scored > plain + 20, `label "a person 0.42" (${scored} px) wider than "a person" (${plain} px)`);
    pipeline.setOverlay({ fontSize: 0 });
    assert.equal(await labelWidth(), 0, 'font size 0 draws no label');
  });

  test('rejects bad values with EINVAL naming the field', () => {
    assert.throws(() => pipeline.setOverlay({ lineWidth: 0 }), (err: unknown) => err instanceof PipelineError &&
      err.code === 'EINVAL' && err.message.includes('overlay.lineWidth'));
    assert.throws(() => pipeline.setOverlay({ fontSize: 1.5 }), (err: unknown) => err instanceof PipelineError &&
      err.code === 'EINVAL' && err.message.includes('overlay.fontSize'));
    assert.throws(() => pipeline.setOverlay({ showScores: 'yes' as never }), (err: unknown) =>
      err instanceof PipelineError && err.code === 'EINVAL' && err.message.includes('overlay.showScores'));
  });

  async function snapshot(): Promise<Buffer> {
    for (let i = 0; i < 100; i++) {
      const jpeg = pipeline.snapshot();
      if (jpeg !== null) return jpeg;
      await sleep(20);
    }
    throw new Error('no snapshot within 2 s');
  }
});
