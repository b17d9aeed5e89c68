import { validate as cronValidate } from 'node-cron';
import { systemClock, type Clock } from '../../shared/clock.js';
import { wallClockTrigger, type Trigger } from '../../shared/cron.js';
import { errorMessage } from '../../shared/errors.js';
import { PollingError } from './errors.js';
import { silentLog, type PollLog } from './log.js';

export const CYCLE_KINDS = ['registers', 'billing', 'loadProfile', 'clockCheck', 'digest', 'retention'] as const;
export type CycleKind = (typeof CYCLE_KINDS)[number];

/** What fires cycles: the wall clock in service (`wallClockTrigger`), a hand-driven fake in tests. */
export type { Trigger };
export const cronTrigger = wallClockTrigger;

export interface CycleDefinition {
  /** Cron expression (node-cron syntax, optional seconds field). */
  cron: string;
  run: () => Promise<unknown>;
}

export type ScheduleConfig = Partial<Record<CycleKind, CycleDefinition>>;

export interface CycleStats {
  runs: number;
  /** Fires that found the previous cycle of the same kind still running. */
  skipped: number;
  failed: number;
  running: boolean;
  lastStartedAt?: number;
  lastFinishedAt?: number;
  lastError?: string;
}

export type FireOutcome = 'ran' | 'skipped' | 'failed';

export interface PollSchedule {
  start(): void;
  /** Runs one cycle now, as the trigger would; resolves when it ends (or at once when skipped). */
  fire(kind: CycleKind): Promise<FireOutcome>;
  stats(kind: CycleKind): CycleStats;
  /** Stops the triggers and waits for running cycles to end. */
  close(): Promise<void>;
}

/**
 * The gateway's polling calendar: register reads, the billing snapshot after each month end, load
 * profile catch-up, the clock check and the outbox housekeeping, each on its own cron expression. A cycle never overlaps the
 * previous one of its kind: a fire that finds it still running is skipped and counted, because a bus
 * that needs longer than the period would otherwise pile conversations up without end.
 */
export function createSchedule(config: ScheduleConfig, deps: { trigger?: Trigger; clock?: Clock; log?: PollLog } = {}): PollSchedule {
  const trigger = deps.trigger ?? cronTrigger();
  const clock = deps.clock ?? systemClock;
  const log = deps.log ?? silentLog;
  for (const kind of CYCLE_KINDS) {
    const def = config[kind];
    if (def && !cronValidate(def.cron)) throw new PollingError('POLL_BAD_CONFIG', `schedule.${kind}: "${def.cron}" is not a valid cron expression`);
  }
  const stats = new Map<CycleKind, CycleStats>(CYCLE_KINDS.map((k) => [k, { runs: 0, skipped: 0, failed: 0, running: false }]));
  const running = new Map<CycleKind, Promise<unknown>>();
  const stops: { stop(): void }[] = [];
  let closed = false;

  async function fire(kind: CycleKind): Promise<FireOutcome> {
    const def = config[kind];
    const s = stats.get(kind)!;
    if (!def) throw new PollingError('POLL_BAD_CONFIG', `no ${kind} cycle is configured`);
    if (closed) return 'skipped';
    if (s.running) {
      s.skipped++;
      log.warn({ cycle: kind, skipped: s.skipped }, `${kind} cycle skipped: the previous one is still running`);
      return 'skipped';
    }
    s.running = true;
    s.runs++;
    s.lastStartedAt = clock.now();
    const work = (async () => def.run())();
    running.set(kind, work);
    try {
      await work;
      return 'ran';
    } catch (e) {
      s.failed++;
      s.lastError = errorMessage(e);
      log.error({ cycle: kind, err: s.lastError }, `${kind} cycle failed: ${s.lastError}`);
      return 'failed';
    } finally {
      s.running = false;
      s.lastFinishedAt = clock.now();
      running.delete(kind);
    }
  }

  return {
    start() {
      if (closed || stops.length > 0) return;
      for (const kind of CYCLE_KINDS) {
        const def = config[kind];
        if (def) stops.push(trigger.every(def.cron, () => void fire(kind)));
      }
    },
    fire,
    stats: (kind) => ({ ...stats.get(kind)! }),
    async close() {
      closed = true;
      for (const s of stops.splice(0)) s.stop();
      await Promise.allSettled([...running.values()]);
    },
  };
}
