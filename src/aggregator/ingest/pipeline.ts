import type { Logger } from 'pino';
import type { Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import { encodeAck, gatewayTopic, parseGatewayTopic, type SequenceStream } from '../../wire/index.js';
import type { Counters } from '../broker/counters.js';
import type { CentralDb } from '../store/central-db.js';
import { record, type AckFields, type GroupOutcome, type IngestItem, type ItemResult } from './decide.js';
import type { GroupStore } from './group-store.js';
import { peekRange, type Refusal } from './refusal.js';

/** Sends one ack; the MQTT client in ingest.ts, a plain array in unit tests. */
export type AckSink = (topic: string, payload: Uint8Array) => void;

export interface PipelineSettings {
  topicRoot: string;
  /** At most this many messages share one transaction (one fsync). */
  maxGroup: number;
  /**
   * Groups handed to the store before the first has been answered. 2 with a store worker: it starts on
   * the next group while this thread sends the acks of the last. The store answers them in order.
   */
  inFlight?: number;
}

/**
 * The ingest's core, without MQTT: messages in (topic, bytes), acks out, after the commit. Messages are
 * grouped in arrival order and each group is decided and stored by the GroupStore (decide.ts) in one
 * transaction, so batch N+1 of a gateway is never judged before batch N (it would look like a sequence
 * gap). This side then tells: counters, log lines and acks. Nothing from a refused message is stored;
 * every refusal is logged, counted and kept in the refusals log.
 */
export class IngestPipeline {
  private readonly queue: IngestItem[] = [];
  private draining = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly settings: PipelineSettings,
    /** For the rare refusals decided here (a topic that is not a gateway's, a store that failed). */
    private readonly db: CentralDb,
    private readonly store: GroupStore,
    private readonly ack: AckSink,
    private readonly metrics: Counters,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {}

  /** One MQTT message. Never throws: whatever is wrong with it becomes a refusal. */
  push(topic: string, payload: Uint8Array): void {
    const parsed = parseGatewayTopic(topic, this.settings.topicRoot);
    if (parsed === undefined) {
      this.refuseNow({ gatewayId: null, topic }, { reason: 'malformed', code: 'BAD_TOPIC', detail: `not a gateway topic: ${topic}` });
      return;
    }
    const { gatewayId, kind } = parsed;
    switch (kind) {
      case 'reads':
      case 'events':
      case 'status':
      case 'heartbeat':
        this.queue.push({ kind, topic, gatewayId, payload });
        void this.drain();
        return;
      default:
        // cmd/response belongs to the command service; ack/cmd are our own messages.
        this.metrics.inc(`ignored.${kind}`);
    }
  }

  /** Resolves once every message pushed so far has been stored or refused and acked. */
  idle(): Promise<void> {
    if (!this.draining && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    const inFlight: Promise<void>[] = [];
    let told: Promise<void> = Promise.resolve();
    try {
      while (this.queue.length > 0 || inFlight.length > 0) {
        if (this.queue.length === 0 || inFlight.length >= Math.max(1, this.settings.inFlight ?? 1)) {
          await inFlight.shift();
          continue;
        }
        // One turn of the event loop before each group, so that every message already read from the broker's
        // socket joins this transaction: otherwise a lone batch would commit (and fsync) alone. The wait is
        // bounded by that one turn; acks still follow their own commit.
        if (this.queue.length < this.settings.maxGroup) await new Promise<void>((resolve) => setImmediate(resolve));
        const group = this.queue.splice(0, this.settings.maxGroup);
        const now = this.clock.now();
        const decided = this.decide(group, now);
        // Told strictly in group order, whatever order the promises settle in.
        told = Promise.all([told, decided]).then(([, outcome]) => this.tell(group, outcome, now));
        inFlight.push(told);
      }
    } finally {
      this.draining = false;
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async decide(group: readonly IngestItem[], now: number): Promise<GroupOutcome> {
    try {
      return await this.store.decide(group, now);
    } catch (e) {
      return this.failed(group, e, now);
    }
  }

  /** The store could not decide at all (its worker died): every batch is refused store-failed, to be sent again. */
  private failed(group: readonly IngestItem[], error: unknown, now: number): GroupOutcome {
    const refusal: Refusal = { reason: 'store-failed', code: (error as { code?: string } | null)?.code ?? 'STORE_FAILED', detail: errorMessage(error) };
    const results = group.map((item): ItemResult => {
      if (item.kind !== 'reads' && item.kind !== 'events') return { type: 'refused', refusal };
      const range = this.db.gateways.exists(item.gatewayId) ? peekRange(item.payload) : undefined;
      return range === undefined ? { type: 'refused', refusal } : { type: 'refused', refusal, ack: { ...range, result: 'refused', reason: refusal.reason, detail: refusal.detail.slice(0, 500), storedCount: 0 } };
    });
    this.safeRecordAll(group.map((item) => record(item, refusal, now)));
    return { results, problems: [{ message: 'the store could not take a group of messages', fields: { err: errorMessage(error), messages: group.length } }] };
  }

  /** Never throws: one outcome that cannot be reported must not hold up the acks of the next groups. */
  private tell(group: readonly IngestItem[], outcome: GroupOutcome, now: number): void {
    for (const p of outcome.problems) this.log.error(p.fields, p.message);
    group.forEach((item, i) => {
      const r = outcome.results[i];
      try {
        if (r !== undefined) this.tellOne(item, r, now);
      } catch (e) {
        this.log.error({ gatewayId: item.gatewayId, topic: item.topic, err: errorMessage(e) }, 'could not report an ingest outcome');
      }
    });
  }

  private tellOne(item: IngestItem, r: ItemResult, now: number): void {
    switch (r.type) {
      case 'stored':
        this.metrics.inc(`batches.${r.verdict}`);
        this.metrics.inc(`${item.kind}.stored`, r.storedCount);
        this.sendAck(item, r.ack, now);
        return;
      case 'duplicate':
        this.metrics.inc('batches.duplicate');
        this.log.info({ gatewayId: item.gatewayId, stream: item.kind, epoch: r.ack.epoch, seqFrom: r.ack.seqFrom, seqTo: r.ack.seqTo }, 'duplicate batch: nothing stored');
        this.sendAck(item, r.ack, now);
        return;
      case 'refused':
        this.countRefusal(item, r.refusal);
        if (r.ack !== undefined) this.sendAck(item, r.ack, now);
        return;
      case 'applied':
        this.metrics.inc(`${r.kind}.applied`);
        if (r.kind === 'status') this.log.info({ gatewayId: item.gatewayId, state: r.state, reason: r.reason }, 'gateway status');
        return;
      case 'ignored':
        return;
    }
  }

  private countRefusal(entry: { gatewayId: string | null; topic: string }, refusal: Refusal): void {
    this.metrics.inc(`refused.ingest.${refusal.reason}`);
    this.log.warn({ gatewayId: entry.gatewayId, topic: entry.topic, reason: refusal.reason, code: refusal.code }, `refused: ${refusal.detail}`);
  }

  private safeRecordAll(records: Parameters<CentralDb['refusals']['recordAll']>[0]): void {
    try {
      this.db.refusals.recordAll(records);
    } catch (e) {
      this.log.error({ err: errorMessage(e), count: records.length }, 'could not write refusals to the refusals log');
    }
  }

  /** A refusal outside the groups (a topic that is not a gateway's): no ack, there is nobody to send it to. */
  private refuseNow(entry: { gatewayId: string | null; topic: string }, refusal: Refusal): void {
    this.countRefusal(entry, refusal);
    this.safeRecordAll([record(entry, refusal, this.clock.now())]);
  }

  private sendAck(item: IngestItem, fields: AckFields, now: number): void {
    try {
      const bytes = encodeAck({ v: 1, gatewayId: item.gatewayId, stream: item.kind as SequenceStream, at: new Date(now).toISOString(), ...fields });
      this.ack(gatewayTopic(item.gatewayId, 'ack', this.settings.topicRoot), bytes);
      this.metrics.inc(`acks.${fields.result}`);
    } catch (e) {
      this.metrics.inc('acks.failed');
      this.log.error({ gatewayId: item.gatewayId, err: errorMessage(e) }, 'could not send an ack');
    }
  }
}
