// SPDX-License-Identifier: Apache-2.0
// MqttPublisher against a real mosquitto: the Minimal Schema round trip at QoS 0, 1 and 2, topics built from hostile
// sensor ids, retain, the interval, credentials (a broker with a password file), TLS with a client certificate, a
// broker that is never there, live updates, and the options it refuses.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildMinimalSchema, createObjectIdCounter, parseMinimalSchema, type FrameMetadata } from '../ts/redis/minimal-schema';
import { MqttPublisher } from '../ts/mqtt/publisher';
import type { MqttPublisherOptions } from '../ts/mqtt/publisher-options';
import { Mosquitto } from './helpers/mosquitto';
import { MqttSubscriber } from './helpers/mqtt-subscriber';
import { freePort } from './helpers/ports';
import { makeTestCertificates, type TestCertificates } from './helpers/test-certificates';
import { waitFor } from './helpers/wait';

const T0 = Date.UTC(2026, 11, 6, 10, 0, 0, 0);

function frame(frameId: number, sensorId = 'cam1', objects = frameId % 3): FrameMetadata {
  return {
    frameId,
    timestamp: new Date(T0 + frameId * 33),
    sensorId,
    objects: Array.from({ length: objects }, (_, k) => ({
      id: 100 + k, label: k % 2 ? 'a hat' : 'a person', box: [10 * k + 0.25, 20.5, 10 * k + 100.125, 300 + frameId / 3] as const,
    })),
  };
}

