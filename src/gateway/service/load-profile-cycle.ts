import type { Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { ScalerCache } from '../../client/register-reader.js';
import type { GatewayConfig } from '../../config/gateway-config.js';
import type { ReadHistory } from '../../store/read-history.js';
import type { MeterDefinition } from '../model.js';
import { loadProfileJob, type LoadProfileResult, type MeterJob } from '../polling/index.js';
import { LOAD_PROFILE_STATE_KEY, loadProfileRecords } from './load-profile-records.js';
import type { OutboxWriter } from './outbox-writer.js';
import type { Pollers } from './pollers.js';
import { roundsOf } from './rounds.js';

/** How far back the first load-profile read of a meter goes. */
const FIRST_PROFILE_READ_MS = 86_400_000;

export interface LoadProfileDeps {
  /** The configuration in force (a reload replaces it). */
  config: () => GatewayConfig;
  clock: Clock;
  scalers: ScalerCache;
  history: ReadHistory;
  writer: OutboxWriter;
  pollMeters: Pollers['pollMeters'];
  /** True once the gateway is shutting down: the cycle stops between two rounds. */
  closing: () => boolean;
  /** New reads are in the outbox: the forwarder sends them. */
  wake: () => void;
  /** A cycle ended, with the meters read and those reached but failed (for the status). */
  done: (cycle: { ok: number; failed: number }) => void;
  log: Logger;
}

export interface LoadProfileCycles {
  /** The daily cycle (all meters), or a catch-up of some. */
  cycle(meters?: readonly MeterDefinition[]): Promise<void>;
  /** Catches up these meters' profiles soon, one batch at a time beside the regular cycles. */
  requestCatchUp(meterIds: readonly string[]): void;
  /** The time of the meter's last stored entry, undefined when its profile was never read. */
  lastEntryOf(meterId: string): number | undefined;
  /** The catch-up under way, if any. */
  running(): Promise<void> | undefined;
}

export function loadProfileCycles(deps: LoadProfileDeps): LoadProfileCycles {
  const { clock, scalers, history, writer, log } = deps;

  const lastEntryOf = (meterId: string): number | undefined => {
    const v = history.getState(meterId, LOAD_PROFILE_STATE_KEY);
    return v === undefined ? undefined : Number(v);
  };

  /**
   * The load profile from each meter's last stored entry to now. The entries go to the outbox first and
   * the meter's mark moves after: a crash in between fetches them again, under the same read ids. After
   * an outage this is weeks of entries per meter, so it runs in rounds (rounds.ts) and a shutdown stops
   * it between two rounds; the meters not reached keep their mark and are caught up next time.
   */
  async function cycle(meters: readonly MeterDefinition[] = deps.config().meters): Promise<void> {
    let ok = 0;
    let entries = 0;
    let reached = 0;
    for (const round of roundsOf(meters, deps.config().tcp.maxParallel)) {
      if (deps.closing()) break;
      const done = await oneRound(round);
      ok += done.ok;
      entries += done.entries;
      reached += round.length;
    }
    deps.wake();
    if (reached < meters.length) log.info({ meters: ok, entries, notReached: meters.length - reached }, 'load profile stopped for shutdown; the rest comes next time');
    else log.info({ meters: ok, entries }, 'load profile caught up');
    deps.done({ ok, failed: reached - ok });
  }

  async function oneRound(meters: readonly MeterDefinition[]): Promise<{ ok: number; entries: number }> {
    const config = deps.config();
    // A meter never read before starts a day back, not at the ~40 days it keeps: a thousand meters' whole
    // buffers at once would bury the month's register reads in the outbox for days.
    const job: MeterJob<LoadProfileResult> = (client, meter) => loadProfileJob({ clock, scalers, since: lastEntryOf(meter.id) ?? clock.now() - FIRST_PROFILE_READ_MS })(client, meter);
    const groups = await deps.pollMeters(meters, job);
    const byId = new Map(config.meters.map((m) => [m.id, m]));
    let ok = 0;
    let entries = 0;
    for (const g of groups) {
      for (const r of g.results) {
        const meter = byId.get(r.meterId as string);
        if (!r.ok || !meter || !('entries' in r)) continue;
        ok++;
        entries += r.entries.length;
        if (!writer.appendReads(loadProfileRecords(config.gateway.id, meter, r))) continue;
        if (r.lastEntryAt !== undefined) writer.guard('the load profile mark', () => history.setState(meter.id, LOAD_PROFILE_STATE_KEY, String(r.lastEntryAt)));
        if (!r.complete) log.warn({ meter: meter.id, errors: r.partialErrors }, `load profile of meter ${meter.id} only partly read; the rest comes next time`);
      }
    }
    deps.wake();
    return { ok, entries };
  }

  // Catch-ups asked for by meters coming back, run one batch at a time beside the regular cycles.
  const pendingCatchUp = new Set<string>();
  let catchUpRun: Promise<void> | undefined;
  function requestCatchUp(meterIds: readonly string[]): void {
    // Only meters whose profile was read before: the first read is the daily cycle's, from the meter's start.
    for (const id of meterIds) if (lastEntryOf(id) !== undefined) pendingCatchUp.add(id);
    if (catchUpRun !== undefined || pendingCatchUp.size === 0 || deps.closing()) return;
    catchUpRun = (async () => {
      while (pendingCatchUp.size > 0 && !deps.closing()) {
        const ids = new Set(pendingCatchUp);
        pendingCatchUp.clear();
        try {
          await cycle(deps.config().meters.filter((m) => ids.has(m.id)));
        } catch (e) {
          log.error({ err: errorMessage(e) }, `load profile catch-up failed: ${errorMessage(e)}`);
        }
      }
    })().finally(() => (catchUpRun = undefined));
  }

  return { cycle, requestCatchUp, lastEntryOf, running: () => catchUpRun };
}
