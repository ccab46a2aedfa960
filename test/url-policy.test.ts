// SPDX-License-Identifier: Apache-2.0
// The one URL validator and the text rules at every entry point (issue #13, items 1 and 2), in-process: the
// validator itself, the CLI, the environment and config files through the real resolver, the logger, the
// native guard behind them. The same hostile URLs against the running service: test/security-injection.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exposureWarning } from '../ts/api/exposure';
import { resolveConfig } from '../ts/cli/args';
import { describeValue } from '../ts/errors/expected';
import { ConfigError } from '../ts/config/errors';
import { checkInput, classifyInput } from '../ts/config/input-uri';
import { boundText, controlCharProblem, escapeControlChars } from '../ts/config/safe-text';
import { defaultConfig } from '../ts/config/schema';
import { checkUrl, MAX_URL_LENGTH } from '../ts/config/url-policy';
import { native } from '../ts/native';
import { resolvePipelineOptions } from '../ts/pipeline/options';
import { createLogger, MAX_MESSAGE_LENGTH } from '../ts/service/logger';

/** The request: a URL whose line breaks would put a Redis command into rtspsrc's request line. */
const CRLF_URL = 'rtsp://127.0.0.1:6379/x\r\nSET owl_canary injected\r\nX';
// Characters no external text may carry (C0, DEL, C1, separators, bidi overrides, lone surrogates).
const CONTROLS = ['\u0000', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u009b', '\u2028', '\u2029', '\u202e',
  '\u2066', '\ud800', '\udfff'];
/** True when `text` holds none of the characters above (a message that can be written as one line). */
const clean = (text: string) => controlCharProblem(text) === null;