describe('MqttPublisher', () => {
  let broker: Mosquitto;
  const publishers: MqttPublisher[] = [];
  const subscribers: MqttSubscriber[] = [];
  const warnings: string[] = [];

  function publisher(options: MqttPublisherOptions = {}): MqttPublisher {
    const out = new MqttPublisher({ url: broker.url, warn: (m) => warnings.push(m), ...options });
    publishers.push(out);
    return out;
  }

  async function subscriber(filter: string, url = broker.url): Promise<MqttSubscriber> {
    const sub = await MqttSubscriber.connect(url, filter);
    subscribers.push(sub);
    return sub;
  }

  before(async () => {
    broker = await Mosquitto.start();
  });

  after(async () => {
    await Promise.all(publishers.map((p) => p.close({ flushMs: 0 })));
    await Promise.all(subscribers.map((s) => s.close()));
    await broker.dispose();
  });

  for (const qos of [0, 1, 2] as const) {
    it(`delivers every frame in order as the exact Minimal Schema payload, on its sensor's topic (QoS ${qos})`, async () => {
      const sub = await subscriber(`rt${qos}/#`);
      const out = publisher({ topic: `rt${qos}/{sensorId}/meta`, qos });
      const frames = Array.from({ length: 30 }, (_, i) => frame(i, i % 2 ? 'gate' : 'door'));
      for (const f of frames) assert.equal(out.publish(f), true);
      await waitFor(() => out.status().sent === 30, '30 messages complete');
      await waitFor(() => sub.messages.length === 30, '30 messages received');
      const nextObjectId = createObjectIdCounter();
      for (const sensor of ['door', 'gate']) {
        const sent = frames.filter((f) => f.sensorId === sensor);
        assert.deepEqual(sub.payloads(`rt${qos}/${sensor}/meta`), sent.map((f) => buildMinimalSchema(f, { nextObjectId })));
      }
      const parsed = parseMinimalSchema(sub.payloads(`rt${qos}/gate/meta`)[0]);
      assert.deepEqual(parsed, { version: '4.0', id: '1', timestamp: '2026-12-06T10:00:00.033Z', sensorId: 'gate',
        objects: [{ id: '100', left: 0.25, top: 20.5, right: 100.13, bottom: 300.33, label: 'a person', attributes: [] }],
        redecode: false });
      assert.equal(sub.messages.some((m) => m.retain), false);
      assert.deepEqual(out.status(), {
        state: 'ready', queued: 0, published: 30, sent: 30, dropped: 0, skipped: 0, rejected: 0, errors: 0, lastError: null,
      });
      assert.deepEqual(warnings.splice(0), []);
    });
  }

  it('puts hostile sensor ids on one topic level of their own, and refuses ids that make the topic too long', async () => {
    const sub = await subscriber('ids/#');
    const out = publisher({ topic: 'ids/{sensorId}/x' });
    const ids = ['a/b', 'cam+1', '#', '$SYS', 'nul\u0000cr\rnel\u0085', 'lone\ud800', 'non\ufffe', 'ok.cam-1_~'];
    ids.forEach((id, i) => out.publish(frame(i, id, 0)));
    assert.equal(out.publish(frame(99, 'x'.repeat(70_000), 0)), false);
    await waitFor(() => sub.messages.length === ids.length, 'one message per id');
    assert.deepEqual(sub.messages.map((m) => m.topic), ['ids/a_b/x', 'ids/cam_1/x', 'ids/_/x', 'ids/$SYS/x',
      'ids/nul_cr_nel_/x', 'ids/lone_/x', 'ids/non_/x', 'ids/ok.cam-1_~/x']);
    // The payload keeps the sensor id as it is (JSON escapes what needs escaping).
    assert.deepEqual(sub.messages.map((m) => parseMinimalSchema(m.payload).sensorId), ids);
    assert.equal(out.status().rejected, 1);
    assert.deepEqual(warnings.splice(0), ['MQTT metadata output skipped a frame: the topic for sensor id '
      + `${JSON.stringify('x'.repeat(40))}… is longer than MQTT allows (65535 bytes)`]);

    // A topic that begins with the sensor id: a leading "$" would make it one of the broker's own.
    const root = await subscriber('#');
    const first = publisher({ topic: '{sensorId}' });
    first.publish(frame(0, '$SYS', 0));
    await waitFor(() => root.messages.some((m) => m.topic === '_SYS'), 'the message on _SYS');
  });

  it('keeps messages unretained by default, retained on request', async () => {
    const plain = publisher({ topic: 'keep/plain', qos: 1 });
    const kept = publisher({ topic: 'keep/kept', qos: 1, retain: true });
    plain.publish(frame(1));
    kept.publish(frame(2));
    await waitFor(() => plain.status().sent === 1 && kept.status().sent === 1, 'both acknowledged');
    const late = await subscriber('keep/#');
    await waitFor(() => late.messages.length >= 1, 'the retained message');
    await sleep(200);
    assert.deepEqual(late.messages.map((m) => [m.topic, m.retain, parseMinimalSchema(m.payload).id]), [['keep/kept', true, '2']]);
  });

  it('publishes every Nth frame of each sensor, and every re-decode', async () => {
    const sub = await subscriber('nth/#');
    const out = publisher({ topic: 'nth/{sensorId}', outputInterval: 3 });
    for (let i = 0; i < 9; i++) {
      out.publish(frame(i, 'a', 0));
      out.publish(frame(i, 'b', 0));
      // Frame 4 of sensor a decoded again with new prompts: published, and not counted for the interval.
      if (i === 4) out.publish({ ...frame(i, 'a', 0), redecode: true });
    }
    await waitFor(() => sub.messages.length === 7, '7 messages');
    const sent = (topic: string) => sub.payloads(topic).map(parseMinimalSchema).map((m) => `${m.id}${m.redecode ? 'r' : ''}`);
    assert.deepEqual(sent('nth/a'), ['0', '3', '4r', '6']);
    assert.deepEqual(sent('nth/b'), ['0', '3', '6']);
    assert.equal(out.status().skipped, 12);
  });

  it('never throws when the broker is never reachable: warns with the URL, reports down, closes at once', async () => {
    const url = `mqtt://127.0.0.1:${await freePort()}`;
    const out = publisher({ url });
    for (let i = 0; i < 10; i++) assert.equal(out.publish(frame(i)), true);
    await waitFor(() => out.status().state === 'down', 'state down');
    const status = out.status();
    assert.equal(status.lastError, `MQTT broker at ${url} refused the connection (ECONNREFUSED): check that the broker `
      + 'runs there and mqtt.url');
    assert.deepEqual(warnings.splice(0), [`MQTT metadata output is down: ${status.lastError}. Entries wait in memory `
      + '(up to 1000) and are sent when the broker is back.']);
    const t0 = Date.now();
    await out.close({ flushMs: 5000 });
    assert.ok(Date.now() - t0 < 1000, 'close() does not wait for a broker that is down');
    assert.deepEqual({ ...out.status(), errors: 0 }, {
      state: 'closed', queued: 0, published: 10, sent: 0, dropped: 10, skipped: 0, rejected: 0, errors: 0,
      lastError: status.lastError,
    });
    assert.ok(out.status().errors >= 1);
    assert.deepEqual(warnings.splice(0), [`MQTT metadata output closed with 10 entries not delivered to ${url}; `
      + 'counted as dropped.']);
  });

  it('moves to another broker with update(), queued messages first and in order; a smaller queue drops at once', async () => {
    const other = await Mosquitto.start();
    try {
      const sub = await subscriber('move/#', other.url);
      const out = publisher({ url: `mqtt://127.0.0.1:${await freePort()}`, topic: 'move/a', qos: 1 });
      for (let i = 0; i < 5; i++) out.publish(frame(i));
      await waitFor(() => out.status().state === 'down', 'down');
      out.update({ url: other.url });
      out.update({ topic: 'move/b' });  // frames published from now on
      for (let i = 5; i < 8; i++) out.publish(frame(i));
      await waitFor(() => sub.messages.length === 8, '8 messages at the other broker');
      assert.deepEqual(sub.messages.map((m) => [m.topic, parseMinimalSchema(m.payload).id]),
        [0, 1, 2, 3, 4, 5, 6, 7].map((i) => [i < 5 ? 'move/a' : 'move/b', String(i)]));
      assert.equal(out.status().lastError, null);
      warnings.splice(0);

      // The broker gone again: a smaller queue drops the oldest waiting messages at once.
      await other.stop();
      await waitFor(() => out.status().state === 'down', 'down again');
      for (let i = 8; i < 18; i++) out.publish(frame(i));
      out.update({ queueSize: 4 });
      assert.deepEqual([out.status().queued, out.status().dropped], [4, 6]);
      assert.match(warnings.splice(0).join('\n'), /MQTT metadata queue is full \(4 entries\): dropping the oldest/);
    } finally {
      await other.dispose();
    }
  });

  it('refuses bad options with a message naming the option, never showing a refused URL', () => {
    assert.throws(() => new MqttPublisher({ url: 'http://broker' }),
      /^TypeError: Expected an mqtt:\/\/host\[:port\] or mqtts:\/\/host\[:port\] URL .* for url but received a URL that has the scheme "http:"; expected mqtt: or mqtts:$/);
    assert.throws(() => new MqttPublisher({ url: 'mqtt://owl:s3cret@broker' }), (err: Error) =>
      /for url but received a URL that has credentials: give them as mqtt\.username and mqtt\.password$/.test(err.message)
      && !err.message.includes('s3cret'));
    assert.throws(() => new MqttPublisher({ url: 'mqtt://broker\r\n' }), /for url but received a URL that contains a carriage return/);
    assert.throws(() => new MqttPublisher({ topic: 'owl/#' }), /^TypeError: Expected a topic of at most 1024 characters without "\+", "#".* for topic but received "owl\/#"$/);
    assert.throws(() => new MqttPublisher({ topic: 'owl/+/x' }), /for topic but received "owl\/\+\/x"/);
    assert.throws(() => new MqttPublisher({ topic: 'owl/\u0007' }), /for topic but received "owl\/\\u0007"/);
    assert.throws(() => new MqttPublisher({ topic: '' }), /for topic but received ""/);
    assert.throws(() => new MqttPublisher({ qos: 3 as never }), /^TypeError: Expected 0, 1 or 2 for qos but received 3$/);
    assert.throws(() => new MqttPublisher({ clientId: 'a'.repeat(24) }), /for clientId but received/);
    assert.throws(() => new MqttPublisher({ queueSize: 0 }), /^TypeError: Expected an integer >= 1 for queueSize but received 0$/);
    assert.throws(() => new MqttPublisher({ password: 5 as never }), /^TypeError: Expected a string for password but received a number \(not shown\)$/);
    assert.throws(() => new MqttPublisher({ url: 'mqtts://broker', caFile: '/no/such/ca.pem' }),
      /^Error: cannot read mqtt\.caFile \("\/no\/such\/ca\.pem"\): ENOENT$/);
  });
});

