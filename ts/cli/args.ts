// SPDX-License-Identifier: Apache-2.0
// The command line: the seed's arguments (`[stream_input] --stream_output --redis_host --redis_port
// --redis_stream --objects --thresholds --flask_port --model --image_encoder_engine`) plus our own, merged
// with the environment and a YAML file. Precedence: flags > environment (OWL_*) > file > defaults.
import { parseArgs } from 'node:util';
import { CONFIG_FILE_VARIABLE, envLayer, envSettings } from '../config/env';
import { ConfigError } from '../config/errors';
import { readConfigFile, type ReadText } from '../config/file';
import { INPUT_URI_ALLOWED } from '../config/input-uri';
import { emptyLayer, joinPath, mergeLayers, setSetting, textAsType, type ConfigLayer } from '../config/layers';
import { defaultConfig, type OwlConfig } from '../config/schema';
import { readSecretFiles } from '../config/secrets';
import { validateConfig } from '../config/validate';

/** A flag that sets one config key. */
interface KeyFlag {
  name: string;
  path: string[];
  metavar: string;
  help: string;
}

const POSITIONAL = 'stream_input';
const INPUT_PATH = ['input', 'uri'];

// Seed flags first, in the seed's order; then ours.
const KEY_FLAGS: readonly KeyFlag[] = [
  { name: 'stream_output', path: ['output', 'url'], metavar: 'URL', help: 'RTSP URL the annotated video is served at' },
  { name: 'redis_host', path: ['redis', 'host'], metavar: 'HOST', help: 'Redis host for the metadata stream' },
  { name: 'redis_port', path: ['redis', 'port'], metavar: 'PORT', help: 'Redis port' },
  { name: 'redis_stream', path: ['redis', 'stream'], metavar: 'NAME',
    help: 'Redis stream the metadata is appended to' },
  { name: 'objects', path: ['prompts', 'objects'], metavar: 'LIST',
    help: 'comma-separated prompts, e.g. "a person, a hat"' },
  { name: 'thresholds', path: ['prompts', 'thresholds'], metavar: 'LIST',
    help: 'comma-separated thresholds in [0,1]: one per prompt, or one for all' },
  { name: 'flask_port', path: ['api', 'port'], metavar: 'PORT', help: 'REST API port (the seed\'s name)' },
  { name: 'model', path: ['model', 'folder'], metavar: 'DIR',
    help: 'exported model folder (a Hugging Face id such as the default must be exported first)' },
  { name: 'image_encoder_engine', path: ['model', 'imageEncoderEngine'], metavar: 'FILE',
    help: 'TensorRT engine of the image encoder (deepstream engine)' },
  { name: 'engine', path: ['engine'], metavar: 'NAME', help: 'auto | portable | deepstream' },
  { name: 'precision', path: ['model', 'precision'], metavar: 'NAME',
    help: 'image encoder: auto | fp32 | int8 (int8 needs an --int8 export)' },
  { name: 'api_host', path: ['api', 'host'], metavar: 'HOST', help: 'address the REST API binds' },
  { name: 'api_token', path: ['api', 'token'], metavar: 'TOKEN',
    help: 'bearer token the REST API requires (prefer OWL_API_TOKEN: flags show in `ps`)' },
  { name: 'log_level', path: ['log', 'level'], metavar: 'LEVEL', help: 'error | warn | info | debug' },
];

const CONFIG_FLAG = 'config';
// Help column width: fits the longest variable name (OWL_INPUT_RECONNECT_STALL_TIMEOUT_MS).
const WIDTH = 40;
const HELP_FLAG = 'help';

/** The outcome of reading the command line. */
export type Resolution =
  | { kind: 'help'; text: string }
  | {
    kind: 'run';
    config: OwlConfig;
    /** The YAML file read, if any. */
    configFile: string | null;
    /** Source of every key set by file, environment or flag (dotted path → `--flag`, `environment OWL_X`, file). */
    origins: ReadonlyMap<string, string>;
  };

/**
 * Resolves the configuration from the command line, the environment and the config file it names.
 * Pure apart from reading that file.
 * @param argv arguments after the script name (`process.argv.slice(2)`).
 * @param env environment variables (`process.env`).
 * @param read reads the config file and secret files (injectable for tests).
 * @throws {ConfigError} for an unknown flag, a missing value, a bad value from any source, or no input.
 */
export function resolveConfig(argv: readonly string[], env: NodeJS.ProcessEnv, read?: ReadText): Resolution {
  const command = parseCommandLine(argv);
  if (command.help) return { kind: 'help', text: helpText() };
  const configFile = command.configFile ?? nonEmpty(env[CONFIG_FILE_VARIABLE]) ?? null;
  const layers: ConfigLayer[] = [];
  if (configFile !== null) layers.push(readConfigFile(configFile, read));
  layers.push(envLayer(env), command.layer);
  const merged = mergeLayers(layers);
  const config = readSecretFiles(validateConfig(merged), merged.origins, read);
  // `streams:` or input.allowEmpty (streams come through the API later) stand in for stream_input.
  if (config.input.uri === '' && config.streams.length === 0 && !config.input.allowEmpty) {
    throw new ConfigError([{ source: 'command line', path: joinPath(INPUT_PATH),
      message: `no video input: give ${POSITIONAL} (${INPUT_URI_ALLOWED}), or set input.uri or OWL_INPUT_URI` }]);
  }
  return { kind: 'run', config, configFile, origins: merged.origins };
}

