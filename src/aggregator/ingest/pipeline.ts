import type { Logger } from 'pino';
import type { Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import {
  decodeHeartbeat,
  decodeStatus,
  encodeAck,
  gatewayTopic,
  parseGatewayTopic,
  type AckMessage,
  type SequenceStream,
} from '../../wire/index.js';
import type { CentralDb } from '../store/central-db.js';
import type { StoreOutcome, VerifiedBatch } from '../store/batch-writer.js';
import type { RefusalRecord } from '../store/refusals.js';
import type { Counters } from '../broker/counters.js';
import type { BatchOpener, OpenResult } from './opener.js';
import { peekRange, refusalOf, type Refusal } from './refusal.js';

/** Sends one ack; the MQTT client in ingest.ts, a plain array in unit tests. */
export type AckSink = (topic: string, payload: Uint8Array) => void;

export interface PipelineSettings {
  topicRoot: string;
  /** At most this many batches share one transaction (one fsync). */
  maxGroup: number;
}

interface BatchEntry {
  stream: SequenceStream;
  topic: string;
  gatewayId: string;
  payload: Uint8Array;
  result?: OpenResult;
  pending?: Promise<OpenResult>;
}

/**
 * The ingest's core, without MQTT: messages in (topic, bytes), acks out, after the commit. Batches are
 * opened as they arrive (possibly in parallel on workers) but stored and acked strictly in arrival order,
 * so batch N+1 of a gateway is never judged before batch N (it would look like a sequence gap). Each
 * round stores every batch that is ready, up to maxGroup, in one transaction, then publishes their acks.
 * Nothing from a refused message is stored; every refusal is logged, counted and kept in the refusals log.
 */
export class IngestPipeline {
  private readonly queue: BatchEntry[] = [];
  private draining = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly settings: PipelineSettings,
    private readonly db: CentralDb,
    private readonly opener: BatchOpener,
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
      case 'events': {
        const entry: BatchEntry = { stream: kind, topic, gatewayId, payload };
        const opened = this.opener.open(kind, payload, gatewayId);
        if (opened instanceof Promise) entry.pending = opened.then((r) => (entry.result = r));
        else entry.result = opened;
        this.queue.push(entry);
        void this.drain();
        return;
      }
      case 'status':
      case 'heartbeat':
        this.applyState(kind, gatewayId, topic, payload);
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
    try {
      while (this.queue.length > 0) {
        // One turn of the event loop before each round, so that every batch already read from the broker's
        // socket joins this transaction: with an inline opener push() would otherwise commit (and fsync)
        // each batch alone. The wait is bounded by that one turn; acks still follow their own commit.
        if (this.queue.length < this.settings.maxGroup) await new Promise<void>((resolve) => setImmediate(resolve));
        const head = this.queue[0]!;
        if (head.result === undefined) await head.pending;
        const group: BatchEntry[] = [];
        while (group.length < this.settings.maxGroup && this.queue[0]?.result !== undefined) group.push(this.queue.shift()!);
        this.commit(group);
      }
    } finally {
      this.draining = false;
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private commit(group: readonly BatchEntry[]): void {
    const now = this.clock.now();
    const verified: { entry: BatchEntry; batch: VerifiedBatch }[] = [];
    const refused: { entry: BatchEntry; refusal: Refusal }[] = [];
    for (const entry of group) {
      const r = entry.result!;
      if (r.ok) verified.push({ entry, batch: r.verified });
      else refused.push({ entry, refusal: this.explain(entry, refusalOf(r.error)) });
    }
    const preRecords = refused.map(({ entry, refusal }) => this.record(entry, refusal, now));
    let outcomes: StoreOutcome[];
    try {
      outcomes = this.db.writer.storeGroup(
        verified.map((v) => v.batch),
        preRecords,
        now,
      );
    } catch (e) {
      // Nothing of the group was stored. Refuse its batches as store-failed (transient: the gateway retries).
      this.log.error({ err: errorMessage(e), batches: verified.length }, 'storing a group of batches failed');
      const failure: Refusal = { reason: 'store-failed', code: (e as { code?: string }).code ?? 'STORE_FAILED', detail: errorMessage(e) };
      for (const v of verified) refused.push({ entry: v.entry, refusal: failure });
      this.safeRecordAll([...preRecords, ...verified.map((v) => this.record(v.entry, failure, now))]);
      outcomes = [];
      verified.length = 0;
    }
    // Acks only now: the transaction has committed.
    const lateRefusals: RefusalRecord[] = [];
    verified.forEach(({ entry, batch }, i) => {
      const o = outcomes[i]!;
      const range = { epoch: batch.batch.epoch, seqFrom: batch.batch.seqFrom, seqTo: batch.batch.seqTo };
      if (o.result === 'refused') {
        const refusal: Refusal = { reason: o.reason, code: o.reason === 'sequence-gap' ? 'SEQUENCE_GAP' : 'KEY_REVOKED', detail: o.detail };
        lateRefusals.push(this.record(entry, refusal, now, range));
        this.countRefusal(entry, refusal);
        this.sendAck(entry, { ...range, result: 'refused', reason: o.reason, detail: o.detail, storedCount: 0, ...(o.reason === 'sequence-gap' ? { expectedSeq: o.expectedSeq } : {}) }, now);
      } else if (o.result === 'duplicate') {
        this.metrics.inc('batches.duplicate');
        this.log.info({ gatewayId: entry.gatewayId, stream: entry.stream, ...range }, 'duplicate batch: nothing stored');
        this.sendAck(entry, { ...range, result: 'duplicate', storedCount: 0 }, now);
      } else {
        this.metrics.inc(`batches.${o.verdict}`);
        this.metrics.inc(`${entry.stream}.stored`, o.storedCount);
        this.sendAck(entry, { ...range, result: 'stored', storedCount: o.storedCount }, now);
      }
    });
    this.safeRecordAll(lateRefusals);
    for (const { entry, refusal } of refused) {
      this.countRefusal(entry, refusal);
      if (!this.db.gateways.exists(entry.gatewayId)) continue; // nobody to tell
      const range = peekRange(entry.payload);
      if (range === undefined) continue; // too broken to name a range: no ack (README "Ack")
      this.sendAck(entry, { ...range, result: 'refused', reason: refusal.reason, detail: refusal.detail.slice(0, 500), storedCount: 0 }, now);
    }
  }

  /** A revoked key looks like an unknown one to the wire; say which, for the operator. */
  private explain(entry: BatchEntry, refusal: Refusal): Refusal {
    if (refusal.reason !== 'unknown-key') return refusal;
    const keyId = peekKeyId(entry.payload);
    if (keyId !== undefined && this.db.gateways.keyStatus(entry.gatewayId, keyId) === 'revoked') {
      return { ...refusal, detail: `${refusal.detail} (revoked)` };
    }
    return refusal;
  }

  private countRefusal(entry: { gatewayId: string | null; topic: string }, refusal: Refusal): void {
    this.metrics.inc(`refused.ingest.${refusal.reason}`);
    this.log.warn({ gatewayId: entry.gatewayId, topic: entry.topic, reason: refusal.reason, code: refusal.code }, `refused: ${refusal.detail}`);
  }

  private record(
    entry: { gatewayId: string | null; topic: string; payload?: Uint8Array },
    refusal: Refusal,
    now: number,
    range = entry.payload === undefined ? undefined : peekRange(entry.payload),
  ): RefusalRecord {
    return {
      at: now,
      stage: 'ingest',
      gatewayId: entry.gatewayId,
      topic: entry.topic,
      reason: refusal.reason,
      code: refusal.code,
      detail: refusal.detail,
      epoch: range?.epoch ?? null,
      seqFrom: range?.seqFrom ?? null,
      seqTo: range?.seqTo ?? null,
    };
  }

  private safeRecordAll(records: readonly RefusalRecord[]): void {
    try {
      this.db.refusals.recordAll(records);
    } catch (e) {
      this.log.error({ err: errorMessage(e), count: records.length }, 'could not write refusals to the refusals log');
    }
  }

  /** A refusal outside the batch queue (bad topic, status, heartbeat): no ack, these are not acked. */
  private refuseNow(entry: { gatewayId: string | null; topic: string }, refusal: Refusal): void {
    this.countRefusal(entry, refusal);
    this.safeRecordAll([this.record(entry, refusal, this.clock.now())]);
  }

  private sendAck(entry: BatchEntry, fields: Omit<AckMessage, 'v' | 'gatewayId' | 'stream' | 'at'>, now: number): void {
    try {
      const bytes = encodeAck({ v: 1, gatewayId: entry.gatewayId, stream: entry.stream, at: new Date(now).toISOString(), ...fields });
      this.ack(gatewayTopic(entry.gatewayId, 'ack', this.settings.topicRoot), bytes);
      this.metrics.inc(`acks.${fields.result}`);
    } catch (e) {
      this.metrics.inc('acks.failed');
      this.log.error({ gatewayId: entry.gatewayId, err: errorMessage(e) }, 'could not send an ack');
    }
  }

  /** Birth / will / shutdown and heartbeats: gateway state, not acked. An empty payload clears a retained status. */
  private applyState(kind: 'status' | 'heartbeat', gatewayId: string, topic: string, payload: Uint8Array): void {
    if (payload.length === 0) return;
    const entry = { gatewayId, topic };
    try {
      const now = this.clock.now();
      const msg = kind === 'status' ? { status: decodeStatus(payload) } : { heartbeat: decodeHeartbeat(payload) };
      const named = msg.status?.gatewayId ?? msg.heartbeat?.gatewayId;
      if (named !== gatewayId) {
        return this.refuseNow(entry, { reason: 'gateway-mismatch', code: 'WIRE_GATEWAY_MISMATCH', detail: `${kind} names ${named} on ${gatewayId}'s topic` });
      }
      const applied = msg.status !== undefined ? this.db.gateways.applyStatus(msg.status, now) : this.db.gateways.applyHeartbeat(msg.heartbeat!, now);
      if (!applied) return this.refuseNow(entry, { reason: 'unknown-gateway', code: 'WIRE_UNKNOWN_GATEWAY', detail: `${kind} from ${gatewayId}, which is not enrolled` });
      this.metrics.inc(`${kind}.applied`);
      if (msg.status !== undefined) this.log.info({ gatewayId, state: msg.status.state, reason: msg.status.reason }, 'gateway status');
    } catch (e) {
      this.refuseNow(entry, refusalOf(e));
    }
  }
}

function peekKeyId(bytes: Uint8Array): string | undefined {
  try {
    const env = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as { keyId?: unknown };
    return typeof env.keyId === 'string' ? env.keyId : undefined;
  } catch {
    return undefined;
  }
}
