// SPDX-License-Identifier: Apache-2.0
// Where MQTT messages go: the broker URL (`mqtt://host:1883`, `mqtts://host:8883` for TLS) and the topic, whose
// `{sensorId}` is replaced by each message's sensor id. Shared by the portable engine's publisher and the
// DeepStream engine's nvmsgbroker MQTT adaptor config, so both read the settings the same way. The URL goes
// through the one URL validator (ts/config/url-policy.ts) like every URL from outside.
import { checkUrl } from '../config/url-policy';

/** The broker as both engines need it. */
export interface MqttBroker {
  /** mqtts:// */
  secure: boolean;
  host: string;
  port: number;
}

/** What `mqtt.url` accepts, for messages. */
export const MQTT_URL_ALLOWED = 'an mqtt://host[:port] or mqtts://host[:port] URL (no path, query or credentials: '
  + 'give those as mqtt.username and mqtt.password)';

/** The placeholder of a topic replaced by the message's sensor id. */
export const SENSOR_PLACEHOLDER = '{sensorId}';

/** What `mqtt.topic` accepts, for messages. */
export const MQTT_TOPIC_ALLOWED = `a topic of at most 1024 characters without "+", "#", control characters or `
  + `Unicode non-characters; ${SENSOR_PLACEHOLDER} is replaced by the sensor id`;

/** What `mqtt.clientId` accepts: what every MQTT 3.1.1 broker must take (MQTT-3.1.3-5). */
export const MQTT_CLIENT_ID = /^[A-Za-z0-9_-]{0,23}$/;

/** MQTT_CLIENT_ID in words, for messages. */
export const MQTT_CLIENT_ID_ALLOWED = 'at most 23 letters, digits, "-" or "_" (empty: one is made up)';

/** The MQTT protocol's bound on a topic's UTF-8 length. */
export const MAX_TOPIC_BYTES = 65_535;

// Characters a broker refuses in a topic, disconnecting the client that sends one (Mosquitto validates UTF-8 this
// strictly): control characters (C0, DEL, C1), lone surrogates and non-characters.
const UNSAFE = /[\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}]/u;
// What a sensor id must not bring into a topic: those, the wildcards, the level separator.
const UNSAFE_IN_SENSOR_ID = /[+#/\p{Cc}\p{Cs}\p{Noncharacter_Code_Point}]/gu;

/**
 * Checks `mqtt.url` (the one URL validator, then what a broker address may hold).
 * @returns its normal form, or the problem worded to follow the field's name.
 */
export function checkMqttUrl(value: string): { ok: true; value: string } | { ok: false; problem: string } {
  const checked = checkUrl(value, ['mqtt:', 'mqtts:']);
  if (!checked.ok) return checked;
  const { url } = checked;
  if (url.username !== '' || url.password !== '') {
    return { ok: false, problem: 'has credentials: give them as mqtt.username and mqtt.password' };
  }
  if (url.search !== '' || (url.pathname !== '' && url.pathname !== '/')) {
    return { ok: false, problem: 'has a path or query, which a broker address does not take' };
  }
  return { ok: true, value: checked.href };
}

/**
 * Reads `mqtt.url`.
 * @returns the broker, or null when the URL is not one MQTT_URL_ALLOWED describes.
 */
export function parseMqttUrl(text: string): MqttBroker | null {
  const checked = checkMqttUrl(text);
  if (!checked.ok) return null;
  const url = new URL(checked.value);
  const secure = url.protocol === 'mqtts:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return { secure, host, port: url.port === '' ? (secure ? 8883 : 1883) : Number(url.port) };
}

/** Whether `template` is a topic MQTT_TOPIC_ALLOWED describes (a publish topic: no wildcards). */
export function isTopicTemplate(template: string): boolean {
  return template !== '' && template.length <= 1024 && !/[+#]/.test(template) && !UNSAFE.test(template);
}

/**
 * The topic of one sensor's messages. Sensor ids come from outside (camera URLs, VST names, API clients): what
 * would change the topic's structure or make the broker drop the connection is replaced by `_`: the wildcards
 * `+` and `#`, `/` (the level separator, so each sensor has exactly one level), the characters brokers refuse,
 * and a `$` that would begin the topic (`$` topics are the broker's own). Ids differing only there share a topic.
 * A long sensor id can make it longer than MAX_TOPIC_BYTES: the caller checks.
 */
export function topicFor(template: string, sensorId: string): string {
  const topic = template.split(SENSOR_PLACEHOLDER).join(sensorId.replace(UNSAFE_IN_SENSOR_ID, '_'));
  return topic.startsWith('$') && !template.startsWith('$') ? `_${topic.slice(1)}` : topic;
}