interface CommandLine {
  help: boolean;
  configFile: string | null;
  layer: ConfigLayer;
}

function parseCommandLine(argv: readonly string[]): CommandLine {
  const options = Object.fromEntries([
    ...KEY_FLAGS.map((flag) => [flag.name, { type: 'string' as const }]),
    [CONFIG_FLAG, { type: 'string' as const }],
    [HELP_FLAG, { type: 'boolean' as const, short: 'h' }],
  ]);
  // Non-strict parsing gives tokens for every argument, so errors can name the flag in our own words.
  const { tokens } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: false, tokens: true });
  const defaults = defaultConfig() as unknown as Record<string, unknown>;
  const layer = emptyLayer();
  const positionals: string[] = [];
  let help = false;
  let configFile: string | null = null;
  // The first mistake is reported after the loop, so that --help anywhere still wins.
  let mistake: string | null = null;
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.name === HELP_FLAG) {
      help = true;
      continue;
    }
    const flag = KEY_FLAGS.find((f) => f.name === token.name);
    const value = token.value;
    if (flag === undefined && token.name !== CONFIG_FLAG) {
      mistake ??= `unknown option ${token.rawName}`;
    } else if (value === undefined || (!token.inlineValue && isOptionName(value, options))) {
      mistake ??= `${token.rawName} needs a value`;
    } else if (flag === undefined) {
      configFile = value;
    } else {
      setSetting(layer, flag.path, textAsType(value, valueAt(defaults, flag.path)), `--${flag.name}`);
    }
  }
  if (positionals.length > 1) {
    mistake ??= `expected at most one ${POSITIONAL}, received ${positionals.length}: ${positionals.join(' ')}`;
  }
  if (positionals.length === 1) setSetting(layer, INPUT_PATH, positionals[0], POSITIONAL);
  if (mistake !== null && !help) throw usageError(mistake);
  return { help, configFile, layer };
}

// `--objects --redis_host x` means a forgotten value, as in the seed's argparse.
function isOptionName(value: string, options: Record<string, unknown>): boolean {
  return value.startsWith('--') && Object.hasOwn(options, value.slice(2).split('=')[0]);
}

function usageError(message: string): ConfigError {
  return new ConfigError([{ source: 'command line', path: '', message: `${message} (run with --help for the list)` }]);
}

function valueAt(root: Record<string, unknown>, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], root);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

function showDefault(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(',');
  return value === '' ? 'none' : String(value);
}

/** The --help text: every flag with its default, config key and variable, then every variable. */
export function helpText(): string {
  const defaults = defaultConfig() as unknown as Record<string, unknown>;
  const settings = envSettings();
  const envFor = (path: readonly string[]) => settings.find((s) => joinPath(s.path) === joinPath(path))?.name ?? '';
  const row = (left: string, help: string, detail = '') =>
    [`  ${left.padEnd(WIDTH)}${help}`, ...(detail === '' ? [] : [`  ${''.padEnd(WIDTH)}${detail}`])].join('\n');
  const lines = [
    `Usage: owl-stream [options] [${POSITIONAL}]`,
    '',
    'Open-vocabulary object detection (NanoOWL / OWL-ViT) on a live video stream: annotated video out over',
    'RTSP, Metropolis minimal-schema metadata to a Redis stream, prompts changed live through a REST API.',
    '',
    'Arguments:',
    row(POSITIONAL, INPUT_URI_ALLOWED, `(default: none) [input.uri, ${envFor(INPUT_PATH)}]`),
    '',
    'Options:',
    ...KEY_FLAGS.map((flag) => row(`--${flag.name} ${flag.metavar}`, flag.help,
      `(default: ${showDefault(valueAt(defaults, flag.path))}) [${joinPath(flag.path)}, ${envFor(flag.path)}]`)),
    row(`--${CONFIG_FLAG} FILE`, 'YAML config file, see configs/default.yaml',
      `(default: none) [${CONFIG_FILE_VARIABLE}]`),
    row('-h, --help', 'show this help and exit'),
    '',
    'Precedence: flags > environment variables > config file > defaults. Every config key has a variable',
    '(an empty one counts as unset):',
    `  ${CONFIG_FILE_VARIABLE.padEnd(WIDTH)}config file`,
    ...settings.map((s) => `  ${s.name.padEnd(WIDTH)}${joinPath(s.path)} (default: ${showDefault(s.default)})`),
  ];
  return `${lines.join('\n').replace(/[ \t]+$/gm, '')}\n`;
}
