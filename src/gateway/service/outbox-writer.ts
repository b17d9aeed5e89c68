import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { StoreError } from '../../store/errors.js';
import type { Outbox } from '../../store/outbox.js';
import type { Backlog } from '../../store/outbox-types.js';
import type { GatewayEvent } from '../../wire/events.js';
import type { ReadRecord } from '../../wire/reads.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { isBillingRelevant } from './records.js';

export interface StoreProblem {
  code: string;
  message: string;
  at: string;
}

/** Reads into the reads outbox, events into the events outbox, and the gateway's own state beside the reads. */
type WriteKind = 'reads' | 'events' | 'state';

/** The gateway's writes to its two outboxes (reads, events), guarded so a failing disk never stops a cycle. */
export interface OutboxWriter {
  /** Writes the reads; false when the store refused them (they are not stored, see `problem`). */
  appendReads(records: readonly ReadRecord[]): boolean;
  appendEvents(events: readonly GatewayEvent[]): void;
  /** Runs another write to the reads database (a mark, detection's state) under the same guard. */
  guard(what: string, write: () => void): boolean;
  /** A failing kind of write (reads first, then state, then events); null once each has succeeded again. */
  problem(): StoreProblem | null;
  /** Both outboxes together: what is not yet acked by central. */
  backlog(): Backlog;
}

export interface OutboxWriterDeps {
  gatewayId: string;
  outbox: Outbox;
  eventsOutbox: Outbox;
  clock: Clock;
  log: Logger;
  metrics: GatewayMetrics;
}

export function createOutboxWriter(deps: OutboxWriterDeps): OutboxWriter {
  const { gatewayId, outbox, eventsOutbox, clock, log, metrics } = deps;
  /**
   * The last failure of each kind of write (disk full, damaged file), cleared by the next good write of the
   * same kind only: the events file, or a small state write that still fits, says nothing of the reads.
   */
  const problems: Record<WriteKind, StoreProblem | null> = { reads: null, events: null, state: null };

  /**
   * A write to the outbox that fails (full disk, damaged database) is logged with its store code and shown
   * in the status; the reads already stored stay where they are, and the meters keep these values for the
   * next cycle. It never stops the rest of the cycle (detection, forwarding what is stored).
   */
  function guardOn(kind: WriteKind, what: string, write: () => void): boolean {
    try {
      write();
      if (problems[kind] !== null) log.info({ code: problems[kind].code, kind }, `${kind} writable again`);
      problems[kind] = null;
      return true;
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      problems[kind] = { code: e.code, message: e.message, at: new Date(clock.now()).toISOString() };
      log.error({ code: e.code, err: e.message, what, kind }, `could not store ${what}: ${e.message}`);
      return false;
    }
  }

  return {
    guard: (what, write) => guardOn('state', what, write),
    problem: () => problems.reads ?? problems.state ?? problems.events,
    appendReads(records) {
      if (records.length === 0) return true;
      const stored = guardOn('reads', `${records.length} read(s)`, () =>
        outbox.append(
          records.map((r) => ({ readId: r.readId, kind: 'read' as const, billing: isBillingRelevant(r.kind, Date.parse(r.meterTime)), payload: JSON.stringify(r), createdAt: Date.parse(r.receivedAt) })),
        ),
      );
      if (stored) metrics.reads.inc(undefined, records.length);
      return stored;
    },
    appendEvents(events) {
      if (events.length === 0) return;
      const now = clock.now();
      guardOn('events', `${events.length} event(s)`, () =>
        eventsOutbox.append(
          events.map((e, i) => {
            const subject = 'meterId' in e ? e.meterId : 'bus' in e ? e.bus : e.type;
            const state = 'state' in e ? `|${String(e.state)}` : '';
            return { readId: `${gatewayId}|${e.type}|${subject}${state}|${e.at}|${i}`, kind: 'event' as const, billing: false, payload: JSON.stringify(e), createdAt: now };
          }),
        ),
      );
      for (const e of events) metrics.events.inc({ type: e.type });
    },
    backlog() {
      const a = outbox.backlog();
      const b = eventsOutbox.backlog();
      const oldest = [a.oldestCreatedAt, b.oldestCreatedAt].filter((x): x is number => x !== null);
      return { count: a.count + b.count, bytes: a.bytes + b.bytes, oldestCreatedAt: oldest.length ? Math.min(...oldest) : null, billingCount: a.billingCount + b.billingCount, lastSeq: a.lastSeq };
    },
  };
}
