#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Builds the native addon with cmake-js when any file under native/ is newer than the built addon.
// OWL_NATIVE_BUILD_DIR moves the build folder (so two checkouts or helpers can build side by side).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const nativeDir = path.join(root, 'native');
const buildDir = process.env.OWL_NATIVE_BUILD_DIR || path.join(nativeDir, 'build');
const config = process.env.OWL_NATIVE_CONFIG || 'Release';
const addon = path.join(buildDir, config, 'owl_stream.node');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'build') continue;
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

if (fs.existsSync(addon) && fs.statSync(addon).mtimeMs >= newestMtime(nativeDir)) {
  process.exit(0);
}
console.log(`[setup] building the native addon (${config}) in ${buildDir}`);
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
execFileSync(process.execPath, [cmakeJs, 'compile', '--directory', nativeDir, '--out', buildDir,
  ...(config === 'Debug' ? ['--debug'] : []), '--parallel', '2'], { stdio: 'inherit' });
