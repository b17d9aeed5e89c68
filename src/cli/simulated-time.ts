import { readFileSync } from 'node:fs';
import { clockTrigger, type Trigger } from '../shared/cron.js';
import { SimulatedClock, type ClockPhase } from '../shared/simulated-clock.js';
import type { Clock } from '../shared/clock.js';
import { UsageError } from '../shared/command-line.js';

/**
 * `--simulated-clock FILE` of `chiso gateway` and `chiso aggregator`: the service follows a simulated clock
 * instead of the wall clock, so that a month-end can run in minutes with the real service processes (the
 * truth test, a demonstration). FILE is JSON `{ startMs, speed, phases?, realStartMs }` — at the top level
 * or under `clock`, as the fleet simulator's fleet.json has it — and every process given the same numbers
 * agrees on the time without talking (SimulatedClock). Cron schedules then fire on simulated time.
 */
export const SIMULATED_CLOCK_USAGE = `  --simulated-clock FILE   demonstrations and tests only: follow the simulated clock in FILE (JSON
                           { startMs, speed, phases?, realStartMs }, or a fleet.json) instead of the wall clock`;

export function simulatedTimeFrom(file: string | undefined): { clock: Clock; trigger: Trigger } | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--simulated-clock ${file}: cannot be read (${(e as Error).message})`);
  }
  const clock = new SimulatedClock(parseSimulatedClock(text, file));
  return { clock, trigger: clockTrigger(clock) };
}

/** The clock's numbers from the file's text; a UsageError naming the file and the field otherwise. */
export function parseSimulatedClock(text: string, file: string): { start: number; speed: number; phases: ClockPhase[]; realStart: number } {
  const bad = (what: string) => new UsageError(`--simulated-clock ${file}: ${what}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  const top = (doc ?? {}) as Record<string, unknown>;
  const c = (typeof top['clock'] === 'object' && top['clock'] !== null ? top['clock'] : top) as Record<string, unknown>;
  const num = (key: string, positive = false): number => {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || (positive && !(v > 0))) throw bad(`${key} must be a ${positive ? 'number > 0' : 'number (epoch ms)'}, found ${JSON.stringify(v)}`);
    return v;
  };
  const phasesIn = c['phases'] ?? [];
  if (!Array.isArray(phasesIn)) throw bad(`phases must be a list, found ${JSON.stringify(phasesIn)}`);
  const phases = phasesIn.map((p: unknown, i): ClockPhase => {
    const o = (p ?? {}) as Record<string, unknown>;
    for (const k of ['from', 'until', 'speed']) {
      if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) throw bad(`phases[${i}].${k} must be a number, found ${JSON.stringify(o[k])}`);
    }
    return { from: o['from'] as number, until: o['until'] as number, speed: o['speed'] as number };
  });
  return { start: num('startMs'), speed: num('speed', true), phases, realStart: num('realStartMs') };
}