function refusal(argv: string[], env: NodeJS.ProcessEnv = {}, files: Record<string, string> = {}): string {
  try {
    resolveConfig(argv, env, (path) => {
      if (!(path in files)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return files[path];
    });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message;
  }
  assert.fail(`accepted ${JSON.stringify(argv)} ${JSON.stringify(env)}`);
}

describe('the URL validator', () => {
  it('refuses the CRLF URL, naming the character and its position, never echoing it', () => {
    const checked = checkUrl(CRLF_URL, ['rtsp:']);
    assert.deepEqual(checked, { ok: false, problem: 'contains a carriage return (U+000D) at position 24' });
    // The WHATWG parser alone would have taken it: it silently drops CR and LF.
    assert.equal(new URL(CRLF_URL).pathname, '/xSET%20owl_canary%20injectedX');
    assert.equal(classifyInput(CRLF_URL), null);
  });

  it('refuses every control character, whitespace and non-ASCII character anywhere, raw or percent-encoded', () => {
    const base = 'rtsp://user:pw@cam.local:554/live/main?channel=1';
    for (const c of [...CONTROLS, ' ', '\u00a0', '\u3000', '\ufeff', 'é']) {
      for (const at of [0, 7, 15, 29, base.length]) {
        const url = base.slice(0, at) + c + base.slice(at);
        const checked = checkUrl(url, ['rtsp:']);
        assert.equal(checked.ok, false, JSON.stringify(url));
        if (!checked.ok) {
          assert.match(checked.problem, new RegExp(`at position ${at + 1}`), JSON.stringify(url));
          assert.ok(clean(checked.problem) && (c === ' ' || !checked.problem.includes(c)), checked.problem);
        }
      }
    }
    for (const encoded of ['%0d%0a', '%0A', '%00', '%1b', '%7F', '%09']) {
      const checked = checkUrl(`rtsp://cam/x${encoded}y`, ['rtsp:']);
      assert.deepEqual(checked, { ok: false, problem: `contains an encoded control character (${encoded.slice(0, 3).toUpperCase()}) at position 13` });
    }
  });

  it('refuses what another parser could read differently, and what is not a camera address', () => {
    const cases: [string, string][] = [
      ['rtsp://cam\\@evil/x', 'contains a backslash at position 11'],
      ['rtsp://a"b/x', 'contains the character " (U+0022), not allowed in a URL, at position 9; percent-encode it'],
      ['rtsp://cam/x|y', 'contains the character | (U+007C), not allowed in a URL, at position 13; percent-encode it'],
      ['rtsp://cam/x#frag', 'has a fragment (#...); remove it'],
      ['rtsp:///x', 'has no host'],
      ['rtsp:cam', 'has no host'],
      ['ftp://cam/x', 'has the scheme "ftp:"; expected rtsp: or rtsps:'],
      ['rtsp://[::1/x', 'is not a URL (expected rtsp://host... or rtsps://host...)'],
      ['rtsp://cam:99999/x', 'is not a URL (expected rtsp://host... or rtsps://host...)'],
      [`rtsp://cam/${'a'.repeat(MAX_URL_LENGTH)}`, `is ${MAX_URL_LENGTH + 11} characters long, at most ${MAX_URL_LENGTH} allowed`],
      ['', 'is empty'],
    ];
    for (const [url, problem] of cases) assert.deepEqual(checkUrl(url, ['rtsp:', 'rtsps:']), { ok: false, problem }, url);
  });

  it('passes on the normal form, which reads back as itself', () => {
    const cases: [string, string][] = [
      ['rtsp://cam.local:554/live/main?channel=1', 'rtsp://cam.local:554/live/main?channel=1'],
      ['RTSP://cam/live/../main', 'rtsp://cam/main'],
      ['rtsp://a@b@cam/x', 'rtsp://a%40b@cam/x'],
      ['rtsp://[::1]:8554/x', 'rtsp://[::1]:8554/x'],
      ['http://vst:81', 'http://vst:81/'],
      ['HTTP://VST.example:80/vst', 'http://vst.example/vst'],
    ];
    for (const [raw, href] of cases) {
      const checked = checkUrl(raw, ['rtsp:', 'http:']);
      assert.ok(checked.ok, raw);
      assert.equal(checked.href, href, raw);
      assert.equal(new URL(checked.href).href, checked.href);
    }
    // Inputs keep it: what is validated is what the pipeline and VST get.
    assert.deepEqual(checkInput('RTSP://cam/live/../main'), { ok: true, input: { kind: 'rtsp', url: 'rtsp://cam/main' },
      uri: 'rtsp://cam/main' });
    assert.deepEqual(checkInput('clips/a b.mkv'), { ok: true, input: { kind: 'file', path: 'clips/a b.mkv' }, uri: 'clips/a b.mkv' });
    assert.deepEqual(checkInput('clips/a\nb.mkv'), { ok: false, problem: 'contains a line feed (U+000A) at position 8' });
    assert.deepEqual(checkInput('test:ball;x'), { ok: false, problem: 'names no test pattern: use test: or test:<pattern> such as test:ball' });
  });
});

describe('URL entry points: flags, environment and config files', () => {
  it('refuses the CRLF URL from each, naming the flag, variable or file and the character', () => {
    const why = 'contains a carriage return (U+000D) at position 24';
    const allowed = 'an rtsp:// URL, a VST http(s):// address, a file path or test:[pattern]';
    assert.equal(refusal([CRLF_URL]), `stream_input: input.uri: expected ${allowed}; the value ${why}`);
    assert.equal(refusal([], { OWL_INPUT_URI: CRLF_URL }), `environment OWL_INPUT_URI: input.uri: expected ${allowed}; the value ${why}`);
    assert.equal(refusal(['--config', 'c.yaml'], {}, { 'c.yaml': `input:\n  uri: ${JSON.stringify(CRLF_URL)}\n` }),
      `c.yaml: input.uri: expected ${allowed}; the value ${why}`);
    assert.match(refusal(['test:'], { OWL_STREAMS: CRLF_URL }), /^environment OWL_STREAMS: streams\[0\]\.uri: expected .*; the value contains a carriage return \(U\+000D\) at position 24$/);
    assert.match(refusal(['--config', 'c.yaml', 'test:'], {}, { 'c.yaml': `streams:\n  - uri: ${JSON.stringify(CRLF_URL)}\n` }),
      /^c\.yaml: streams\[0\]\.uri: expected .*; the value contains a carriage return \(U\+000D\) at position 24$/);
    assert.equal(refusal(['test:', '--stream_output', 'rtsp://0.0.0.0:6000/out\r\nX']),
      '--stream_output: output.url: expected an rtsp://host:port/path URL such as rtsp://0.0.0.0:6000/out; the value '
      + 'contains a carriage return (U+000D) at position 24');
  });

  it('refuses control characters in every text setting, naming where each came from', () => {
    const cases: [NodeJS.ProcessEnv, string][] = [
      [{ OWL_SENSOR_ID: 'cam\n2026-01-01T00:00:00.000Z info  [owl-stream] forged' }, 'environment OWL_SENSOR_ID: sensor.id'],
      [{ OWL_REDIS_HOST: 'localhost\r\n' }, 'environment OWL_REDIS_HOST: redis.host'],
      [{ OWL_REDIS_STREAM: 'owl\u0000' }, 'environment OWL_REDIS_STREAM: redis.stream'],
      [{ OWL_API_TOKEN: 'tok\u001b[2J' }, 'environment OWL_API_TOKEN: api.token'],
      [{ OWL_INPUT_VST_STREAM: 'gate\u2028' }, 'environment OWL_INPUT_VST_STREAM: input.vst.stream'],
      [{ OWL_REDIS_PASSWORD: 'pw\n' }, 'environment OWL_REDIS_PASSWORD: redis.password'],
    ];
    for (const [env, where] of cases) {
      const message = refusal(['test:'], env);
      assert.ok(message.startsWith(`${where}: expected a `), message);
      assert.match(message, /; the value contains .* at position \d+$/);
      assert.ok(clean(message), JSON.stringify(message));
    }
    assert.match(refusal(['test:', '--objects', 'a person,line1\nline2']),
      /^--objects: prompts\.objects: prompt 2 contains a line feed \(U\+000A\) at position 6; prompts are plain text/);
  });

  it('keeps messages one line even when the source itself is hostile', () => {
    const message = refusal(['--config', 'evil\n.yaml']);
    assert.ok(clean(message) && message.includes('evil\\n.yaml'), JSON.stringify(message));
    assert.equal(describeValue('a\u007fb\u0085c\u2028'), '"a\\x7fb\\x85c\\u2028"');
  });

  it('reads redis.passwordFile and mqtt.passwordFile, never showing their content', () => {
    const resolved = resolveConfig(['test:'], { OWL_REDIS_PASSWORD_FILE: '/run/secrets/redis' },
      (path) => (path === '/run/secrets/redis' ? 's3cret pass\n' : ''));
    assert.equal(resolved.kind === 'run' && resolved.config.redis.password, 's3cret pass');
    const missing = refusal(['test:'], { OWL_REDIS_PASSWORD_FILE: '/run/secrets/none' });
    assert.equal(missing, 'environment OWL_REDIS_PASSWORD_FILE: redis.passwordFile: cannot read the password file: ENOENT '
      + '("/run/secrets/none")');
    assert.match(refusal(['test:'], { OWL_REDIS_PASSWORD: 'a', OWL_REDIS_PASSWORD_FILE: '/x' }),
      /redis\.passwordFile: expected redis\.password or redis\.passwordFile, not both$/);
    // The MQTT output's the same way.
    const mqtt = resolveConfig(['test:'], { OWL_MQTT_PASSWORD_FILE: '/run/secrets/mqtt' },
      (path) => (path === '/run/secrets/mqtt' ? 'broker pw\r\n' : ''));
    assert.equal(mqtt.kind === 'run' && mqtt.config.mqtt.password, 'broker pw');
    assert.equal(refusal(['test:'], { OWL_MQTT_PASSWORD_FILE: '/run/secrets/none' }), 'environment '
      + 'OWL_MQTT_PASSWORD_FILE: mqtt.passwordFile: cannot read the password file: ENOENT ("/run/secrets/none")');
    assert.match(refusal(['test:'], { OWL_MQTT_PASSWORD: 'a', OWL_MQTT_PASSWORD_FILE: '/x' }),
      /mqtt\.passwordFile: expected mqtt\.password or mqtt\.passwordFile, not both$/);
    assert.match(refusal(['test:'], { OWL_OUTPUT_AUTH_USER: 'viewer' }),
      /^default: output\.auth\.password: expected both output\.auth\.user and output\.auth\.password, or neither$/);
    assert.match(refusal(['test:'], { OWL_OUTPUT_AUTH_USER: 'a:b', OWL_OUTPUT_AUTH_PASSWORD: 'x' }),
      /output\.auth\.user: expected a user name without ":"/);
  });
});

describe('text that reaches logs', () => {
  it('writes every message as exactly one line, control characters escaped, bounded in length', () => {
    const lines: string[] = [];
    const log = createLogger('debug', (line) => lines.push(line));
    log.child('cam\n1').warn(`input lost: ${CRLF_URL} \u001b[31mred\u001b[0m \u2028 \u202e`);
    log.info('x'.repeat(MAX_MESSAGE_LENGTH + 500));
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.equal(line.indexOf('\n'), line.length - 1, 'one line, ended by its own line feed');
      assert.ok(clean(line.slice(0, -1)), JSON.stringify(line));
    }
    assert.match(lines[0], / warn  \[owl-stream:cam\\n1\] input lost: rtsp:\/\/127\.0\.0\.1:6379\/x\\r\\nSET owl_canary injected\\r\\nX \\x1b\[31mred\\x1b\[0m \\u2028 \\u202e\n$/);
    assert.ok(lines[1].endsWith('… (500 more characters)\n'), lines[1].slice(-40));
    assert.equal(escapeControlChars('\ud83d\ude00 ok \ud83d'), '\ud83d\ude00 ok \\ud83d', 'pairs kept, lone surrogates escaped');
    assert.equal(boundText('ab\ud83d\ude00', 3), 'ab… (2 more characters)', 'a pair is never cut in two');
  });

  it('warns at start about an API without a token beyond loopback', () => {
    const config = defaultConfig();
    assert.match(exposureWarning(config) ?? '', /^REST API on 0\.0\.0\.0:5000 has no token: anyone who can reach this port .* Set a token with OWL_API_TOKEN/);
    assert.equal(exposureWarning({ ...config, api: { ...config.api, token: 't' } }), null);
    assert.equal(exposureWarning({ ...config, api: { ...config.api, host: '127.0.0.1' } }), null);
  });
});

describe('the native guard (defence in depth)', () => {
  it('refuses an RTSP location with a control character or whitespace that TS did not stop', () => {
    const { native: options } = resolvePipelineOptions({ input: 'rtsp://127.0.0.1:1/x', output: null });
    for (const [uri, byte, position] of [[CRLF_URL, '0x0D', 24], ['rtsp://cam/a b', '0x20', 13], ['rtsp://cam/\u007f', '0x7F', 12]] as const) {
      const hostile = { ...options, input: { ...options.input, uri }, output: { ...options.output, server: null } };
      assert.throws(() => new native.Pipeline(hostile, () => undefined, () => undefined), {
        name: 'TypeError', message: `Expected text without control characters or whitespace for input.uri but received byte ${position} = ${byte}`,
      });
    }
  });
});
