// SPDX-License-Identifier: Apache-2.0
// Where MQTT messages go: the broker URL (`mqtt://host:1883`, `mqtts://host:8883` for TLS) and the topic, whose
// `{sensorId}` is replaced by each message's sensor id. Shared by the portable engine's publisher and the
// DeepStream engine's nvmsgbroker MQTT adaptor config, so both read the settings the same way.

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
 * Reads `mqtt.url`.
 * @returns the broker, or null when the URL is not one MQTT_URL_ALLOWED describes.
 */
export function parseMqttUrl(text: string): MqttBroker | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'mqtt:' && url.protocol !== 'mqtts:') return null;
  if (url.hostname === '' || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return null;
  if (url.pathname !== '' && url.pathname !== '/') return null;
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
