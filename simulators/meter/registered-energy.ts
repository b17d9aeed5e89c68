/**
 * What the meter's measuring element has counted since installation, in integer mWh: the customer's
 * consumption bent by the faults that change counting. A window multiplies the rate by its factor — 0 for
 * a stuck meter, a burnt one or a supply failure, k for a consumption spike — and overlapping windows
 * multiply. The result is monotone (a meter never counts backwards; an index jumping back is a register
 * fault applied later, not a negative energy) and exact: between window edges it is the base energy
 * times the factor, floored to whole mWh.
 */

export interface RateWindow {
  from: number;
  /** Exclusive; Infinity for a window that never ends. */
  until: number;
  factor: number;
}

/** Energy of [from, to) in integer mWh. */
export type EnergyFn = (from: number, to: number) => number;

export class RegisteredEnergy {
  /** Edges of constant-factor pieces; edges[0] = origin. */
  private readonly edges: number[];
  private readonly factors: number[];
  /** Energy registered from origin up to edges[i]. */
  private readonly before: number[];

  constructor(
    private readonly base: EnergyFn,
    private readonly origin: number,
    windows: readonly RateWindow[],
  ) {
    const cuts = new Set<number>([origin]);
    for (const w of windows) {
      if (w.from > origin && Number.isFinite(w.from)) cuts.add(w.from);
      if (w.until > origin && Number.isFinite(w.until)) cuts.add(w.until);
    }
    this.edges = [...cuts].sort((a, b) => a - b);
    this.factors = this.edges.map((e) =>
      windows.reduce((f, w) => (w.from <= e && e < w.until ? f * w.factor : f), 1),
    );
    this.before = [0];
    for (let i = 1; i < this.edges.length; i++) {
      this.before.push(this.before[i - 1]! + this.piece(i - 1, this.edges[i]!));
    }
  }

  /** mWh registered in [origin, t). */
  at(t: number): number {
    if (t <= this.origin) return 0;
    let lo = 0;
    let hi = this.edges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.edges[mid]! <= t) lo = mid;
      else hi = mid - 1;
    }
    return this.before[lo]! + this.piece(lo, t);
  }

  /** True when every factor is 1: the registered energy is the base energy. */
  get isPlain(): boolean {
    return this.factors.every((f) => f === 1);
  }

  private piece(i: number, t: number): number {
    const f = this.factors[i]!;
    if (f === 0) return 0;
    const e = this.base(this.edges[i]!, t);
    return f === 1 ? e : Math.floor(f * e);
  }
}
