// SPDX-License-Identifier: Apache-2.0
// The command line: the seed's invocations give the same config as the equivalent YAML, precedence is
// flags > environment > file > defaults, and mistakes are refused naming the flag or variable.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { helpText, resolveConfig } from '../ts/cli/args';
import { defaultConfig, type OwlConfig } from '../ts/config/schema';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-cli-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function yamlFile(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const resolution = resolveConfig(argv, env);
  assert.equal(resolution.kind, 'run');
  return resolution as Extract<typeof resolution, { kind: 'run' }>;
}

function configOf(argv: string[], env: NodeJS.ProcessEnv = {}): OwlConfig {
  return run(argv, env).config;
}

function refusal(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  assert.throws(() => resolveConfig(argv, env), (err: Error) => err.name === 'ConfigError');
  try {
    resolveConfig(argv, env);
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

/** The shell words of a seed command line after `python3 main.py`. */
const words = (line: string): string[] => line.match(/"[^"]*"|\S+/g)!.map((w) => w.replace(/^"|"$/g, ''));

describe('command line', () => {
  it('parses the seed\'s example line to the same config as the equivalent YAML', () => {
    const argv = words('rtsp://0.0.0.0:8554/stream --objects "a person, a hat" --thresholds 0.1,0.2 --flask_port 5010 '
      + '--redis_stream genai');
    const file = yamlFile('seed-example.yaml', [
      'input:', '  uri: rtsp://0.0.0.0:8554/stream',
      'prompts:', '  objects: [a person, a hat]', '  thresholds: [0.1, 0.2]',
      'api:', '  port: 5010',
      'redis:', '  stream: genai', '',
    ].join('\n'));
    const fromFlags = configOf(argv);
    assert.deepEqual(fromFlags, configOf(['--config', file]));
    assert.deepEqual(fromFlags.prompts.objects, ['a person', 'a hat']);
    assert.deepEqual(fromFlags.prompts.thresholds, [0.1, 0.2]);
  });

  it('parses the seed\'s docker_start.sh line (every seed flag) like the equivalent YAML', () => {
    const argv = words('http://0.0.0.0:81 --stream_output rtsp://0.0.0.0:5011/out --redis_host 0.0.0.0 --redis_port 6379 '
      + '--redis_stream owl --objects "a person" --thresholds 0.1 --flask_port 5010 --model /models/owlvit-b32 '
      + '--image_encoder_engine /data/owl_image_encoder_patch32.engine');
    const file = yamlFile('seed-docker.yaml', [
      'input:', '  uri: http://0.0.0.0:81',
      'output:', '  url: rtsp://0.0.0.0:5011/out',
      'redis:', '  host: 0.0.0.0', '  port: 6379', '  stream: owl',
      'prompts:', '  objects: ["a person"]', '  thresholds: [0.1]',
      'api:', '  port: 5010',
      'model:', '  folder: /models/owlvit-b32', '  imageEncoderEngine: /data/owl_image_encoder_patch32.engine', '',
    ].join('\n'));
    assert.deepEqual(configOf(argv), configOf(['--config', file]));
  });

  it('takes model.precision from --precision or OWL_MODEL_PRECISION (flag first), auto by default', () => {
    assert.equal(configOf(['test:']).model.precision, 'auto');
    assert.equal(configOf(['test:', '--precision', 'int8']).model.precision, 'int8');
    const both = resolveConfig(['test:', '--precision', 'fp32'], { OWL_MODEL_PRECISION: 'int8' });
    assert.ok(both.kind === 'run' && both.config.model.precision === 'fp32' && both.origins.get('model.precision') === '--precision');
    const env = resolveConfig(['test:'], { OWL_MODEL_PRECISION: 'int8' });
    assert.ok(env.kind === 'run' && env.config.model.precision === 'int8');
  });

  it('gives the seed\'s defaults (Redis on localhost, as decided) when only the input is given', () => {
    assert.deepEqual(configOf(['rtsp://cam/stream']), { ...defaultConfig(), input: { ...defaultConfig().input, uri: 'rtsp://cam/stream' } });
  });

  it('takes --flag=value as well as --flag value, and our own flags', () => {
    const config = configOf(['--redis_port=6380', '--engine', 'portable', '--api_host=127.0.0.1', '--api_token', 't0k',
      '--log_level', 'debug', '--thresholds=-0', 'test:']);
    assert.equal(config.redis.port, 6380);
    assert.equal(config.engine, 'portable');
    assert.equal(config.api.host, '127.0.0.1');
    assert.equal(config.api.token, 't0k');
    assert.equal(config.log.level, 'debug');
    assert.deepEqual(config.prompts.thresholds, [0]);
    assert.equal(config.input.uri, 'test:');
  });

  it('applies flags over environment over file over defaults, and says where each value came from', () => {
    const file = yamlFile('precedence.yaml', 'input:\n  uri: "test:"\nredis:\n  host: from-file\n  stream: file-stream\n');
    const env = { OWL_REDIS_HOST: 'from-env', OWL_REDIS_PORT: '7000' };
    const all = run(['--config', file, '--redis_host', 'from-flag'], env);
    assert.equal(all.config.redis.host, 'from-flag');
    assert.equal(all.config.redis.port, 7000);
    assert.equal(all.config.redis.stream, 'file-stream');
    assert.equal(all.config.redis.maxlen, defaultConfig().redis.maxlen);
    assert.equal(all.configFile, file);
    assert.equal(all.origins.get('redis.host'), '--redis_host');
    assert.equal(all.origins.get('redis.port'), 'environment OWL_REDIS_PORT');
    assert.equal(all.origins.get('redis.stream'), file);
    assert.equal(all.origins.get('redis.maxlen'), undefined);

    assert.equal(configOf(['--config', file], env).redis.host, 'from-env');
    assert.equal(configOf(['--config', file]).redis.host, 'from-file');
    assert.equal(configOf(['test:']).redis.host, 'localhost');
  });

  it('reads the file named by OWL_CONFIG unless --config names another', () => {
    const a = yamlFile('a.yaml', 'input:\n  uri: test:a\n');
    const b = yamlFile('b.yaml', 'input:\n  uri: test:b\n');
    assert.equal(configOf([], { OWL_CONFIG: a }).input.uri, 'test:a');
    assert.equal(configOf(['--config', b], { OWL_CONFIG: a }).input.uri, 'test:b');
  });

  it('reads every config key from OWL_* variables, typed like the key; empty ones count as unset', () => {
    const config = configOf([], {
      OWL_INPUT_URI: 'rtsp://cam/x', OWL_API_TOKEN: 'secret', OWL_OUTPUT_ENABLED: 'false', OWL_MODEL_NMS_IOU: '0.5',
      OWL_INPUT_RTSP_LATENCY_MS: '200', OWL_PROMPTS_OBJECTS: 'a cat, a dog', OWL_PROMPTS_THRESHOLDS: '0.3',
      OWL_REDIS_HOST: '', OWL_NATIVE_ADDON: '/elsewhere/owl_stream.node',
    });
    assert.equal(config.input.uri, 'rtsp://cam/x');
    assert.equal(config.api.token, 'secret');
    assert.equal(config.output.enabled, false);
    assert.equal(config.model.nmsIou, 0.5);
    assert.equal(config.input.rtsp.latencyMs, 200);
    assert.deepEqual(config.prompts, { ...defaultConfig().prompts, objects: ['a cat', 'a dog'], thresholds: [0.3, 0.3] });
    assert.equal(config.redis.host, 'localhost');
  });

  it('refuses bad values naming the flag, variable or file', () => {
    assert.equal(refusal(['test:', '--redis_port', 'abc']),
      '--redis_port: redis.port: expected an integer from 1 to 65535, received "abc"');
    assert.equal(refusal(['test:'], { OWL_REDIS_PORT: 'abc' }),
      'environment OWL_REDIS_PORT: redis.port: expected an integer from 1 to 65535, received "abc"');
    assert.equal(refusal(['test:', '--engine', 'gpu']),
      '--engine: engine: expected one of "auto", "portable", "deepstream", received "gpu"');
    assert.equal(refusal(['test:'], { OWL_OUTPUT_ENABLED: 'maybe' }),
      'environment OWL_OUTPUT_ENABLED: output.enabled: expected true or false, received "maybe"');
    assert.equal(refusal(['ftp://cam/x']), 'stream_input: input.uri: expected an rtsp:// URL, a VST http(s):// address, '
      + 'a file path or test:[pattern], received "ftp://cam/x"');
    const file = yamlFile('bad.yaml', 'redis:\n  port: abc\n');
    assert.equal(refusal(['test:', '--config', file]), `${file}: redis.port: expected an integer from 1 to 65535, received "abc"`);
  });

  it('refuses mismatched or invalid prompts', () => {
    assert.equal(refusal(['test:', '--objects', 'a,b,c', '--thresholds', '0.1,0.2']), '--thresholds: prompts.thresholds: '
      + '3 prompts but 2 thresholds: give one threshold per prompt, or a single threshold for all');
    assert.equal(refusal(['test:', '--objects', 'a person', '--thresholds', '0.1,0.2']), '--thresholds: prompts.thresholds: '
      + '1 prompt but 2 thresholds: give one threshold per prompt, or a single threshold for all');
    assert.equal(refusal(['test:', '--objects', 'a,b', '--thresholds', '0.1,abc']),
      '--thresholds: prompts.thresholds: threshold 2 must be a number from 0 to 1, received "abc"');
    assert.equal(refusal(['test:', '--thresholds', '2']),
      '--thresholds: prompts.thresholds: threshold 1 must be a number from 0 to 1, received 2');
    assert.equal(refusal(['test:', '--objects', 'a,,b']), '--objects: prompts.objects: prompt 2 is empty');
    // Objects from the flag, thresholds from the file: the message names the file's key.
    const file = yamlFile('two.yaml', 'prompts:\n  thresholds: [0.1, 0.2]\n');
    assert.equal(refusal(['test:', '--config', file, '--objects', 'a,b,c']), `${file}: prompts.thresholds: `
      + '3 prompts but 2 thresholds: give one threshold per prompt, or a single threshold for all');
  });

  it('refuses unknown options, missing values, extra inputs and a missing input', () => {
    assert.equal(refusal(['test:', '--redis-host', 'x']), 'command line: unknown option --redis-host (run with --help for the list)');
    assert.equal(refusal(['test:', '-x']), 'command line: unknown option -x (run with --help for the list)');
    assert.equal(refusal(['test:', '--redis_port']), 'command line: --redis_port needs a value (run with --help for the list)');
    assert.equal(refusal(['test:', '--objects', '--redis_host', 'h']),
      'command line: --objects needs a value (run with --help for the list)');
    assert.equal(refusal(['rtsp://a/1', 'rtsp://b/2']),
      'command line: expected at most one stream_input, received 2: rtsp://a/1 rtsp://b/2 (run with --help for the list)');
    assert.equal(refusal([]), 'command line: input.uri: no video input: give stream_input (an rtsp:// URL, a VST http(s):// '
      + 'address, a file path or test:[pattern]), or set input.uri or OWL_INPUT_URI');
  });

  it('answers -h/--help with every flag, its default, key and variable, before any other check', () => {
    assert.deepEqual(resolveConfig(['--help'], {}), { kind: 'help', text: helpText() });
    assert.deepEqual(resolveConfig(['--bogus', '-h'], {}), { kind: 'help', text: helpText() });
    const text = helpText();
    const expected = [
      ['--stream_output URL', '(default: rtsp://0.0.0.0:6000/out) [output.url, OWL_OUTPUT_URL]'],
      ['--redis_host HOST', '(default: localhost) [redis.host, OWL_REDIS_HOST]'],
      ['--redis_port PORT', '(default: 6379) [redis.port, OWL_REDIS_PORT]'],
      ['--redis_stream NAME', '(default: owl) [redis.stream, OWL_REDIS_STREAM]'],
      ['--objects LIST', '(default: a person) [prompts.objects, OWL_PROMPTS_OBJECTS]'],
      ['--thresholds LIST', '(default: 0.1) [prompts.thresholds, OWL_PROMPTS_THRESHOLDS]'],
      ['--flask_port PORT', '(default: 5000) [api.port, OWL_API_PORT]'],
      ['--model DIR', '(default: google/owlvit-base-patch32) [model.folder, OWL_MODEL_FOLDER]'],
      ['--image_encoder_engine FILE', '(default: nanoowl/data/owl_image_encoder_patch32.engine) '
        + '[model.imageEncoderEngine, OWL_MODEL_IMAGE_ENCODER_ENGINE]'],
      ['--engine NAME', '(default: auto) [engine, OWL_ENGINE]'],
      ['--precision NAME', '(default: auto) [model.precision, OWL_MODEL_PRECISION]'],
      ['--api_host HOST', '(default: 0.0.0.0) [api.host, OWL_API_HOST]'],
      ['--api_token TOKEN', '(default: none) [api.token, OWL_API_TOKEN]'],
      ['--log_level LEVEL', '(default: info) [log.level, OWL_LOG_LEVEL]'],
      ['--config FILE', '(default: none) [OWL_CONFIG]'],
    ];
    const lines = text.split('\n');
    for (const [flag, detail] of expected) {
      const at = lines.findIndex((line) => line.trimStart().startsWith(`${flag} `));
      assert.ok(at >= 0, `help lists ${flag}`);
      assert.equal(lines[at + 1].trim(), detail, flag);
    }
    assert.match(text, /^ {2}-h, --help +show this help and exit$/m);
    assert.match(text, /^ {2}OWL_INPUT_RECONNECT_STALL_TIMEOUT_MS +input\.reconnect\.stallTimeoutMs \(default: 5000\)$/m);
  });
});
