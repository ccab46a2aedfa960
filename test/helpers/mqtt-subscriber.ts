// SPDX-License-Identifier: Apache-2.0
// An MQTT subscriber for tests (the `mqtt` client): collects every message of a topic filter, payloads as text.
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';

/** One message as received. */
export interface ReceivedMessage {
  topic: string;
  payload: string;
  retain: boolean;
}

/** A connected subscriber; {@link MqttSubscriber.messages} grows as messages arrive. */
export class MqttSubscriber {
  readonly messages: ReceivedMessage[] = [];

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload: payload.toString('utf8'), retain: packet.retain });
    });
  }

  /**
   * Connects and subscribes to `filter` at QoS 2 (so each message arrives at the QoS it was published with).
   * @param options e.g. `{ clean: false, clientId }` for a session the broker keeps across a restart.
   */
  static async connect(url: string, filter = '#', options: IClientOptions = {}): Promise<MqttSubscriber> {
    const client = await connectAsync(url, { reconnectPeriod: 100, ...options });
    const subscriber = new MqttSubscriber(client);
    await client.subscribeAsync(filter, { qos: 2 });
    return subscriber;
  }

  /** The payloads received on `topic`, in order. */
  payloads(topic: string): string[] {
    return this.messages.filter((m) => m.topic === topic).map((m) => m.payload);
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
