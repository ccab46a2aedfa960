// SPDX-License-Identifier: Apache-2.0
// The DeepStream sources compiled against REAL DeepStream SDK headers by native/tools/ds-compile-check.sh:
// every native/src/deepstream/*.cc to objects with -Werror, and the tensor decode tests run on a harness built
// against the same headers. The headers are public but cannot be fetched in CI, so this runs only where
// OWL_DS_HEADERS lists SDK include folders (':'-separated; CXXFLAGS passes through, deploy/README.md), and is
// skipped otherwise.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(__dirname, '..', '..');
const tool = path.join(root, 'native', 'tools', 'ds-compile-check.sh');
const folders = (process.env.OWL_DS_HEADERS ?? '').split(':').filter((f) => f !== '');

if (folders.length === 0) {
  test('DeepStream sources against real SDK headers', { skip: 'set OWL_DS_HEADERS to SDK include folders' }, () => {});
}
for (const folder of folders) {
  test(`DeepStream sources against the SDK headers in ${folder}`, async () => {
    const output = await new Promise<string>((resolve, reject) => {
      execFile(tool, [folder], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${tool} ${folder} failed: ${err.message}\n${stdout}\n${stderr}`));
        else resolve(stdout);
      });
    });
    assert.match(output, /^ds-compile-check: DeepStream \d+\.\d+\.\d+: OK$/m);
    assert.match(output, /run the tensor decode tests on this harness/, 'the decode tests must run (npx tsc first)');
  });
}

test('the check refuses a folder that is not an SDK includes folder (it can fail)', async () => {
  await assert.rejects(new Promise((resolve, reject) => {
    execFile(tool, ['--no-test', root], (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout)));
  }), /has no nvdsmeta\.h: give the SDK's includes folder/);
});
