// SPDX-License-Identifier: Apache-2.0
// The deployment files, checked without Docker: the compose file against the config schema and its
// environment variables, the Dockerfiles with a small instruction parser (stage order, pinned bases,
// every COPY source present), the shell scripts with shellcheck, and deploy/build-engine.sh with a
// stand-in for TensorRT's trtexec (TensorRT cannot run here).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { envLayer, envSettings } from '../ts/config/env';
import { classifyInput } from '../ts/config/input-uri';
import { parseOutputUrl } from '../ts/config/output-url';
import { validateConfig } from '../ts/config/validate';
import { resolveConfig } from '../ts/cli/args';
import { deepStreamConfigInput } from '../ts/deepstream/config-input';
import { configuredStreams } from '../ts/service/stream-spec';

const root = path.resolve(__dirname, '..', '..');
const deployDir = path.join(root, 'deploy');
const knownVariables = new Set([...envSettings().map((s) => s.name), 'OWL_CONFIG']);

// --- compose ------------------------------------------------------------------------------------

interface ComposeService {
  image: string;
  build: { context: string; dockerfile: string };
  network_mode: string;
  runtime: string;
  restart: string;
  environment: Record<string, string>;
  volumes: (string | { type: string; source: string; target: string; read_only?: boolean })[];
  healthcheck: { test: string[]; interval: string; timeout: string; retries: number; start_period: string };
}

const composeText = fs.readFileSync(path.join(deployDir, 'docker-compose.yaml'), 'utf8');
const compose = parseYaml(composeText) as {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
};

/** Docker's durations as compose and HEALTHCHECK write them (e.g. 30s, 20m, 1m30s), in seconds. */
function seconds(duration: string): number {
  const parts = [...duration.matchAll(/(\d+)(h|m|s)/g)];
  assert.equal(parts.map((p) => p[0]).join(''), duration, `cannot read the duration ${duration}`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * { h: 3600, m: 60, s: 1 }[unit as 'h' | 'm' | 's'], 0);
}

/** The healthcheck command's script, which must be one the image builds. */
function assertHealthScript(command: string[], where: string): void {
  assert.deepEqual(command.slice(0, 2), ['node', '/app/build/ts/cli/healthcheck.js'], where);
  assert.ok(fs.existsSync(path.join(root, 'ts', 'cli', 'healthcheck.ts')), 'ts/cli/healthcheck.ts');
}
const service = compose.services['owl-stream'];

/** Compose volumes as {source (resolved against deploy/ when relative), target, readOnly}. */
function volumes(): { source: string; target: string; readOnly: boolean }[] {
  return service.volumes.map((v) => {
    if (typeof v !== 'string') return { source: v.source, target: v.target, readOnly: v.read_only === true };
    const [source, target, mode] = v.split(':');
    return { source: source.startsWith('.') ? path.resolve(deployDir, source) : source, target, readOnly: mode === 'ro' };
  });
}

/** The volume whose container path holds `file`, and the file's path on the host side. */
function hostPathOf(file: string): string | undefined {
  const volume = volumes().find((v) => file === v.target || file.startsWith(`${v.target}/`));
  return volume && path.join(volume.source, path.relative(volume.target, file));
}

