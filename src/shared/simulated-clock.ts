import type { Clock, TimerHandle } from './clock.js';

/**
 * A stretch of simulated time that runs at its own speed: the month-end night slowed down so that the
 * meters' snapshots of a whole fleet are read before the cutoff, while the rest of the month flies.
 */
export interface ClockPhase {
  /** Simulated epoch ms, inclusive. */
  from: number;
  /** Simulated epoch ms, exclusive. */
  until: number;
  speed: number;
}

export interface SimulatedClockOptions {
  start: number;
  speed: number;
  /** Stretches at another speed; they must not overlap. */
  phases?: readonly ClockPhase[];
  realNow?: () => number;
  /** The real instant `start` corresponds to (default: now). Another process passes the same to share the clock. */
  realStart?: number;
}

/**
 * Time that runs faster than the wall clock, for the month-end demo and the truth test: a month of
 * schedules, cutoffs and meter registers in minutes. Simulated time is a pure function of real time
 * (start, speed, phases, real start), so two processes given the same numbers agree on the time without
 * talking. A timer of `ms` simulated milliseconds fires when simulated time reaches it. Protocol timeouts
 * (waiting for a meter's answer over a real socket) must keep the system clock: they measure real bytes
 * on a real line.
 */
export class SimulatedClock implements Clock {
  private realAnchor: number;
  private simAnchor: number;
  private readonly baseSpeed: number;
  private readonly phases: readonly ClockPhase[];
  private readonly realNow: () => number;
  private readonly timers = new Map<number, { at: number; fn: () => void; real: ReturnType<typeof setTimeout> }>();
  private nextId = 1;

  constructor(options: SimulatedClockOptions) {
    const phases = [...(options.phases ?? [])].sort((a, b) => a.from - b.from);
    for (const s of [options.speed, ...phases.map((p) => p.speed)]) {
      if (!(s > 0) || !Number.isFinite(s)) throw new RangeError(`simulated clock speed must be a number > 0, got ${s}`);
    }
    phases.forEach((p, i) => {
      if (!(p.until > p.from)) throw new RangeError(`simulated clock phase ${i + 1} ends before it starts`);
      const next = phases[i + 1];
      if (next && next.from < p.until) throw new RangeError(`simulated clock phases ${i + 1} and ${i + 2} overlap`);
    });
    this.realNow = options.realNow ?? (() => performance.timeOrigin + performance.now());
    this.realAnchor = options.realStart ?? this.realNow();
    this.simAnchor = options.start;
    this.baseSpeed = options.speed;
    this.phases = phases;
  }

  /** The speed in force now. */
  get speed(): number {
    return this.speedAt(this.now()).speed;
  }

  now(): number {
    return Math.floor(this.simAt(this.realNow()));
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const at = this.now() + Math.max(0, ms);
    this.arm(id, at, fn);
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    const t = this.timers.get(handle.id as number);
    if (t) clearTimeout(t.real);
    this.timers.delete(handle.id as number);
  }

  /** Jumps forward (e.g. to the eve of month end); timers due by then fire at once, in order. */
  advanceTo(simTime: number): void {
    const real = this.realNow();
    if (simTime <= this.simAt(real)) return;
    this.simAnchor = simTime;
    this.realAnchor = real;
    for (const [id, t] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      clearTimeout(t.real);
      this.arm(id, t.at, t.fn);
    }
  }

  /** The speed at a simulated instant and the simulated instant it next changes. */
  private speedAt(sim: number): { speed: number; until: number } {
    for (const p of this.phases) {
      if (sim < p.from) return { speed: this.baseSpeed, until: p.from };
      if (sim < p.until) return { speed: p.speed, until: p.until };
    }
    return { speed: this.baseSpeed, until: Infinity };
  }

  private simAt(real: number): number {
    let sim = this.simAnchor;
    let r = this.realAnchor;
    for (;;) {
      const { speed, until } = this.speedAt(sim);
      const realToChange = (until - sim) / speed;
      if (real - r <= realToChange) return sim + (real - r) * speed;
      sim = until;
      r += realToChange;
    }
  }

  private realAt(simTime: number): number {
    // Before the anchor (a clock whose real start is still ahead, so that the processes sharing it have
    // time to start before `start`): walk from simTime up to the anchor and go back that much real time.
    if (simTime < this.simAnchor) {
      let sim = simTime;
      let back = 0;
      while (sim < this.simAnchor) {
        const { speed, until } = this.speedAt(sim);
        const step = Math.min(until, this.simAnchor) - sim;
        back += step / speed;
        sim += step;
      }
      return this.realAnchor - back;
    }
    let sim = this.simAnchor;
    let r = this.realAnchor;
    while (sim < simTime) {
      const { speed, until } = this.speedAt(sim);
      const step = Math.min(until, simTime) - sim;
      r += step / speed;
      sim += step;
    }
    return r;
  }

  private arm(id: number, at: number, fn: () => void): void {
    const realDelay = Math.max(0, this.realAt(at) - this.realNow());
    const real = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, realDelay);
    this.timers.set(id, { at, fn, real });
  }
}
