// SPDX-License-Identifier: Apache-2.0
// Input URIs, the output URL and the derived sensor id.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyInput } from '../ts/config/input-uri';
import { parseOutputUrl } from '../ts/config/output-url';
import { deriveSensorId } from '../ts/config/sensor-id';

describe('input URIs', () => {
  it('classifies RTSP cameras, VST addresses, files and the test source', () => {
    assert.deepEqual(classifyInput('rtsp://0.0.0.0:8554/stream'), { kind: 'rtsp', url: 'rtsp://0.0.0.0:8554/stream' });
    // The normal form is what the pipeline gets: the scheme in lower case.
    assert.deepEqual(classifyInput('RTSPS://cam/live'), { kind: 'rtsp', url: 'rtsps://cam/live' });
    assert.deepEqual(classifyInput('http://0.0.0.0:81'), { kind: 'vst', base: 'http://0.0.0.0:81/' });
    assert.deepEqual(classifyInput('https://vst.example:30080/vst'), { kind: 'vst', base: 'https://vst.example:30080/vst' });
    assert.deepEqual(classifyInput('/data/clip.mp4'), { kind: 'file', path: '/data/clip.mp4' });
    assert.deepEqual(classifyInput('clips/a b.mkv'), { kind: 'file', path: 'clips/a b.mkv' });
    assert.deepEqual(classifyInput('file:///data/a%20b.mp4'), { kind: 'file', path: '/data/a b.mp4' });
    assert.deepEqual(classifyInput('test:'), { kind: 'test', pattern: '' });
    assert.deepEqual(classifyInput('test:ball'), { kind: 'test', pattern: 'ball' });
  });

  it('refuses what it cannot play', () => {
    for (const uri of ['', '  ', 'ftp://h/x', 'rtsp://', 'http://', 'rtmp://h/live']) {
      assert.equal(classifyInput(uri), null, uri);
    }
  });
});

describe('output URL', () => {
  it('splits rtsp://host:port/path into bind address, port and mount', () => {
    assert.deepEqual(parseOutputUrl('rtsp://0.0.0.0:6000/out'), { host: '0.0.0.0', port: 6000, mount: '/out' });
    assert.deepEqual(parseOutputUrl('rtsp://[::]:5011/a/b'), { host: '::', port: 5011, mount: '/a/b' });
  });

  it('refuses URLs without port or mount, or of another scheme', () => {
    for (const url of ['rtsp://0.0.0.0/out', 'rtsp://0.0.0.0:6000', 'rtsp://0.0.0.0:6000/', 'http://0.0.0.0:6000/out',
      'rtsp://u:p@0.0.0.0:6000/out', 'out']) {
      assert.equal(parseOutputUrl(url), null, url);
    }
  });
});

describe('sensor id', () => {
  it('is the last path segment of an RTSP URL, as in the seed', () => {
    assert.equal(deriveSensorId({ kind: 'rtsp', url: 'rtsp://0.0.0.0:8554/stream' }), 'stream');
    assert.equal(deriveSensorId({ kind: 'rtsp', url: 'rtsp://cam:554/live/front%20door/' }), 'front door');
    assert.equal(deriveSensorId({ kind: 'rtsp', url: 'rtsp://cam.local:554' }), 'cam.local');
  });

  it('is the file name without extension, or test[-pattern]', () => {
    assert.equal(deriveSensorId({ kind: 'file', path: '/data/dock.cam.mp4' }), 'dock.cam');
    assert.equal(deriveSensorId({ kind: 'test', pattern: '' }), 'test');
    assert.equal(deriveSensorId({ kind: 'test', pattern: 'ball' }), 'test-ball');
    assert.equal(deriveSensorId({ kind: 'vst', base: 'http://h:81' }), '');
  });
});
