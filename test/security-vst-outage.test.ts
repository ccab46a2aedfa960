// SPDX-License-Identifier: Apache-2.0
// Issue #13, item 3: the RTSP output is served from the stream's creation whatever VST does (answers garbage,
// 500, an empty list, a hostile URL, or hangs), the stream is shown as still discovering with VST's last error and
// a non-empty id, and a viewer who joined while VST failed gets the camera once VST names it. Real parts: the
// service as a process, ffmpeg as the RTSP client, the test camera; VST is a stand-in (it cannot run here).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RecordingServer } from './helpers/recording-server';
import { grabFrame, measureRtsp, pixelAt, RtspWatcher } from './helpers/rtsp-reader';
import { ServiceProcess, TINY_MODEL } from './helpers/service-process';
import { TestCamera } from './helpers/test-camera';
import { vstEntry, VstStandIn, type StandInAnswer } from './helpers/vst-standin';

describe('RTSP output and state while VST discovery fails', () => {
  let answer: () => StandInAnswer | null = () => ({ status: 200, body: '<html>not the stream list</html>' });
  let vst: VstStandIn;
  let camera: TestCamera;
  let recorder: RecordingServer;
  let service: ServiceProcess;
  let early: RtspWatcher;

  before(async () => {
    vst = new VstStandIn(() => answer());
    const base = await vst.start();
    [camera, recorder] = await Promise.all([
      TestCamera.start({ width: 320, height: 240, fps: 30, pattern: 'smpte' }), RecordingServer.start()]);
    service = await ServiceProcess.start({
      args: [base, '--model', TINY_MODEL, '--redis_port', '1'],
      env: { OWL_INPUT_RECONNECT_INITIAL_DELAY_MS: '100', OWL_INPUT_RECONNECT_MAX_DELAY_MS: '400',
        OWL_INPUT_VST_TIMEOUT_MS: '300', OWL_OUTPUT_ENCODER_WIDTH: '320', OWL_OUTPUT_ENCODER_HEIGHT: '240' },
    });
  });

  after(async () => {
    await early?.stop();
    await service.dispose();
    await Promise.all([vst.stop(), camera.stop(), recorder.stop()]);
  });

  /** Waits until the one stream is discovering with a reason matching `reason`, and checks /ready says so. */
  async function discovering(reason: RegExp): Promise<void> {
    await service.waitFor(async () => {
      const stream = (await service.get('/status')).body.streams?.[0];
      return stream?.state === 'discovering' && reason.test(stream.reason);
    }, `discovering with ${reason}`, 10_000);
    const status = (await service.get('/status')).body.streams[0];
    assert.equal(status.id, 'vst', 'a stream id while VST has not named it');
    const ready = await service.get('/ready');
    assert.equal(ready.status, 503);
    assert.ok(ready.body.reasons.some((r: string) => r.startsWith('stream vst is discovering: ') && reason.test(r)),
      JSON.stringify(ready.body.reasons));
  }

  it('serves the output (black, 320x240 as configured) while VST answers garbage', async () => {
    await discovering(/VST at http:\/\/127\.0\.0\.1:\d+\/ answered 200 .* with something other than JSON/);
    const measured = await measureRtsp(service.outputUrl, 1);
    assert.deepEqual([measured.codec, measured.width, measured.height], ['h264', 320, 240]);
    assert.ok(measured.fps >= 20, `${measured.fps} fps`);
    // A viewer that stays from now on, through every failure and the camera's arrival.
    early = new RtspWatcher(service.outputUrl);
    await early.ready;
  });

  it('keeps serving while VST answers 500, an empty list, a hostile URL, or hangs', async () => {
    const phases: [() => StandInAnswer | null, RegExp][] = [
      [() => ({ status: 500, body: { error: 'boom' } }), /answered 500 for \/api\/v1\/live\/streams; retrying in \d+ ms$/],
      [() => ({ status: 200, body: [] }), /has no usable stream: its stream list is empty; add a camera in VST first; asking VST again/],
      [() => ({ status: 200, body: [vstEntry('evil', 'evil', `rtsp://127.0.0.1:${recorder.port}/x\r\nSET owl_canary 1\r\nX`)] }),
        /none has a main RTSP URL \(evil: the main substream's url contains a carriage return \(U\+000D\) at position \d+\)/],
      [() => null, /is unreachable: no answer within 300 ms; retrying in \d+ ms$/],
    ];
    for (const [next, reason] of phases) {
      answer = next;
      await discovering(reason);
      const now = performance.now();
      assert.ok(early.countBetween(now - 1000, now) >= 20, `the early viewer got ${early.countBetween(now - 1000, now)} frames`);
    }
    assert.equal(recorder.connections, 0, 'the hostile URL was never played');
    assert.ok(!service.log.includes('\r'), 'no raw CR in the log');
  });

  it('plays the camera once VST lists it, to new viewers and to the one that was already watching', async () => {
    answer = () => ({ status: 200, body: [vstEntry('cam-1', 'dock', camera.url)] });
    await service.waitFor(async () => (await service.get('/status')).body.streams?.[0]?.state === 'playing', 'playing');
    const stream = (await service.get('/streams')).body[0];
    assert.deepEqual([stream.id, stream.input.playingUrl], ['dock', camera.url]);
    const picture = await grabFrame(service.outputUrl, 320, 240);
    assert.ok(pixelAt(picture, 320, 10, 60).every((c) => c > 150), `the camera's bars, not black: ${pixelAt(picture, 320, 10, 60)}`);
    const now = performance.now();
    assert.ok(early.countBetween(now - 1000, now) >= 20, 'the viewer from before the camera still gets frames');
  });
});
