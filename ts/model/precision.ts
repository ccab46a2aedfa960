// SPDX-License-Identifier: Apache-2.0
// Which image encoder runs: the fp32 one, or the int8 one (owl_export.py --int8) where it pays. int8 is about
// twice as fast where the CPU has int8 dot-product instructions and no faster (or slower) where it has not,
// so `auto` takes it only when both the file and the instructions are there. The worker opens the file
// chosen here and, under `auto`, falls back to fp32 when the int8 file turns out corrupt.
import fs from 'node:fs';
import os from 'node:os';
import { reexport, type ModelFolder } from './model-folder';
import { ModelError } from './model-error';

/** The precisions an image encoder can run in. */
export const PRECISIONS = ['fp32', 'int8'] as const;
export type Precision = (typeof PRECISIONS)[number];
/** model.precision: a precision, or `auto`. */
export const PRECISION_SETTINGS = ['auto', ...PRECISIONS] as const;
export type PrecisionSetting = (typeof PRECISION_SETTINGS)[number];

/** The CPU's int8 dot-product support, as /proc/cpuinfo states it. */
export interface CpuInt8 {
  /** Whether int8 dot products run natively. */
  supported: boolean;
  /** The instruction set found (`avx512_vnni`, `avx_vnni`, `amx_int8`, `asimddp`), or null. */
  feature: string | null;
}

/** What runs and why, for the log and /status. */
export interface PrecisionChoice {
  /** The encoder precision that runs. */
  precision: Precision;
  /** The setting it came from. */
  setting: PrecisionSetting;
  /** The image encoder file opened. */
  file: string;
  /** Why this precision, in a sentence. */
  reason: string;
  /** Something the operator should act on (a missing or corrupt int8 file under `auto`), or null. */
  warning: string | null;
}

/** A choice the worker makes after trying to open the file: the fp32 file to fall back to, under `auto`. */
export interface PrecisionPlan extends PrecisionChoice {
  fallback: { file: string; reason: string } | null;
}

// Feature flags with int8 dot products: x86 VNNI (AVX-512 or AVX) and AMX, Arm's dot-product extension.
const X86_FEATURES = ['avx512_vnni', 'avx_vnni', 'amx_int8'];
const ARM_FEATURES = ['asimddp'];

/**
 * Reads the CPU's int8 dot-product support from /proc/cpuinfo (x86 `flags`, arm64 `Features`).
 * @param cpuinfo its text (injectable for tests); null when unreadable (then: not supported).
 */
export function cpuInt8Support(cpuinfo: string | null = readCpuinfo(), arch = os.arch()): CpuInt8 {
  const features = arch === 'arm64' ? ARM_FEATURES : X86_FEATURES;
  const line = cpuinfo?.split('\n').find((l) => /^(flags|Features)\s*:/.test(l));
  const flags = new Set(line?.split(':')[1].trim().split(/\s+/) ?? []);
  const feature = features.find((f) => flags.has(f)) ?? null;
  return { supported: feature !== null, feature };
}

function readCpuinfo(): string | null {
  try {
    return fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
}

/**
 * Chooses the image encoder file for a precision setting.
 * @throws {ModelError} `missing_file` when int8 is asked for explicitly and the folder has no int8 file.
 */
export function planPrecision(folder: ModelFolder, setting: PrecisionSetting, cpu: CpuInt8 = cpuInt8Support()):
PrecisionPlan {
  const fp32 = folder.paths.imageEncoder;
  const int8 = folder.paths.imageEncoderInt8;
  const cpuText = cpu.supported ? `this CPU has int8 dot products (${cpu.feature})`
    : 'this CPU has no int8 dot-product instructions (avx512_vnni, avx_vnni, amx_int8 or asimddp)';
  const missing = int8 === undefined ? `${folder.dir}/owl.json lists no int8 image encoder`
    : !fs.existsSync(int8) ? `${int8} is missing` : null;
  const export8 = `export it with ${reexport(folder, true)}`;
  const only = { fallback: null, setting };
  if (setting === 'fp32') {
    return { ...only, precision: 'fp32', file: fp32, reason: 'model.precision is fp32', warning: null };
  }
  if (setting === 'int8') {
    if (missing !== null) {
      throw new ModelError('missing_file', `model.precision is int8 but ${missing}: ${export8}, `
        + 'or set model.precision to auto or fp32', int8 ?? folder.dir);
    }
    return { ...only, precision: 'int8', file: int8!, warning: null,
      reason: `model.precision is int8${cpu.supported ? ` (${cpuText})` : `, although ${cpuText}: it may run slower than fp32`}` };
  }
  if (missing !== null) {
    const listed = int8 !== undefined;
    return { ...only, precision: 'fp32', file: fp32, reason: `auto: ${missing}`,
      warning: listed ? `${missing} (owl.json lists it): running fp32; ${export8}` : null };
  }
  if (!cpu.supported) {
    return { ...only, precision: 'fp32', file: fp32, reason: `auto: ${cpuText}, so int8 would not be faster`,
      warning: null };
  }
  return { setting, precision: 'int8', file: int8!, reason: `auto: the folder has an int8 image encoder and ${cpuText}`,
    warning: null, fallback: { file: fp32, reason: 'auto, but the int8 image encoder could not be loaded' } };
}
