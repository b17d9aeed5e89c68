import type { MeterReadResult } from '../model.js';
import { formatDay, localDay } from './local-time.js';

/**
 * The day's counters for the daily digest, accumulated cycle by cycle. Plain JSON so the caller can keep it
 * across a restart; meter ids are kept as sorted sets because "meters read" counts each meter once a day.
 */
export interface DayTally {
  /** Local `YYYY-MM-DD`. */
  date: string;
  readMeters: string[];
  failedMeters: string[];
  readsCollected: number;
  anomaliesRaised: number;
  anomaliesCleared: number;
}

export function newTally(now: number): DayTally {
  return { date: formatDay(localDay(now)), readMeters: [], failedMeters: [], readsCollected: 0, anomaliesRaised: 0, anomaliesCleared: 0 };
}

const addAll = (set: readonly string[], ids: readonly string[]): string[] => [...new Set([...set, ...ids])].sort();

/** Adds one cycle's results and the anomaly events it produced. */
export function tallyCycle(
  tally: DayTally,
  results: readonly MeterReadResult[],
  events: readonly { type: string; state?: string }[] = [],
): DayTally {
  return {
    date: tally.date,
    readMeters: addAll(tally.readMeters, results.filter((r) => r.ok).map((r) => r.meterId)),
    failedMeters: addAll(tally.failedMeters, results.filter((r) => !r.ok).map((r) => r.meterId)),
    readsCollected: tally.readsCollected + results.reduce((n, r) => n + (r.ok ? r.registers.length : 0), 0),
    anomaliesRaised: tally.anomaliesRaised + events.filter((e) => e.type === 'anomaly' && e.state === 'raised').length,
    anomaliesCleared: tally.anomaliesCleared + events.filter((e) => e.type === 'anomaly' && e.state === 'cleared').length,
  };
}

/** At a local day change: the finished tally (for the digest) and a fresh one; otherwise the same tally. */
export function rollTally(tally: DayTally, now: number): { finished?: DayTally; current: DayTally } {
  const today = formatDay(localDay(now));
  return today === tally.date ? { current: tally } : { finished: tally, current: newTally(now) };
}
