// SPDX-License-Identifier: Apache-2.0
// Options of the MQTT metadata output: one interface, its defaults (the service's, ts/config/defaults.ts), and the one
// place that checks them. The broker URL and the topic are checked by the rules the config uses (target.ts).
import { MQTT_DEFAULTS } from '../config/defaults';
import { expectInteger, expectedMessage, expectedValue } from '../errors/expected';
import {
  checkMqttUrl, isTopicTemplate, MQTT_CLIENT_ID, MQTT_CLIENT_ID_ALLOWED, MQTT_TOPIC_ALLOWED, MQTT_URL_ALLOWED,
} from './target';

/** Quality of service: 0 at most once, 1 at least once, 2 exactly once. */
export type MqttQos = 0 | 1 | 2;

/** Options of {@link MqttPublisher}; every field is optional. */
export interface MqttPublisherOptions {
  /** `mqtt://host[:port]` or `mqtts://host[:port]` (TLS). @default 'mqtt://localhost:1883' */
  url?: string;
  /** Topic of each message; `{sensorId}` is replaced by the message's sensor id (see topicFor). @default 'owl/{sensorId}' */
  topic?: string;
  /**
   * 0: a message leaves the queue once written to the connection; 1: once the broker acknowledged it (PUBACK), so a
   * broker restart loses nothing within the queue bound; 2: once the exchange completed (PUBCOMP). @default 0
   */
  qos?: MqttQos;
  /** Retained messages stay on the broker for new subscribers. @default false */
  retain?: boolean;
  /** MQTT client identifier; '' makes one up (`owl-` and 16 hex digits) at each start. @default '' */
  clientId?: string;
  /** User name, if the broker asks for credentials. @default '' */
  username?: string;
  /** Password. Never logged. @default '' */
  password?: string;
  /** mqtts://: PEM file of the CA that signed the broker's certificate; '' for the system's CAs. @default '' */
  caFile?: string;
  /** mqtts://: client certificate (PEM) for brokers that ask for one, with keyFile. @default '' */
  certFile?: string;
  /** mqtts://: the client certificate's private key (PEM). @default '' */
  keyFile?: string;
  /**
   * Messages kept in memory while the broker is slow or down (those awaiting their acknowledgement included). Past it
   * the oldest waiting messages are dropped and counted in `status().dropped`. @default 1000
   */
  queueSize?: number;
  /** Publish every Nth frame of each sensor handed to `publish()`. @default 1 */
  outputInterval?: number;
  /** Most messages handed to the connection and not yet completed. @default 100 */
  maxInFlight?: number;
  /** Receives warnings for operators: broker unreachable or back, queue overflow, rejected frames. @default console.warn */
  warn?: (message: string) => void;
}

/** Defaults of {@link MqttPublisherOptions}. */
export const DEFAULT_MQTT_PUBLISHER_OPTIONS: Readonly<Required<MqttPublisherOptions>> = Object.freeze({
  ...MQTT_DEFAULTS,
  retain: false,
  clientId: '',
  username: '',
  password: '',
  caFile: '',
  certFile: '',
  keyFile: '',
  maxInFlight: 100,
  warn: (message: string) => console.warn(message),
});

/**
 * Merges options over the defaults and checks them; the URL comes back in its normal form.
 * @throws {TypeError} "Expected X for Y but received Z" for the first bad option (a refused URL is described, never
 *   shown: it may hold credentials).
 */
export function parseMqttPublisherOptions(options: MqttPublisherOptions = {}): Required<MqttPublisherOptions> {
  const merged = { ...DEFAULT_MQTT_PUBLISHER_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    // Known keys only: a config section passed whole (mqtt.enabled, mqtt.passwordFile) adds nothing.
    if (value !== undefined && Object.hasOwn(DEFAULT_MQTT_PUBLISHER_OPTIONS, key)) Object.assign(merged, { [key]: value });
  }
  if (typeof merged.url !== 'string') throw new TypeError(expectedValue(MQTT_URL_ALLOWED, 'url', merged.url));
  const url = checkMqttUrl(merged.url);
  if (!url.ok) throw new TypeError(expectedMessage(MQTT_URL_ALLOWED, 'url', `a URL that ${url.problem}`));
  merged.url = url.value;
  if (typeof merged.topic !== 'string' || !isTopicTemplate(merged.topic)) {
    throw new TypeError(expectedValue(MQTT_TOPIC_ALLOWED, 'topic', merged.topic));
  }
  if (merged.qos !== 0 && merged.qos !== 1 && merged.qos !== 2) {
    throw new TypeError(expectedValue('0, 1 or 2', 'qos', merged.qos));
  }
  if (typeof merged.retain !== 'boolean') throw new TypeError(expectedValue('a boolean', 'retain', merged.retain));
  if (typeof merged.clientId !== 'string' || !MQTT_CLIENT_ID.test(merged.clientId)) {
    throw new TypeError(expectedValue(MQTT_CLIENT_ID_ALLOWED, 'clientId', merged.clientId));
  }
  for (const key of ['username', 'caFile', 'certFile', 'keyFile'] as const) {
    if (typeof merged[key] !== 'string') throw new TypeError(expectedValue('a string', key, merged[key]));
  }
  // The password's value is never shown, whatever it is.
  if (typeof merged.password !== 'string') {
    throw new TypeError(expectedMessage('a string', 'password', `a ${typeof merged.password} (not shown)`));
  }
  expectInteger(merged.queueSize, 'queueSize', 1);
  expectInteger(merged.outputInterval, 'outputInterval', 1);
  expectInteger(merged.maxInFlight, 'maxInFlight', 1, 65_535);
  if (typeof merged.warn !== 'function') throw new TypeError(expectedValue('a function', 'warn', merged.warn));
  return merged;
}
