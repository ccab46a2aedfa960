// SPDX-License-Identifier: Apache-2.0
// How the MQTT output talks to its broker: the `mqtt` client's options (MQTT 3.1.1, clean session, credentials, TLS
// files read here so a missing one names its key), and connection errors turned into messages that say what to
// check. The client never buffers on its own (queueQoSZero off; the publisher hands it messages only while
// connected) and never gives up reconnecting (a refused CONNACK is retried too: the broker's password file may be
// fixed meanwhile).
import fs from 'node:fs';
import createDebug from 'debug';
import type { IClientOptions } from 'mqtt';
import { boundText, escapeControlChars } from '../config/safe-text';
import { isClientCertificateRequired, tlsFailureReason } from '../errors/tls-reason';
import { reconnectDelayMs } from '../output/backoff';
import type { MqttPublisherOptions } from './publisher-options';
import { parseMqttUrl } from './target';

/** How long the TCP and TLS handshakes and the broker's CONNACK may take before the attempt counts as failed. */
export const CONNECT_TIMEOUT_MS = 5000;
/** Seconds between PINGREQs while idle: a broker that vanished without closing is noticed within 1.5 times this. */
const KEEPALIVE_S = 30;

// The client's own trace logs whole packets, the CONNECT with its password among them: only the format strings
// (what it does, never the values) reach DEBUG=owl-stream:mqtt:client.
const clientTrace = createDebug('owl-stream:mqtt:client');

/** The connection settings of the MQTT output: what, when changed, needs a new connection. */
export type MqttAccess = Pick<Required<MqttPublisherOptions>,
  'url' | 'clientId' | 'username' | 'password' | 'caFile' | 'certFile' | 'keyFile'>;

/** The connection settings of `options`, for comparing two of them. */
export function accessOf(options: Required<MqttPublisherOptions>): MqttAccess {
  const { url, clientId, username, password, caFile, certFile, keyFile } = options;
  return { url, clientId, username, password, caFile, certFile, keyFile };
}

/**
 * The `mqtt` client options for `access` (URL already checked).
 * @param clientId the identifier to use (the configured one, or one made up by the publisher).
 * @throws {Error} naming the key (mqtt.caFile, mqtt.certFile, mqtt.keyFile) of a file that cannot be read.
 */
export function clientOptions(access: MqttAccess, clientId: string): IClientOptions {
  const broker = parseMqttUrl(access.url);
  if (broker === null) throw new Error('mqtt.url is not an mqtt:// or mqtts:// URL');
  const options: IClientOptions = {
    protocol: broker.secure ? 'mqtts' : 'mqtt',
    host: broker.host,
    port: broker.port,
    clientId,
    protocolVersion: 4,
    clean: true,
    keepalive: KEEPALIVE_S,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // The first retry's delay; the publisher lengthens it per failed attempt (reconnectDelayMs).
    reconnectPeriod: reconnectDelayMs(1),
    reconnectOnConnackError: true,
    queueQoSZero: false,
    resubscribe: false,
    log: (format: unknown) => clientTrace(String(format).replace(/%[a-zA-Z]/g, '…')),
  };
  if (access.username !== '') options.username = access.username;
  if (access.password !== '') options.password = access.password;
  if (broker.secure) {
    const ca = readPem(access.caFile, 'mqtt.caFile');
    const cert = readPem(access.certFile, 'mqtt.certFile');
    const key = readPem(access.keyFile, 'mqtt.keyFile');
    Object.assign(options, { rejectUnauthorized: true }, ca && { ca }, cert && { cert }, key && { key });
  }
  return options;
}

function readPem(file: string, key: string): Buffer | undefined {
  if (file === '') return undefined;
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read ${key} (${JSON.stringify(file.slice(0, 200))}): `
      + `${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

/** CONNACK return codes (MQTT 3.1.1, the protocol the output speaks) and what they say to check. */
const REFUSALS: Record<number, string> = {
  1: 'does not speak MQTT 3.1.1 (unacceptable protocol version)',
  2: 'rejected the client identifier: check mqtt.clientId',
  3: 'is unavailable (it said so in its CONNACK)',
  4: 'refused the user name or password: check OWL_MQTT_USERNAME and OWL_MQTT_PASSWORD (or mqtt.passwordFile)',
  // Mosquitto answers a wrong password with this one too.
  5: 'refused the connection as not authorized: check the user name and password (OWL_MQTT_USERNAME, '
    + 'OWL_MQTT_PASSWORD or mqtt.passwordFile) and the broker\'s ACL',
};

/**
 * Turns a connection error into one sentence that names the broker and what to check.
 * @example describeMqttError(err, 'mqtt://localhost:1883')
 * // "MQTT broker at mqtt://localhost:1883 refused the connection (ECONNREFUSED): check that the broker runs there
 * //  and mqtt.url"
 */
export function describeMqttError(err: Error, target: string): string {
  const at = `MQTT broker at ${target}`;
  const code = (err as NodeJS.ErrnoException | { code?: unknown }).code;
  switch (code) {
    case 'ECONNREFUSED':
      return `${at} refused the connection (ECONNREFUSED): check that the broker runs there and mqtt.url`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${at}: the host cannot be resolved (${code}): check mqtt.url`;
    case 'ETIMEDOUT':
      return `${at} did not answer (ETIMEDOUT): check that the broker runs there, mqtt.url, and that no firewall is in `
        + 'the way';
    case 'ECONNRESET':
    case 'EPIPE':
      return `${at} dropped the connection (${code}); if it serves TLS only, use an mqtts:// URL`;
    default:
      break;
  }
  if (typeof code === 'number') {
    const refusal = REFUSALS[code];
    if (refusal !== undefined) return `${at} ${refusal}`;
  }
  const message = boundText(escapeControlChars(err.message), 300);
  if (message === 'connack timeout') {
    return `${at} did not complete the MQTT handshake within ${CONNECT_TIMEOUT_MS} ms: check that an MQTT broker `
      + '(not another service) listens there, and mqtt.url (mqtts:// for TLS)';
  }
  const tls = tlsFailureReason(message);
  if (tls !== null && isClientCertificateRequired(tls)) {
    return `${at}: TLS failed (${tls}): the broker asks for a client certificate: set mqtt.certFile and mqtt.keyFile`;
  }
  if (tls !== null) return `${at}: TLS failed (${tls}): check mqtt.caFile, mqtt.certFile and mqtt.keyFile`;
  return `${at}: ${message}`;
}