describe('MqttPublisher with a broker that asks for credentials', () => {
  let broker: Mosquitto;

  before(async () => {
    broker = await Mosquitto.start({ users: { owl: 'right pass' } });
  });

  after(async () => {
    await broker.dispose();
  });

  it('delivers with the right credentials, names what to check when refused, and recovers once they are fixed', async () => {
    const sub = await MqttSubscriber.connect(broker.url, 'auth/#', { username: 'owl', password: 'right pass' });
    const warnings: string[] = [];
    const good = new MqttPublisher({ url: broker.url, topic: 'auth/good', qos: 1, username: 'owl', password: 'right pass' });
    const bad = new MqttPublisher({ url: broker.url, topic: 'auth/bad', qos: 1, username: 'owl', password: 'wrong pass',
      warn: (m) => warnings.push(m) });
    const anonymous = new MqttPublisher({ url: broker.url, topic: 'auth/anon', warn: () => undefined });
    try {
      good.publish(frame(1));
      bad.publish(frame(2));
      await waitFor(() => good.status().sent === 1, 'the good publisher\'s message');
      await waitFor(() => bad.status().state === 'down' && anonymous.status().state === 'down', 'the others down');
      // Mosquitto refuses a wrong password and no password alike (CONNACK 5, not authorized).
      const refused = `MQTT broker at ${broker.url} refused the connection as not authorized: check the user name and `
        + 'password (OWL_MQTT_USERNAME, OWL_MQTT_PASSWORD or mqtt.passwordFile) and the broker\'s ACL';
      assert.equal(bad.status().lastError, refused);
      assert.equal(anonymous.status().lastError, refused);
      assert.equal(warnings.length, 1, 'one warning per outage, however often it retries');
      assert.ok(!warnings[0].includes('wrong pass'), 'the password is never shown');
      await sleep(500);
      assert.ok(bad.status().errors >= 2, 'it keeps trying');
      assert.equal(bad.status().queued, 1);

      bad.update({ password: 'right pass' });
      await waitFor(() => bad.status().sent === 1, 'the queued message after the fix');
      assert.equal(bad.status().lastError, null);
      await waitFor(() => sub.messages.length === 2, 'both messages');
      assert.deepEqual(sub.messages.map((m) => m.topic), ['auth/good', 'auth/bad']);
    } finally {
      await Promise.all([good, bad, anonymous].map((p) => p.close({ flushMs: 0 })));
      await sub.close();
    }
  });
});

