import type { ReadRecord } from '../../wire/reads.js';
import { billingJob, lastMonthEnd } from '../polling/index.js';
import type { LoadProfileDeps } from './load-profile-cycle.js';
import { snapshotRecords } from './records.js';

/** The meter_state key holding the month boundary (ms) whose snapshot the meter has given. */
export const BILLING_SNAPSHOT_STATE_KEY = 'billing-snapshot';

/** What the month-end snapshots need: the same parts as the load-profile cycle, less its stop and status hooks. */
export type BillingCycleDeps = Omit<LoadProfileDeps, 'closing' | 'done'>;

export interface BillingCycleOutcome {
  monthStart: number;
  /** Meters asked this time (those whose snapshot was not in yet). */
  asked: number;
  read: number;
  failed: number;
}

/**
 * The meters' own month-end snapshots, and their second chances. The snapshot is the billed index, so a
 * meter that did not answer at 00:30 (a busy bus, a meter rebooting after the month-end load) must be
 * asked again before the cutoff, not estimated: each run of the billingSnapshot schedule asks only the
 * meters whose snapshot of this month boundary is not yet stored, so several times in the night (the
 * default schedule) cost one read per meter. Which meters are done is kept in the gateway database,
 * written after the reads are in the outbox: a restart between the two reads a meter again, under the same
 * read ids. Every meter that could not be read is logged by name.
 */
export function billingCycle(deps: BillingCycleDeps): () => Promise<BillingCycleOutcome> {
  const { clock, history, writer, log } = deps;
  const doneFor = (meterId: string, monthStart: number): boolean => {
    try {
      return history.getState(meterId, BILLING_SNAPSHOT_STATE_KEY) === String(monthStart);
    } catch {
      return false; // an unreadable mark costs a second read, never a missing snapshot
    }
  };

  return async () => {
    const config = deps.config();
    const monthStart = lastMonthEnd(clock.now());
    const pending = config.meters.filter((m) => !doneFor(m.id, monthStart));
    const outcome: BillingCycleOutcome = { monthStart, asked: pending.length, read: 0, failed: 0 };
    const month = new Date(monthStart).toISOString();
    if (pending.length === 0) {
      log.debug({ monthStart: month }, 'billing snapshots: every meter already read');
      return outcome;
    }
    const groups = await deps.pollMeters(pending, billingJob({ clock, scalers: deps.scalers, monthStart }));
    const meters = new Map(pending.map((m) => [m.id, m]));
    const records: ReadRecord[] = [];
    const snapshotMeters: string[] = [];
    for (const g of groups) {
      for (const r of g.results) {
        const meter = meters.get(r.meterId);
        if (r.ok && meter && 'monthStart' in r) {
          records.push(...snapshotRecords(config.gateway.id, meter, r));
          snapshotMeters.push(r.meterId);
        } else if (!r.ok) {
          outcome.failed++;
          log.warn({ meter: r.meterId, code: r.code, monthStart: month }, `meter ${r.meterId}: billing snapshot not read (${r.code}: ${r.message}); asked again at the next billingSnapshot time`);
        }
      }
    }
    if (records.length > 0 && writer.appendReads(records)) {
      writer.guard(`billing marks of ${snapshotMeters.length} meter(s)`, () =>
        history.batch(() => {
          for (const id of snapshotMeters) history.setState(id, BILLING_SNAPSHOT_STATE_KEY, String(monthStart), clock.now());
        }),
      );
      outcome.read = snapshotMeters.length;
      deps.wake();
    } else if (records.length > 0) {
      outcome.failed += snapshotMeters.length; // not stored: asked again next time
    }
    log.info({ monthStart: month, asked: outcome.asked, read: outcome.read, failed: outcome.failed, records: records.length }, 'billing snapshots read');
    return outcome;
  };
}