describe('deploy/docker-compose.yaml', () => {
  test('one service on the host network with the NVIDIA runtime, always restarted', () => {
    assert.deepEqual(Object.keys(compose.services), ['owl-stream']);
    assert.equal(service.network_mode, 'host');
    assert.equal(service.runtime, 'nvidia');
    assert.equal(service.restart, 'always');
  });

  test('builds the DeepStream image from the repository root', () => {
    const context = path.resolve(deployDir, service.build.context);
    assert.equal(context, root);
    assert.ok(fs.existsSync(path.join(context, service.build.dockerfile)), service.build.dockerfile);
    assert.equal(service.build.dockerfile, 'deploy/Dockerfile.deepstream');
  });

  test('every variable is an owl-stream setting, and together they validate', () => {
    for (const name of Object.keys(service.environment)) assert.ok(knownVariables.has(name), `unknown variable ${name}`);
    const config = validateConfig(envLayer(service.environment));
    assert.equal(config.engine, 'deepstream');
    assert.deepEqual(classifyInput(config.input.uri), { kind: 'vst', base: 'http://0.0.0.0:81/' });
    assert.deepEqual(parseOutputUrl(config.output.url), { host: '0.0.0.0', port: 5011, mount: '/out' });
    assert.equal(config.api.port, 5010);
    assert.deepEqual([config.redis.host, config.redis.port, config.redis.stream], ['localhost', 6379, 'owl']);
  });

  test('the config file, the model folder and the engine lie on mounted volumes; the config is in the repo', () => {
    const env = service.environment;
    const configOnHost = hostPathOf(env.OWL_CONFIG);
    assert.ok(configOnHost && fs.existsSync(configOnHost), `${env.OWL_CONFIG} -> ${configOnHost}`);
    assert.ok(hostPathOf(env.OWL_MODEL_FOLDER), `${env.OWL_MODEL_FOLDER} is not on a volume`);
    assert.ok(hostPathOf(env.OWL_MODEL_IMAGE_ENCODER_ENGINE), 'the engine must persist on a volume');
    const models = volumes().find((v) => env.OWL_MODEL_IMAGE_ENCODER_ENGINE.startsWith(`${v.target}/`));
    assert.equal(models?.readOnly, false, 'the engine is written at first start');
  });

  test('the four-camera example (docker-compose.four-cameras.yaml over it): one DeepStream pipeline, batch 4', () => {
    const override = parseYaml(fs.readFileSync(path.join(deployDir, 'docker-compose.four-cameras.yaml'), 'utf8')) as
      { services: Record<string, Pick<ComposeService, 'environment'>> };
    assert.deepEqual(Object.keys(override.services), ['owl-stream']);
    const env = { ...service.environment, ...override.services['owl-stream'].environment };
    for (const name of Object.keys(env)) assert.ok(knownVariables.has(name), `unknown variable ${name}`);
    // The service reads the config file where the container sees it: on the volume of ../configs.
    const resolution = resolveConfig([], env, (file) => fs.readFileSync(hostPathOf(file) ?? file, 'utf8'));
    assert.equal(resolution.kind, 'run');
    const config = (resolution as Extract<typeof resolution, { kind: 'run' }>).config;
    assert.equal(config.engine, 'deepstream');
    assert.equal(config.input.uri, '', 'the cameras come from streams:, not VST');
    assert.deepEqual(configuredStreams(config).map((spec) => spec.id), ['dock-1', 'dock-2', 'gate', 'yard']);
    assert.equal(config.input.maxStreams, 4);
    assert.equal(config.model.imageEncoderEngine, env.OWL_MODEL_IMAGE_ENCODER_ENGINE);
    // nvstreammux and nvinfer batch 4, and the entry point builds the engine for it (OWL_INPUT_MAX_STREAMS).
    const input = deepStreamConfigInput(config, { onnxFile: '/m/image_encoder.onnx', engineFile: '/m/e.engine',
      inputSize: 768, mean: [0.5, 0.5, 0.5], std: [0.3, 0.3, 0.3] });
    assert.deepEqual([input.maxStreams, input.inferBatchSize, input.inferInterval], [4, 4, 1]);
    assert.equal(env.OWL_INPUT_MAX_STREAMS, '4');
    assert.equal(env.OWL_DEEPSTREAM_INFER_BATCH_SIZE, undefined);
  });

  test('the seed\'s Jetson mounts: /tmp/nv_jetson_model read-only and /tmp/argus_socket', () => {
    const byTarget = new Map(volumes().map((v) => [v.target, v]));
    assert.deepEqual(byTarget.get('/tmp/nv_jetson_model'),
      { source: '/tmp/nv_jetson_model', target: '/tmp/nv_jetson_model', readOnly: true });
    assert.equal(byTarget.get('/tmp/argus_socket')?.source, '/tmp/argus_socket');
  });

  test('the ingress snippet routes /owl/ and the seed\'s /genai/ to the API port', () => {
    const conf = fs.readFileSync(path.join(deployDir, 'ingress', 'owl-nginx.conf'), 'utf8');
    for (const prefix of ['owl', 'genai']) {
      const block = new RegExp(`location /${prefix}/ \\{([^}]*)\\}`).exec(conf)?.[1];
      assert.ok(block !== undefined, `no location /${prefix}/`);
      assert.ok(block.includes(`rewrite ^/${prefix}/?(.*)$ /$1 break;`), block);
      assert.ok(block.includes(`proxy_pass http://localhost:${service.environment.OWL_API_PORT};`), block);
    }
  });

  test('a healthcheck against /ready, with a start period for the first TensorRT engine build', () => {
    const { healthcheck } = service;
    assertHealthScript(healthcheck.test.slice(1), 'compose healthcheck');
    assert.equal(healthcheck.test[0], 'CMD');
    assert.ok(seconds(healthcheck.start_period) >= 15 * 60, `start_period ${healthcheck.start_period}`);
    assert.ok(seconds(healthcheck.timeout) > 4, 'longer than the probe\'s own 4 s timeout');
    assert.ok(healthcheck.retries >= 2 && seconds(healthcheck.interval) <= 60);
  });

  test('the runtime state lies on a named volume at the image\'s state.dir', () => {
    const state = volumes().find((v) => v.target === '/var/lib/owl-stream');
    assert.equal(state?.source, 'owl-state');
    assert.ok(compose.volumes !== undefined && 'owl-state' in compose.volumes, 'owl-state is declared');
  });

  test('the Redis cadence is set and explained beside it', () => {
    assert.equal(service.environment.OWL_REDIS_OUTPUT_INTERVAL, '1');
    const lines = composeText.split('\n');
    const at = lines.findIndex((line) => line.includes('OWL_REDIS_OUTPUT_INTERVAL'));
    let first = at;
    while (first > 0 && lines[first - 1].trim().startsWith('#')) first--;
    const comment = lines.slice(first, at).join(' ');
    assert.match(comment, /every 60th frame/);
    assert.match(comment, /redis_output_interval/);
  });
});