describe('MqttPublisher over TLS (mqtts://) to a broker that asks for a client certificate', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'owl-mqtts-'));
  let certificates: TestCertificates;
  let broker: Mosquitto;

  before(async () => {
    certificates = makeTestCertificates(dir);
    broker = await Mosquitto.start({ tls: { ca: certificates.ca, ...certificates.server } });
  });

  after(async () => {
    await broker.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('checks the broker against mqtt.caFile, sends its certificate, names the TLS files when refused, recovers', async () => {
    const sub = await MqttSubscriber.connect(broker.url, 'tls/#');
    const { ca, client } = certificates;
    const good = new MqttPublisher({ url: broker.tlsUrl, topic: 'tls/good', qos: 1, caFile: ca, certFile: client.cert,
      keyFile: client.key });
    const untrusted = new MqttPublisher({ url: broker.tlsUrl, topic: 'tls/untrusted', warn: () => undefined });
    const anonymous = new MqttPublisher({ url: broker.tlsUrl, topic: 'tls/anonymous', qos: 1, caFile: ca,
      warn: () => undefined });
    try {
      for (const out of [good, untrusted, anonymous]) out.publish(frame(1));
      await waitFor(() => good.status().sent === 1, 'delivered over TLS with a client certificate');
      await waitFor(() => untrusted.status().state === 'down' && anonymous.status().state === 'down', 'the others down');
      const at = `MQTT broker at ${broker.tlsUrl}: TLS failed`;
      assert.equal(untrusted.status().lastError, `${at} (self-signed certificate in certificate chain): check `
        + 'mqtt.caFile, mqtt.certFile and mqtt.keyFile', 'a certificate no trusted CA signed');
      assert.equal(anonymous.status().lastError, `${at} (tlsv13 alert certificate required): the broker asks for a `
        + 'client certificate: set mqtt.certFile and mqtt.keyFile', 'no client certificate: OpenSSL\'s line cut to its reason');

      anonymous.update({ certFile: client.cert, keyFile: client.key });
      await waitFor(() => anonymous.status().sent === 1, 'the queued message once the certificate is given');
      await waitFor(() => sub.messages.length === 2, 'both messages through the broker');
      assert.deepEqual(sub.messages.map((m) => m.topic).sort(), ['tls/anonymous', 'tls/good']);
      assert.equal(untrusted.status().sent, 0);
    } finally {
      await Promise.all([good, untrusted, anonymous].map((p) => p.close({ flushMs: 0 })));
      await sub.close();
    }
  });
});
