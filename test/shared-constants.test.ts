// SPDX-License-Identifier: Apache-2.0
// The constants C++ and TypeScript share (pipeline states, error codes, x264 presets) are written once, in
// native/src/common/shared-constants.json; deploy/gen-constants.js generates a C++ header and a TS module from
// it. These tests fail when a generated file is stale or edited by hand, and when native code raises a code
// that is not in the list.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { OWL_ERROR_CODES, PIPELINE_STATES, X264_PRESETS } from '../ts/generated/shared-constants';

const root = path.resolve(__dirname, '..', '..');
const source = JSON.parse(fs.readFileSync(path.join(root, 'native/src/common/shared-constants.json'), 'utf8')) as {
  pipelineStates: { name: string }[];
  errorCodes: { code: string }[];
  x264Presets: string[];
};
const header = 'native/src/common/generated/shared_constants.h';

function check(cwd: string): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, [path.join(cwd, 'deploy/gen-constants.js'), '--check'], { encoding: 'utf8' });
}

test('the generated C++ header and TS module are what the generator writes from the JSON', () => {
  const result = check(root);
  assert.equal(result.status, 0, String(result.stderr));
});

test('a hand edit of a generated file is caught, naming the file and how to regenerate', () => {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-constants-'));
  try {
    for (const file of ['deploy/gen-constants.js', 'native/src/common/shared-constants.json', header,
      'ts/generated/shared-constants.ts']) {
      fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
      fs.copyFileSync(path.join(root, file), path.join(copy, file));
    }
    assert.equal(check(copy).status, 0);
    const edited = fs.readFileSync(path.join(copy, header), 'utf8').replace('"EINVAL"', '"EINVALID"');
    fs.writeFileSync(path.join(copy, header), edited);
    const result = check(copy);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, `${header} is stale: run node deploy/gen-constants.js `
      + '(it is generated from native/src/common/shared-constants.json)\n');
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});

test('the TS lists are the JSON lists, in order', () => {
  assert.deepEqual(PIPELINE_STATES, source.pipelineStates.map((s) => s.name));
  assert.deepEqual(OWL_ERROR_CODES, source.errorCodes.map((c) => c.code));
  assert.deepEqual(X264_PRESETS, source.x264Presets);
});

test('every error code literal in the native sources is in the shared list', () => {
  const known = new Set<string>(OWL_ERROR_CODES);
  const unknown: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.(cc|h)$/.test(entry.name) && !file.endsWith(header)) {
        for (const [, code] of fs.readFileSync(file, 'utf8').matchAll(/"(E[A-Z]{3,})"/g)) {
          if (!known.has(code)) unknown.push(`${path.relative(root, file)}: ${code}`);
        }
      }
    }
  };
  walk(path.join(root, 'native', 'src'));
  assert.deepEqual(unknown, []);
});
