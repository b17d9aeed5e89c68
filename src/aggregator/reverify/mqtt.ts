import { DEFAULT_TOPIC_ROOT, decodeCommandResponse, parseGatewayTopic, TOPIC_QOS, type CommandResponse } from '../../wire/index.js';
import { ReverifyError } from './errors.js';
import type { CommandPublisher } from './reverifier.js';

/**
 * The little of an MQTT client (mqtt.js's MqttClient fits) that commands need: publish the signed command,
 * subscribe to the gateways' answers. Kept as an interface so the commands can share the ingest's
 * connection or use their own.
 */
export interface CommandMqttClient {
  publishAsync(topic: string, payload: Buffer, options: { qos: 0 | 1 | 2 }): Promise<unknown>;
  subscribeAsync(filter: string, options: { qos: 0 | 1 | 2 }): Promise<{ topic: string; qos: number }[]>;
  unsubscribeAsync(filter: string): Promise<unknown>;
  on(event: 'message', listener: (topic: string, payload: Buffer) => void): unknown;
  removeListener(event: 'message', listener: (topic: string, payload: Buffer) => void): unknown;
}

/** Commands go out at QoS 1 (TOPIC_QOS.cmd): the gateway ignores a repeated command id. */
export function mqttPublisher(client: Pick<CommandMqttClient, 'publishAsync'>): CommandPublisher {
  return {
    async publish(topic, payload) {
      await client.publishAsync(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), { qos: TOPIC_QOS.cmd.qos });
    },
  };
}

export type ResponseHandler = (gatewayId: string, response: CommandResponse) => void;

/**
 * Subscribes to every gateway's `{root}/gw/+/cmd/response` and hands each well-formed answer on with the
 * gateway the topic names (the broker lets a gateway publish only under its own prefix). A malformed
 * answer is passed to `onMalformed` and dropped: it cannot be correlated. Resolves to an unsubscribe.
 */
export async function subscribeCommandResponses(
  client: CommandMqttClient,
  topicRoot: string = DEFAULT_TOPIC_ROOT,
  onResponse: ResponseHandler,
  onMalformed: (topic: string, error: unknown) => void = () => undefined,
): Promise<() => Promise<void>> {
  const filter = `${topicRoot}/gw/+/cmd/response`;
  const listener = (topic: string, payload: Buffer) => {
    const parsed = parseGatewayTopic(topic, topicRoot);
    if (parsed === undefined || parsed.kind !== 'cmd/response') return;
    let response: CommandResponse;
    try {
      response = decodeCommandResponse(payload);
    } catch (e) {
      onMalformed(topic, e);
      return;
    }
    onResponse(parsed.gatewayId, response);
  };
  client.on('message', listener);
  const granted = await client.subscribeAsync(filter, { qos: TOPIC_QOS['cmd/response'].qos });
  if (granted.some((g) => g.qos === 128)) {
    client.removeListener('message', listener);
    throw new ReverifyError('REVERIFY_SUBSCRIBE_REFUSED', `the broker refused the subscription ${filter} (check the login's ACL)`, { context: { filter } });
  }
  return async () => {
    client.removeListener('message', listener);
    await client.unsubscribeAsync(filter);
  };
}