// --- Dockerfiles --------------------------------------------------------------------------------

interface Instruction {
  line: number;
  op: string;
  args: string;
}

const KNOWN_INSTRUCTIONS = new Set(['FROM', 'ARG', 'RUN', 'COPY', 'ADD', 'ENV', 'WORKDIR', 'ENTRYPOINT', 'CMD',
  'LABEL', 'EXPOSE', 'USER', 'VOLUME', 'HEALTHCHECK', 'SHELL', 'STOPSIGNAL', 'ONBUILD']);

/** Instructions with continuation lines joined; comments and blank lines dropped. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: Instruction | null = null;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (pending === null && (line === '' || line.startsWith('#'))) return;
    if (pending !== null && line.startsWith('#')) return;  // comments inside continuations
    const continued = line.endsWith('\\');
    const body = continued ? line.slice(0, -1).trim() : line;
    if (pending === null) {
      const [op, ...rest] = body.split(/\s+/);
      pending = { line: i + 1, op: op.toUpperCase(), args: rest.join(' ') };
    } else {
      pending.args = `${pending.args} ${body}`.trim();
    }
    if (!continued) {
      out.push(pending);
      pending = null;
    }
  });
  assert.equal(pending, null, 'the Dockerfile ends inside a continuation');
  return out;
}

/** .dockerignore patterns (root-relative, no negations used). */
function dockerIgnored(relative: string): boolean {
  const patterns = fs.readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n')
    .map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  return patterns.some((p) => {
    if (p.startsWith('**/')) return path.basename(relative).endsWith(p.slice(p.lastIndexOf('*') + 1));
    return relative === p || relative.startsWith(`${p}/`);
  });
}

/** What runs from the native build: the addon (with the DeepStream engine where the SDK is). */
const RUNTIME_NATIVE_FILES = new Set(['owl_stream.node']);

