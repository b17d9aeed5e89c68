import type { Aedes, AedesPublishPacket } from 'aedes';

/** What the aggregator's own parts need from the broker they run beside: take messages, send messages. */
export interface LocalLink {
  /**
   * Hands every message clients publish on these filters to `onMessage`, in the order the broker routes
   * them, as they arrive. A message is handed over once; nothing is queued while nobody listens (a
   * gateway sends again whatever it was not acked for).
   */
  subscribe(filters: readonly string[], onMessage: (topic: string, payload: Buffer) => void): Promise<void>;
  /** Routes a message to the clients subscribed to its topic, as if a client had published it. */
  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
  /** Stops the messages of every filter subscribed through this link. */
  close(): Promise<void>;
}

/**
 * A subscriber inside the broker's process. At month-end the ingest takes tens of thousands of reads a
 * second; as an MQTT client on 127.0.0.1 each batch was written to a socket by the broker, read and parsed
 * again by mqtt.js and acknowledged with a PUBACK, all on the same thread as the broker. Attached here,
 * the broker's router calls the ingest directly. Access rules are unchanged: they run when a client
 * publishes, before routing; messages published here are the aggregator's own and pass no hook.
 */
export function localLink(broker: Aedes): LocalLink {
  const attached: { filter: string; deliver: (packet: AedesPublishPacket, done: () => void) => void }[] = [];
  let closed = false;

  function subscribe(filters: readonly string[], onMessage: (topic: string, payload: Buffer) => void): Promise<void> {
    if (closed) return Promise.reject(new Error('local broker link is closed'));
    // Acknowledged to the router at once, as an MQTT subscriber's PUBACK would be: the ingest keeps the
    // message until it is stored and acks it to the gateway itself, after the commit.
    const deliver = (packet: AedesPublishPacket, done: () => void): void => {
      try {
        onMessage(packet.topic, typeof packet.payload === 'string' ? Buffer.from(packet.payload, 'utf8') : packet.payload);
      } finally {
        done();
      }
    };
    return Promise.all(
      filters.map(
        (filter) =>
          new Promise<void>((resolve) => {
            attached.push({ filter, deliver });
            broker.subscribe(filter, deliver, resolve);
          }),
      ),
    ).then(() => undefined);
  }

  function publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void> {
    if (closed) return Promise.reject(new Error(`local broker link is closed: ${topic} not sent`));
    return new Promise((resolve, reject) => {
      broker.publish({ cmd: 'publish', topic, payload, qos, retain: false, dup: false }, (err) => (err ? reject(err) : resolve()));
    });
  }

  async function close(): Promise<void> {
    closed = true;
    await Promise.all(attached.splice(0).map(({ filter, deliver }) => new Promise<void>((resolve) => broker.unsubscribe(filter, deliver, resolve))));
  }

  return { subscribe, publish, close };
}
