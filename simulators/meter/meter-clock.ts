import type { FaultSet } from './faults.js';
import { MS_PER_DAY } from './local-time.js';

/**
 * The meter's own clock: true time plus a steady drift (a crystal's error, ms per day since
 * installation), plus clock-drift faults while they are on, plus the steps made by clock-setting.
 *
 * The meter captures its billing and load-profile entries when *its* clock reaches a boundary, so a
 * drifting meter captures at a slightly different true instant; `captureInstant` finds that instant.
 */

export interface ClockSet {
  /** True instant of the setting. */
  at: number;
  /** Meter time before and after. */
  oldTime: number;
  newTime: number;
}

export class MeterClock {
  private readonly sets: ClockSet[] = [];

  constructor(
    private readonly installedAt: number,
    private readonly driftMsPerDay: number,
    private readonly faults: FaultSet,
  ) {}

  /** Changes each time the clock is set. */
  get setCount(): number {
    return this.sets.length;
  }

  clockSets(): readonly ClockSet[] {
    return this.sets;
  }

  /** Meter clock minus true time at t, ms. */
  offsetAt(t: number): number {
    let drift = this.driftMsPerDay * Math.max(0, t - this.installedAt);
    for (const f of this.faults.enabled('clock-drift')) {
      const from = Math.max(f.from ?? this.installedAt, this.installedAt);
      const to = Math.min(f.until ?? Infinity, t);
      if (to > from) drift += f.msPerDay * (to - from);
    }
    let steps = 0;
    for (const s of this.sets) if (s.at <= t) steps += s.newTime - s.oldTime;
    return Math.round(drift / MS_PER_DAY) + steps;
  }

  /** The meter's clock at true time t. */
  at(t: number): number {
    return t + this.offsetAt(t);
  }

  /** Sets the clock to `meterTime` at true time `at`. */
  set(meterTime: number, at: number): ClockSet {
    const s: ClockSet = { at, oldTime: this.at(at), newTime: meterTime };
    this.sets.push(s);
    this.sets.sort((a, b) => a.at - b.at);
    return s;
  }

  /** Whether the clock ever differs from true time (the fast path skips the search when not). */
  get isExact(): boolean {
    return this.driftMsPerDay === 0 && this.sets.length === 0 && this.faults.enabled('clock-drift').length === 0;
  }

  /**
   * The true instant at which the meter's clock shows `meterTime`. Drift changes the offset by at most a
   * few ms per second, so a fixed-point iteration converges in two or three steps.
   */
  captureInstant(meterTime: number): number {
    if (this.isExact) return meterTime;
    let t = meterTime;
    for (let i = 0; i < 8; i++) {
      const next = meterTime - this.offsetAt(t);
      if (next === t) break;
      t = next;
    }
    return t;
  }
}
