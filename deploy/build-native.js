#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Builds the native addon with cmake-js when any file under native/ is newer than the built addon, after
// regenerating the constants C++ and TS share (deploy/gen-constants.js).
// OWL_NATIVE_BUILD_DIR moves the build folder (so two checkouts or helpers can build side by side).
// OWL_BUILD_TESTING=OFF leaves out the test-only targets (stand-ins, harnesses, test camera): the images set it.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const nativeDir = path.join(root, 'native');
const buildDir = process.env.OWL_NATIVE_BUILD_DIR || path.join(nativeDir, 'build');
const config = process.env.OWL_NATIVE_CONFIG || 'Release';
const addon = path.join(buildDir, config, 'owl_stream.node');
const testing = (process.env.OWL_BUILD_TESTING ?? 'ON').toUpperCase() !== 'OFF';
// A test-only binary stands for them all: a build made without them is not enough for the tests.
const testBinary = path.join(buildDir, config, 'owl_test_camera');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'build') continue;
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

execFileSync(process.execPath, [path.join(__dirname, 'gen-constants.js')], { stdio: 'inherit' });
const newestSource = newestMtime(nativeDir);
if (fs.existsSync(addon) && fs.statSync(addon).mtimeMs >= newestSource && (!testing || fs.existsSync(testBinary))) {
  process.exit(0);
}
console.log(`[setup] building the native addon (${config}${testing ? ', with test targets' : ''}) in ${buildDir}`);
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
execFileSync(process.execPath, [cmakeJs, 'compile', '--directory', nativeDir, '--out', buildDir,
  ...(config === 'Debug' ? ['--debug'] : []), `--CDOWL_BUILD_TESTING=${testing ? 'ON' : 'OFF'}`, '--parallel', '2'],
{ stdio: 'inherit' });
