// SPDX-License-Identifier: Apache-2.0
// The `kafka` settings as DeepStream's Kafka adaptor (libnvds_kafka_proto.so) takes them: the broker as
// `host;port` (its is_valid_kafka_connection_str splits on ";" and joins host:port for librdkafka, so one broker
// and no IPv6 literal), and librdkafka settings as `key=value;key=value` inside a quoted `proto-cfg`
// (nvds_kafka_parse_proto_cfg splits on "=" and ";"; strip_quote wants the quotes).

/** What `kafka.broker` accepts, for messages. */
export const KAFKA_BROKER_ALLOWED = 'host:port of one Kafka broker (a host name or IPv4 address)';

/** What `kafka.protoCfg` accepts, for messages. */
export const KAFKA_PROTO_CFG_ALLOWED = 'librdkafka settings as key=value;key=value (keys of letters, digits and ".", '
  + 'values without ";", quotes or control characters), or empty';

/** Reads `kafka.broker`; null when it is not one KAFKA_BROKER_ALLOWED describes. */
export function parseKafkaBroker(text: string): { host: string; port: number } | null {
  const match = /^([A-Za-z0-9.-]{1,253}):(\d{1,5})$/.exec(text);
  if (match === null) return null;
  const port = Number(match[2]);
  return port >= 1 && port <= 65_535 ? { host: match[1], port } : null;
}

/** Reads `kafka.protoCfg` into pairs; null when it is not one KAFKA_PROTO_CFG_ALLOWED describes. */
export function parseProtoCfg(text: string): [string, string][] | null {
  if (text === '') return [];
  const pairs: [string, string][] = [];
  for (const item of text.split(';')) {
    const match = /^([A-Za-z0-9.]+)=([^;"\u0000-\u001f\u007f]+)$/.exec(item);
    if (match === null) return null;
    pairs.push([match[1], match[2]]);
  }
  return pairs;
}
