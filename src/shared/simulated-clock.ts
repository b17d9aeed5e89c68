import type { Clock, TimerHandle } from './clock.js';

/**
 * Time that runs faster than the wall clock, for the month-end demo and the truth test: a month of
 * schedules, cutoffs and meter registers in minutes. `now()` is `start + elapsed × speed`; a timer of
 * `ms` simulated milliseconds fires after `ms / speed` real ones. Protocol timeouts (waiting for a meter's
 * answer over a real socket) must keep the system clock: they measure real bytes on a real line.
 */
export class SimulatedClock implements Clock {
  private readonly realStart: number;
  private simStart: number;
  private speedFactor: number;
  private readonly timers = new Map<number, { at: number; fn: () => void; real: ReturnType<typeof setTimeout> }>();
  private nextId = 1;

  constructor(options: { start: number; speed: number; realNow?: () => number }) {
    if (!(options.speed > 0)) throw new RangeError(`simulated clock speed must be > 0, got ${options.speed}`);
    this.realNow = options.realNow ?? (() => performance.timeOrigin + performance.now());
    this.realStart = this.realNow();
    this.simStart = options.start;
    this.speedFactor = options.speed;
  }

  private readonly realNow: () => number;

  get speed(): number {
    return this.speedFactor;
  }

  now(): number {
    return Math.floor(this.simStart + (this.realNow() - this.realStart) * this.speedFactor);
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
    const delta = simTime - this.now();
    if (delta <= 0) return;
    this.simStart += delta;
    for (const [id, t] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      clearTimeout(t.real);
      this.arm(id, t.at, t.fn);
    }
  }

  private arm(id: number, at: number, fn: () => void): void {
    const realDelay = Math.max(0, (at - this.now()) / this.speedFactor);
    const real = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, realDelay);
    this.timers.set(id, { at, fn, real });
  }
}
