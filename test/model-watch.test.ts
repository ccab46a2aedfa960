// SPDX-License-Identifier: Apache-2.0
// ModelWatch: SIGHUP loads the model again when a file of its folder changed, the int8 image encoder included (a
// folder given an int8 file by a new `--int8` export is one auto would now run).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

import { ModelWatch } from '../ts/service/model-watch';
import { TINY_MODEL } from './helpers/owl-fixture';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-model-watch-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

test('a model folder counts as changed when its int8 image encoder appears, changes or goes', async () => {
  const dir = path.join(scratch, 'model');
  fs.cpSync(TINY_MODEL, dir, { recursive: true });
  const int8 = path.join(dir, 'image_encoder_int8.onnx');
  const watch = new ModelWatch();
  const step = async (change: () => void): Promise<boolean> => {
    change();
    const changed = await watch.changed(dir);
    await watch.remember(dir);
    return changed;
  };
  await watch.remember(dir);
  assert.equal(await watch.changed(dir), false);
  assert.equal(await step(() => fs.rmSync(int8)), true, 'removed');
  const addInt8 = () => fs.copyFileSync(path.join(TINY_MODEL, 'image_encoder_int8.onnx'), int8);
  assert.equal(await step(addInt8), true, 'added');
  assert.equal(await step(() => fs.appendFileSync(int8, 'x')), true, 'grown');
  assert.equal(await step(() => undefined), false, 'unchanged');
  assert.equal(await watch.changed(path.join(scratch, 'other')), true, 'another folder');
});
