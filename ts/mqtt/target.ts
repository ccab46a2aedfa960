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
export const MQTT_TOPIC_ALLOWED = `a topic of at most 1024 characters without "+", "#" or control characters; `
  + `${SENSOR_PLACEHOLDER} is replaced by the sensor id`;

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
  return template !== '' && template.length <= 1024 && !/[+#\u0000-\u001f\u007f]/.test(template);
}

/**
 * The topic of one sensor's messages. Characters a sensor id may hold that MQTT gives meaning to (the wildcards
 * `+` and `#`, and `/`, the level separator) are replaced by `_`, so each sensor has exactly one topic level.
 */
export function topicFor(template: string, sensorId: string): string {
  return template.split(SENSOR_PLACEHOLDER).join(sensorId.replace(/[+#/\u0000-\u001f\u007f]/g, '_'));
}
