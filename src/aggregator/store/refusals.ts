import type Database from 'better-sqlite3';

/** Where a refusal happened: the broker's three hooks, or the ingest after the broker let a message in. */
export type RefusalStage = 'connect' | 'publish' | 'subscribe' | 'ingest';

export interface RefusalRecord {
  at: number;
  stage: RefusalStage;
  /** The gateway the refusal concerns as far as we can tell (login, or the topic's id); null when unknown. */
  gatewayId: string | null;
  topic?: string | null;
  /** A stable reason: an ack refusal reason at ingest, a broker reason (`bad-credentials` …) otherwise. */
  reason: string;
  /** The error code behind it (WIRE_BAD_SIGNATURE …), when there was one. */
  code?: string | null;
  detail?: string | null;
  epoch?: string | null;
  seqFrom?: number | null;
  seqTo?: number | null;
}

export interface StoredRefusal extends RefusalRecord {
  id: number;
}

/** The refusals log: every message or connection we turned away, with why, for the operator's page. */
export class RefusalLog {
  private readonly insert;
  private readonly recent;
  private readonly many;

  constructor(db: Database.Database) {
    this.insert = db.prepare(
      `INSERT INTO refusals (at, stage, gateway_id, topic, reason, code, detail, epoch, seq_from, seq_to)
       VALUES (@at, @stage, @gatewayId, @topic, @reason, @code, @detail, @epoch, @seqFrom, @seqTo)`,
    );
    this.many = db.transaction((records: readonly RefusalRecord[]) => {
      for (const r of records) this.record(r);
    });
    this.recent = db.prepare<[number], Record<string, unknown>>('SELECT * FROM refusals ORDER BY id DESC LIMIT ?');
  }

  record(r: RefusalRecord): void {
    this.insert.run({
      at: r.at,
      stage: r.stage,
      gatewayId: r.gatewayId,
      topic: r.topic ?? null,
      reason: r.reason,
      code: r.code ?? null,
      detail: r.detail === undefined || r.detail === null ? null : r.detail.slice(0, 1000),
      epoch: r.epoch ?? null,
      seqFrom: r.seqFrom ?? null,
      seqTo: r.seqTo ?? null,
    });
  }

  /** Several refusals in one transaction (one fsync). */
  recordAll(records: readonly RefusalRecord[]): void {
    if (records.length > 0) this.many(records);
  }

  /** The newest refusals first. */
  latest(limit = 100): StoredRefusal[] {
    return this.recent.all(limit).map((r) => ({
      id: r['id'] as number,
      at: r['at'] as number,
      stage: r['stage'] as RefusalStage,
      gatewayId: r['gateway_id'] as string | null,
      topic: r['topic'] as string | null,
      reason: r['reason'] as string,
      code: r['code'] as string | null,
      detail: r['detail'] as string | null,
      epoch: r['epoch'] as string | null,
      seqFrom: r['seq_from'] as number | null,
      seqTo: r['seq_to'] as number | null,
    }));
  }
}
