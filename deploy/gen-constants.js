#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// Generates the constants shared by C++ and TypeScript (pipeline states, error codes, x264 presets, the tracker's
// default options) from their
// one source, native/src/common/shared-constants.json: a C++ header and a TS module, both committed.
//   node deploy/gen-constants.js           writes both (deploy/build-native.js runs it before cmake)
//   node deploy/gen-constants.js --check   exits 1 naming each file that differs from what it would write
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const SOURCE = 'native/src/common/shared-constants.json';
const OUTPUTS = {
  cpp: 'native/src/common/generated/shared_constants.h',
  ts: 'ts/generated/shared-constants.ts',
};
const HEADER = `Generated from ${SOURCE} by deploy/gen-constants.js — do not edit.`;

/** kConnecting, kEinval: the C++ name of a constant. */
function cppName(text) {
  return `k${text.charAt(0).toUpperCase()}${text.slice(1).toLowerCase()}`;
}

/** kHighScore: the C++ name of a camelCase constant. */
function cppCamelName(text) {
  return `k${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

/** A number as C++ and TS write it: doubles keep a decimal point (1.0), integers do not. */
function literal(entry) {
  return entry.type === 'double' && Number.isInteger(entry.value) ? `${entry.value}.0` : String(entry.value);
}

const CPP_TYPES = { double: 'double', int32: 'int32_t', int64: 'int64_t' };

function quoted(items, quote = '"') {
  return items.map((item) => `${quote}${item}${quote}`);
}

/** Joins items into lines of at most 120 characters, each line starting with indent. */
function wrap(items, indent) {
  const lines = [];
  let line = '';
  for (const item of items) {
    const next = line === '' ? item : `${line} ${item}`;
    if (indent.length + next.length > 120 && line !== '') {
      lines.push(indent + line);
      line = item;
    } else {
      line = next;
    }
  }
  if (line !== '') lines.push(indent + line);
  return lines.join('\n');
}

function cpp(source) {
  const states = source.pipelineStates;
  const presets = source.x264Presets;
  return `// SPDX-License-Identifier: Apache-2.0
// ${HEADER}
#pragma once

#include <array>
#include <cstdint>

namespace owl {

/** The pipeline lifecycle both engines report (NativePipelineState in ts/native.ts). */
enum class PipelineState {
${states.map((s) => `  ${cppName(s.name)},  // ${s.doc}`).join('\n')}
};

/** ${quoted(states.map((s) => s.name)).join(', ')}. */
inline const char* StateName(PipelineState state) {
  switch (state) {
${states.map((s) => `    case PipelineState::${cppName(s.name)}: return "${s.name}";`).join('\n')}
  }
  return "unknown";
}

/** Codes of the errors owl-stream's own checks raise, in domain "owl" (OwlErrorCode in TS). */
namespace codes {
${source.errorCodes.map((c) => `// ${c.doc}\ninline constexpr const char* ${cppName(c.code)} = "${c.code}";`)
    .join('\n')}
}  // namespace codes

/** x264enc speed presets, fastest (least CPU, most bits) first. */
inline constexpr std::array<const char*, ${presets.length}> kX264Presets = {
${wrap(quoted(presets).map((p, i) => (i < presets.length - 1 ? `${p},` : p)), '    ')}};

/** The tracker's default options (tracking::TrackerOptions in native/src/tracker/tracker.h). */
namespace tracker_defaults {
${source.trackerDefaults.map((d) => `// ${d.doc}\ninline constexpr ${CPP_TYPES[d.type]} ${cppCamelName(d.name)} = ${literal(d)};`)
    .join('\n')}
}  // namespace tracker_defaults

}  // namespace owl
`;
}

function ts(source) {
  const union = (name, items) => `export type ${name} = (typeof ${items})[number];`;
  return `// SPDX-License-Identifier: Apache-2.0
// ${HEADER}

/**
 * The pipeline lifecycle both engines report:
${source.pipelineStates.map((s) => ` * - \`${s.name}\` ${s.doc}`).join('\n')}
 */
export const PIPELINE_STATES = [${quoted(source.pipelineStates.map((s) => s.name), "'").join(', ')}] as const;
${union('NativePipelineState', 'PIPELINE_STATES')}

/**
 * Codes of the errors owl-stream's own checks raise, in domain \`owl\`:
${source.errorCodes.map((c) => ` * - \`${c.code}\` ${c.doc}`).join('\n')}
 */
export const OWL_ERROR_CODES = [
${wrap(quoted(source.errorCodes.map((c) => c.code), "'").map((c) => `${c},`), '  ')}
] as const;
${union('OwlErrorCode', 'OWL_ERROR_CODES')}

/** x264enc speed presets, fastest (least CPU, most bits) first. */
export const X264_PRESETS = [
${wrap(quoted(source.x264Presets, "'").map((p) => `${p},`), '  ')}
] as const;
${union('X264Preset', 'X264_PRESETS')}

/** The tracker's default options (NativeTrackerOptions; the C++ core's TrackerOptions). */
export const TRACKER_DEFAULTS = {
${source.trackerDefaults.map((d) => `  /** ${d.doc.charAt(0).toUpperCase()}${d.doc.slice(1)}. */\n  ${d.name}: ${literal(d)},`)
    .join('\n')}
} as const;
`;
}

const source = JSON.parse(fs.readFileSync(path.join(root, SOURCE), 'utf8'));
const wanted = { [OUTPUTS.cpp]: cpp(source), [OUTPUTS.ts]: ts(source) };
const check = process.argv.includes('--check');
let stale = 0;
for (const [file, text] of Object.entries(wanted)) {
  const target = path.join(root, file);
  const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : null;
  if (current === text) continue;
  if (check) {
    process.stderr.write(`${file} is stale: run node deploy/gen-constants.js (it is generated from ${SOURCE})\n`);
    stale++;
  } else {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
  }
}
process.exitCode = stale === 0 ? 0 : 1;
