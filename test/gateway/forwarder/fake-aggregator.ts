import { connect, type MqttClient } from 'mqtt';
import {
  aggregatorSubscriptions,
  checkSequence,
  decodeCommandResponse,
  decodeHeartbeat,
  decodeStatus,
  encodeAck,
  gatewayTopic,
  openSignedBatch,
  openSignedEvents,
  parseGatewayTopic,
  type CommandResponse,
  type HeartbeatMessage,
  type KeyRing,
  type RefusalReason,
  type SequenceStream,
  type StatusMessage,
} from '../../../src/wire/index.js';

export interface Arrival {
  readonly stream: SequenceStream;
  readonly epoch: string;
  readonly seqFrom: number;
  readonly seqTo: number;
  /** readIds (reads) or event `at|type` (events), in batch order. */
  readonly ids: readonly string[];
  /** Local receive time (ms). */
  readonly at: number;
}

/**
 * A stand-in for the aggregator's ingest, on a real MQTT client: verifies every batch with the gateway's key,
 * keeps lastAcceptedSeq per (gateway, stream, epoch) and acks with encodeAck exactly as the wire README says.
 * Modes: 'ack' (normal), 'drop-acks' (stores but the ack is lost), 'lose-next' (the next batch vanishes
 * unseen), or a refusal reason.
 */
export class FakeAggregator {
  mode: 'ack' | 'drop-acks' | 'lose-next' | RefusalReason = 'ack';
  readonly arrivals: Arrival[] = [];
  /** Every stored item by id, with the seq it was stored under. */
  readonly stored = new Map<string, number>();
  readonly last = new Map<string, number>();
  readonly statuses: StatusMessage[] = [];
  readonly heartbeats: HeartbeatMessage[] = [];
  readonly responses: CommandResponse[] = [];
  readonly refusals: string[] = [];
  #client: MqttClient | undefined;

  constructor(
    readonly url: string,
    readonly ring: KeyRing,
    readonly root = 'chiso/v1',
  ) {}

  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  /** Connects with a persistent session, so batches published while it is away wait at the broker. */
  async connect(url = this.url): Promise<void> {
    const client = connect(url, { clientId: 'fake-aggregator', clean: false, reconnectPeriod: 100, protocolVersion: 4 });
    this.#client = client;
    client.on('connect', () => {
      client.subscribe(aggregatorSubscriptions(this.root), { qos: 1 });
    });
    client.on('error', () => undefined);
    client.on('message', (topic, payload) => this.#receive(topic, payload));
    await new Promise<void>((resolve) => client.once('connect', () => client.subscribe(aggregatorSubscriptions(this.root), { qos: 1 }, () => resolve())));
  }

  /** Goes away; `force` (for clean-up) does not wait for messages in flight to finish. */
  async offline(force = false): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) await new Promise<void>((resolve) => client.end(force, {}, () => resolve()));
  }

  publish(topic: string, payload: Uint8Array): Promise<void> {
    const client = this.#client;
    if (client === undefined) throw new Error('fake aggregator offline');
    return new Promise((resolve, reject) => client.publish(topic, Buffer.from(payload), { qos: 1 }, (e) => (e ? reject(e) : resolve())));
  }

  /** Acks go out only while connected (an ack racing a disconnect is simply lost, as in life). */
  #ack(topic: string, payload: Uint8Array): void {
    if (this.#client !== undefined) this.publish(topic, payload).catch(() => undefined);
  }

  /** How many arrivals per stream carried each id (duplicates show as > 1). */
  idsOf(stream: SequenceStream): string[] {
    return this.arrivals.filter((a) => a.stream === stream).flatMap((a) => a.ids);
  }

  #receive(topic: string, payload: Buffer): void {
    const parsed = parseGatewayTopic(topic, this.root);
    if (parsed === undefined) return;
    const { gatewayId, kind } = parsed;
    if (kind === 'status') {
      if (payload.length > 0) this.statuses.push(decodeStatus(payload));
      return;
    }
    if (kind === 'heartbeat') return void this.heartbeats.push(decodeHeartbeat(payload));
    if (kind === 'cmd/response') return void this.responses.push(decodeCommandResponse(payload));
    if (kind !== 'reads' && kind !== 'events') return;
    if (this.mode === 'lose-next') {
      this.mode = 'ack';
      return;
    }
    const opened =
      kind === 'reads'
        ? (() => {
            const { batch } = openSignedBatch(payload, this.ring.lookup, { gatewayId });
            return { batch, ids: batch.reads.map((r) => r.readId) };
          })()
        : (() => {
            const { batch } = openSignedEvents(payload, this.ring.lookup, { gatewayId });
            return { batch, ids: batch.events.map((e) => `${e.at}|${e.type}`) };
          })();
    const { batch, ids } = opened;
    this.arrivals.push({ stream: kind, epoch: batch.epoch, seqFrom: batch.seqFrom, seqTo: batch.seqTo, ids, at: Date.now() });
    const base = { v: 1 as const, gatewayId, stream: kind, epoch: batch.epoch, seqFrom: batch.seqFrom, seqTo: batch.seqTo };
    const ackTopic = gatewayTopic(gatewayId, 'ack', this.root);
    if (this.mode !== 'ack' && this.mode !== 'drop-acks') {
      this.refusals.push(this.mode);
      this.#ack(ackTopic, encodeAck({ ...base, result: 'refused', reason: this.mode, storedCount: 0 }));
      return;
    }
    const key = `${gatewayId}|${kind}|${batch.epoch}`;
    const last = this.last.get(key) ?? 0;
    const verdict = checkSequence(last, batch.seqFrom, batch.seqTo);
    let ack: Uint8Array;
    if (verdict === 'gap') {
      ack = encodeAck({ ...base, result: 'refused', reason: 'sequence-gap', expectedSeq: last + 1, storedCount: 0 });
    } else if (verdict === 'duplicate') {
      ack = encodeAck({ ...base, result: 'duplicate', storedCount: 0 });
    } else {
      let count = 0;
      ids.forEach((id, i) => {
        const seq = batch.seqFrom + i;
        if (seq > last) {
          count += 1;
          if (!this.stored.has(id)) this.stored.set(id, seq);
        }
      });
      this.last.set(key, batch.seqTo);
      ack = encodeAck({ ...base, result: 'stored', storedCount: count });
    }
    if (this.mode === 'drop-acks') return;
    this.#ack(ackTopic, ack);
  }
}