test('every native executable and the stand-in addon are test-only targets (behind OWL_BUILD_TESTING)', () => {
  const cmake = fs.readFileSync(path.join(root, 'native', 'CMakeLists.txt'), 'utf8');
  const targets = [...cmake.matchAll(/^\s*add_(executable|library)\((\w+)/gm)].map((m) => ({ kind: m[1], name: m[2] }));
  const runtime = new Set(['owl_stream', 'owl_decode', 'owl_tracker', 'owl_addon_core']);
  const testOnly = targets.filter((t) => !runtime.has(t.name));
  assert.deepEqual(testOnly.map((t) => t.name).sort(), ['gstowlstandins', 'owl_gst_parse_check', 'owl_keyfile_dump',
    'owl_nvds_standin', 'owl_stream_ds_standin', 'owl_tensor_decode_harness', 'owl_test_camera', 'owl_tracker_test']);
  // Each test-only target is declared inside an `if(OWL_BUILD_TESTING ...)` block, or inside the block of the
  // DeepStream stand-ins, which are off without OWL_BUILD_TESTING.
  for (const { name } of testOnly) {
    const at = cmake.search(new RegExp(`add_(executable|library)\\(${name}\\b`));
    // elseif(c) replaces the condition of the block it continues.
    const opened = [...cmake.slice(0, at).matchAll(/^\s*(if|elseif|endif)\((.*)\)\s*$/gm)]
      .reduce<string[]>((stack, m) => {
        if (m[1] === 'if') return [...stack, m[2]];
        if (m[1] === 'elseif') return [...stack.slice(0, -1), m[2]];
        return stack.slice(0, -1);
      }, []);
    assert.ok(opened.some((c) => /\bOWL_BUILD_TESTING\b/.test(c) || /^OWL_DS_STANDIN\b/.test(c)),
      `${name} is built without OWL_BUILD_TESTING (inside: ${opened.join(' / ') || 'nothing'})`);
  }
  assert.match(cmake, /if\(NOT OWL_BUILD_TESTING\)\s+set\(OWL_DS_STANDIN OFF\)/);
});

for (const name of ['Dockerfile', 'Dockerfile.deepstream']) {
  describe(`deploy/${name}`, () => {
    const instructions = parseDockerfile(fs.readFileSync(path.join(deployDir, name), 'utf8'));
    const globalArgs = new Map<string, string>();
    for (const ins of instructions) {
      if (ins.op !== 'ARG') break;
      const [key, value = ''] = ins.args.split('=');
      globalArgs.set(key, value);
    }
    const stages = instructions.filter((i) => i.op === 'FROM');

    test('a HEALTHCHECK against /ready, in exec form, with a start period', () => {
      const checks = instructions.filter((i) => i.op === 'HEALTHCHECK');
      assert.equal(checks.length, 1);
      const [, options, command] = /^((?:--[\w-]+=\S+\s+)*)CMD\s+(\[.*\])$/.exec(checks[0].args) ?? [];
      assert.ok(command !== undefined, `line ${checks[0].line}: HEALTHCHECK [options] CMD [exec form]`);
      assertHealthScript(JSON.parse(command) as string[], name);
      const flags = new Map([...options.matchAll(/--([\w-]+)=(\S+)/g)].map((m) => [m[1], m[2]]));
      assert.ok(seconds(flags.get('start-period') ?? '0s') >= (name === 'Dockerfile' ? 60 : 15 * 60));
      assert.ok(seconds(flags.get('timeout') ?? '30s') > 4);
      const env = instructions.filter((i) => i.op === 'ENV').map((i) => i.args).join(' ');
      assert.match(env, /OWL_STATE_DIR=\/var\/lib\/owl-stream/);
      assert.ok(instructions.some((i) => i.op === 'VOLUME' && i.args === '/var/lib/owl-stream'));
    });

    test('known instructions only; ARG then FROM first', () => {
      for (const ins of instructions) assert.ok(KNOWN_INSTRUCTIONS.has(ins.op), `line ${ins.line}: ${ins.op}`);
      const first = instructions.find((i) => i.op !== 'ARG');
      assert.equal(first?.op, 'FROM');
    });

    test('every base image is a declared ARG with a default or a pinned image; no latest, no untagged', () => {
      const stageNames = new Set<string>();
      for (const from of stages) {
        const [image, as, stage] = from.args.split(/\s+/);
        const resolved = image.replace(/\$\{(\w+)\}/g, (_, arg: string) => {
          assert.ok(globalArgs.has(arg), `line ${from.line}: ARG ${arg} is not declared before the first FROM`);
          return globalArgs.get(arg)!;
        });
        if (!stageNames.has(resolved)) {
          const tag = /^[^@]+:([\w][\w.-]*)$/.exec(resolved.replace(/^[^/]+\.[^/]+(:\d+)?\//, ''))?.[1];
          assert.ok(tag !== undefined || resolved.includes('@sha256:'), `line ${from.line}: ${resolved} has no tag`);
          assert.notEqual(tag, 'latest', `line ${from.line}: ${resolved}`);
        }
        if (as?.toUpperCase() === 'AS') stageNames.add(stage);
      }
    });

    test('COPY sources exist in the build context (the repository root) and are not ignored', () => {
      const stageNames = new Set(stages.map((s) => s.args.split(/\s+/)[2]).filter(Boolean));
      for (const copy of instructions.filter((i) => i.op === 'COPY' || i.op === 'ADD')) {
        const words = copy.args.split(/\s+/);
        const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
        const paths = words.filter((w) => !w.startsWith('--'));
        assert.ok(paths.length >= 2, `line ${copy.line}: COPY needs a source and a destination`);
        if (from !== undefined) {
          assert.ok(stageNames.has(from), `line ${copy.line}: --from=${from} is not an earlier stage`);
          continue;
        }
        for (const source of paths.slice(0, -1)) {
          assert.ok(fs.existsSync(path.join(root, source)), `line ${copy.line}: ${source} does not exist`);
          assert.ok(!dockerIgnored(source), `line ${copy.line}: ${source} is excluded by .dockerignore`);
        }
      }
    });

    test('the native build leaves out the test-only targets, and only the addon is copied', () => {
      const builds = instructions.filter((i) => i.op === 'RUN' && i.args.includes('deploy/build-native.js'));
      assert.equal(builds.length, 1, 'one native build');
      assert.match(builds[0].args, /(^|&&\s*)OWL_BUILD_TESTING=OFF node deploy\/build-native\.js/,
        `line ${builds[0].line}: the native build runs without OWL_BUILD_TESTING=OFF`);
      const copied = instructions.filter((i) => i.op === 'COPY' && i.args.includes('native/build'))
        .flatMap((i) => i.args.split(/\s+/).filter((w) => !w.startsWith('--')).slice(0, -1)
          .map((source) => ({ line: i.line, source })));
      assert.ok(copied.length > 0, 'the addon is copied into the image');
      for (const { line, source } of copied) {
        assert.ok(RUNTIME_NATIVE_FILES.has(path.basename(source)),
          `line ${line}: ${source} is not one of ${[...RUNTIME_NATIVE_FILES].join(', ')} (a folder or a test binary)`);
      }
    });

    test('ENV sets known owl-stream variables only; the entry point exists and is executable', () => {
      for (const env of instructions.filter((i) => i.op === 'ENV')) {
        for (const [, key] of env.args.matchAll(/(?:^|\s)(\w+)=/g)) {
          if (key.startsWith('OWL_')) assert.ok(knownVariables.has(key), `line ${env.line}: unknown variable ${key}`);
        }
      }
      const entry = instructions.filter((i) => i.op === 'ENTRYPOINT').at(-1);
      assert.ok(entry, 'no ENTRYPOINT');
      const argv = JSON.parse(entry.args) as string[];
      const script = argv.find((a) => a.startsWith('/app/'))!;
      const inRepo = script.replace(/^\/app\//, '').replace(/^build\/(ts\/.*)\.js$/, '$1.ts');
      assert.ok(fs.existsSync(path.join(root, inRepo)), `${script} (${inRepo}) is not in the repository`);
      if (inRepo.endsWith('.sh')) assert.ok(fs.statSync(path.join(root, inRepo)).mode & 0o111, `${inRepo} is not executable`);
    });
  });
}

test('Dockerfile.deepstream: DeepStream 7.1 multi-arch by default, the engine built at first start', () => {
  const text = fs.readFileSync(path.join(deployDir, 'Dockerfile.deepstream'), 'utf8');
  assert.match(text, /^ARG BASE_IMAGE=nvcr\.io\/nvidia\/deepstream:7\.1-triton-multiarch$/m);
  const entry = fs.readFileSync(path.join(deployDir, 'docker-entrypoint.sh'), 'utf8');
  assert.match(entry, /deploy\/build-engine\.sh "\$\{OWL_MODEL_FOLDER/);
  // The engine is built for nvinfer's batch: deepstream.inferBatchSize where set, else the service's cameras.
  assert.match(entry, /^ {2}batch="\$\{OWL_DEEPSTREAM_INFER_BATCH_SIZE:-0\}"\n {2}\[ "\$batch" != 0 \] \|\| batch="\$\{OWL_INPUT_MAX_STREAMS:-8\}"$/m);
  assert.match(entry, /"\$batch"$/m);
  const cli = /^exec node build\/(ts\/\S+)\.js "\$@"$/m.exec(entry)?.[1];
  assert.ok(cli && fs.existsSync(path.join(root, `${cli}.ts`)), `the entry point runs ${cli}.ts`);
});

// --- shell scripts ------------------------------------------------------------------------------

test('shellcheck passes on every shell script under deploy/, test/ and native/tools/', () => {
  const scripts = ['deploy', 'test', 'native/tools'].flatMap((dir) => fs.readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.sh')).map((f) => path.join(dir, f)));
  assert.ok(scripts.includes('deploy/build-engine.sh') && scripts.includes('native/tools/ds-compile-check.sh'));
  // shellcheck comes with the project's set-up (deploy/setup.sh); a missing one fails here.
  execFileSync('shellcheck', scripts, { cwd: root, stdio: 'pipe' });
});

// --- build-engine.sh with a stand-in trtexec ----------------------------------------------------

describe('deploy/build-engine.sh (TensorRT stood in for by a script that records its arguments)', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-build-engine-'));
  after(() => fs.rmSync(work, { recursive: true, force: true }));
  const standIn = path.join(work, 'trtexec-stand-in');
  const argsFile = path.join(work, 'trtexec-args');
  fs.writeFileSync(standIn, [
    '#!/bin/sh',
    `echo "$@" >> "${argsFile}"`,
    'for a; do case $a in --saveEngine=*) echo engine > "${a#--saveEngine=}";; esac; done',
    '',
  ].join('\n'), { mode: 0o755 });

  function run(modelDir: string, engine: string, trtexec = standIn, batch?: string): Promise<{ code: number; stderr: string }> {
    return new Promise((resolve) => {
      execFile(path.join(deployDir, 'build-engine.sh'), [modelDir, engine, ...(batch === undefined ? [] : [batch])],
        { env: { ...process.env, TRTEXEC: trtexec } },
        (err, _stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr }));
    });
  }

  function modelFolder(name: string, owl: object | null): string {
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    if (owl) fs.writeFileSync(path.join(dir, 'owl.json'), JSON.stringify(owl));
    fs.writeFileSync(path.join(dir, 'image_encoder.onnx'), 'onnx');
    return dir;
  }

  test('builds once with the size and file from owl.json, then leaves an up-to-date engine alone', async () => {
    const dir = modelFolder('ok', { imageSize: 840, files: { imageEncoder: 'image_encoder.onnx' } });
    const engine = path.join(work, 'engines', 'owl.engine');
    assert.equal((await run(dir, engine)).code, 0);
    assert.equal(fs.readFileSync(argsFile, 'utf8'),
      `--onnx=${dir}/image_encoder.onnx --saveEngine=${engine}.partial --fp16 --shapes=image:1x3x840x840\n`);
    assert.equal(fs.readFileSync(engine, 'utf8'), 'engine\n');
    assert.ok(!fs.existsSync(`${engine}.partial`));
    const again = await run(dir, engine);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /is up to date/);
    assert.equal(fs.readFileSync(argsFile, 'utf8').split('\n').length, 2, 'trtexec ran once');
    // A newer ONNX file (re-export) rebuilds.
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(dir, 'image_encoder.onnx'), later, later);
    await run(dir, engine);
    assert.equal(fs.readFileSync(argsFile, 'utf8').split('\n').length, 3, 'trtexec ran again');
  });

  test('a batch of four cameras: an optimisation profile from 1 to 4 frames; a changed batch rebuilds', async () => {
    const dir = modelFolder('batch', { imageSize: 768, files: { imageEncoder: 'image_encoder.onnx' } });
    const engine = path.join(work, 'engines', 'batch4.engine');
    fs.rmSync(argsFile, { force: true });
    assert.equal((await run(dir, engine, standIn, '4')).code, 0);
    assert.equal(fs.readFileSync(argsFile, 'utf8'), `--onnx=${dir}/image_encoder.onnx --saveEngine=${engine}.partial `
      + '--fp16 --minShapes=image:1x3x768x768 --optShapes=image:4x3x768x768 --maxShapes=image:4x3x768x768\n');
    assert.equal(fs.readFileSync(`${engine}.batch`, 'utf8'), '4\n');
    assert.match((await run(dir, engine, standIn, '4')).stderr, /is up to date \(batch 4\)/);
    assert.equal((await run(dir, engine, standIn, '8')).code, 0);
    assert.match(fs.readFileSync(argsFile, 'utf8').split('\n')[1], /--maxShapes=image:8x3x768x768$/);
    const bad = await run(dir, engine, standIn, 'four');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /max batch must be a positive integer, received 'four'/);
  });

  test('clear errors: no owl.json, no imageSize, no trtexec', async () => {
    const none = await run(modelFolder('none', null), path.join(work, 'e1'));
    assert.equal(none.code, 1);
    assert.match(none.stderr, /owl\.json not found: export the model first/);
    const bad = await run(modelFolder('bad', { files: { imageEncoder: 'image_encoder.onnx' } }), path.join(work, 'e2'));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /has no integer imageSize or files\.imageEncoder/);
    const dir = modelFolder('notrt', { imageSize: 768, files: { imageEncoder: 'image_encoder.onnx' } });
    const noTrt = await run(dir, path.join(work, 'e3'), path.join(work, 'missing-trtexec'));
    assert.equal(noTrt.code, 1);
    assert.match(noTrt.stderr, /trtexec not found at .*missing-trtexec: install TensorRT or set TRTEXEC/);
  });
});
