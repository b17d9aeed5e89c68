import { MeterSimError } from './errors.js';
import { MS_PER_DAY } from './local-time.js';
import { SeededRandom, hash01 } from './prng.js';

/**
 * Faults on demand. Each fault is data — a kind, its parameters and an optional window [from, until) —
 * that can be added, switched on and off, or removed while the simulator runs. Two consumers read them:
 *
 * - the protocol layer asks `isSilent(t)`, `answersGarbage(t)`, `responseDelayMs(t)` and
 *   `shouldCorrupt(t)` before answering a frame;
 * - the meter model applies the faults that change what the meter registers (stuck, spike, backwards,
 *   rollover, burnt, power failure, clock drift) inside its own arithmetic, so that its ground truth is
 *   what the meter really shows (the truth of a stuck meter is the stuck value).
 *
 * Windows are in true (simulation) time, not the meter's possibly drifting clock. "At T" faults (stuck,
 * backwards, burnt, the events) use `from` as T.
 */

export type TamperKind = 'cover-open' | 'magnetic';

export type FaultSpec =
  /** The protocol layer must not answer at all. */
  | { kind: 'silent' }
  /** Every answer is delayed by delayMs. */
  | { kind: 'slow'; delayMs: number }
  /** Spoil frames: each with `probability`, or every `everyNth` frame (seeded, so reproducible). */
  | { kind: 'corrupt'; probability?: number; everyNth?: number; seed?: number }
  /** Registers stop advancing at `from` (and resume, without the missed energy, at `until`). */
  | { kind: 'stuck' }
  /** The clock gains msPerDay (negative: loses) while the fault is on. */
  | { kind: 'clock-drift'; msPerDay: number }
  /** At `from` the import registers jump to toWh (default 0): an unannounced meter swap. */
  | { kind: 'backwards'; toWh?: number }
  /** Energy registers show their value modulo 10^digits (in register units) while on. */
  | { kind: 'rollover'; digits: number }
  /** Consumption × factor inside the window. */
  | { kind: 'spike'; factor: number }
  /** From `from`: registers stop, answers are garbage for garbageMs (default 1 h), then silence. */
  | { kind: 'burnt'; garbageMs?: number }
  /** Status bit and event at `from` (cleared, with an event, at `until`). */
  | { kind: 'tamper'; tamper?: TamperKind }
  | { kind: 'reverse-flow' }
  /** No supply: registers stop, the meter is silent, power down/up events. */
  | { kind: 'power-failure' }
  /** The meter's clock is marked invalid (status bit, clock status, event). */
  | { kind: 'clock-invalid' }
  /** Offline in a seeded on/off pattern: each slot of slotMs (default 15 min) is off with offlineRatio. */
  | { kind: 'intermittent'; offlineRatio?: number; slotMs?: number; seed?: number };

export type FaultKind = FaultSpec['kind'];

export type Fault = FaultSpec & {
  /** Start of the window (inclusive); absent = always. */
  from?: number | undefined;
  /** End of the window (exclusive); absent = never ends. */
  until?: number | undefined;
};

export type FaultOf<K extends FaultKind> = Extract<FaultSpec, { kind: K }> & { from?: number | undefined; until?: number | undefined };

export interface FaultEntry {
  readonly id: number;
  readonly fault: Fault;
  readonly enabled: boolean;
}

/** Whether a fault's window contains t. */
export function inWindow(f: Fault, t: number): boolean {
  return (f.from === undefined || t >= f.from) && (f.until === undefined || t < f.until);
}

const DEFAULT_GARBAGE_MS = 3_600_000;
const DEFAULT_SLOT_MS = 15 * 60_000;

function bad(f: Fault, why: string): never {
  throw new MeterSimError('SIM_BAD_FAULT', `fault "${f.kind}": ${why}`);
}

function validate(f: Fault): void {
  if (f.from !== undefined && !Number.isFinite(f.from)) bad(f, `from ${f.from} is not a time`);
  if (f.until !== undefined && !Number.isFinite(f.until)) bad(f, `until ${f.until} is not a time`);
  if (f.from !== undefined && f.until !== undefined && f.until <= f.from) bad(f, 'until must be after from');
  switch (f.kind) {
    case 'slow':
      if (!(f.delayMs >= 0)) bad(f, `delayMs ${f.delayMs} is not ≥ 0`);
      break;
    case 'corrupt':
      if (f.probability === undefined && f.everyNth === undefined) bad(f, 'give probability or everyNth');
      if (f.probability !== undefined && !(f.probability >= 0 && f.probability <= 1)) bad(f, `probability ${f.probability} is not in [0, 1]`);
      if (f.everyNth !== undefined && !(Number.isInteger(f.everyNth) && f.everyNth >= 1)) bad(f, `everyNth ${f.everyNth} is not an integer ≥ 1`);
      break;
    case 'clock-drift':
      if (!Number.isFinite(f.msPerDay) || Math.abs(f.msPerDay) >= MS_PER_DAY / 2) bad(f, `msPerDay ${f.msPerDay} is not a plausible drift`);
      break;
    case 'backwards':
      if (f.from === undefined) bad(f, 'needs from (the instant of the jump)');
      if (f.toWh !== undefined && !(Number.isInteger(f.toWh) && f.toWh >= 0)) bad(f, `toWh ${f.toWh} is not an integer ≥ 0`);
      break;
    case 'rollover':
      if (!(Number.isInteger(f.digits) && f.digits >= 1 && f.digits <= 15)) bad(f, `digits ${f.digits} is not 1..15`);
      break;
    case 'spike':
      if (!(f.factor >= 0 && Number.isFinite(f.factor))) bad(f, `factor ${f.factor} is not ≥ 0`);
      break;
    case 'burnt':
      if (f.from === undefined) bad(f, 'needs from (the instant it burns)');
      if (f.garbageMs !== undefined && !(f.garbageMs >= 0)) bad(f, `garbageMs ${f.garbageMs} is not ≥ 0`);
      break;
    case 'intermittent':
      if (f.offlineRatio !== undefined && !(f.offlineRatio >= 0 && f.offlineRatio <= 1)) bad(f, `offlineRatio ${f.offlineRatio} is not in [0, 1]`);
      if (f.slotMs !== undefined && !(f.slotMs >= 1)) bad(f, `slotMs ${f.slotMs} is not ≥ 1`);
      break;
    case 'tamper':
    case 'reverse-flow':
    case 'power-failure':
    case 'clock-invalid':
      if (f.from === undefined) bad(f, 'needs from (the instant of the event)');
      break;
    case 'silent':
    case 'stuck':
      break;
  }
}

interface Slot {
  id: number;
  fault: Fault;
  enabled: boolean;
  /** Corrupt faults only: their own sequence, so one fault's draws never shift another's. */
  rng?: SeededRandom;
  frames?: number;
}

export class FaultSet {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private changes = 0;

  /** `seed` is the meter's: faults without their own seed derive theirs from it and their id. */
  constructor(private readonly seed = 0, initial: readonly Fault[] = []) {
    for (const f of initial) this.add(f);
  }

  /** Bumped on every change; the model drops its caches when it moves. */
  get version(): number {
    return this.changes;
  }

  add(fault: Fault): number {
    validate(fault);
    const id = this.nextId++;
    const slot: Slot = { id, fault: { ...fault }, enabled: true };
    if (fault.kind === 'corrupt') {
      slot.rng = new SeededRandom(fault.seed ?? this.seed * 31 + id);
      slot.frames = 0;
    }
    this.slots.push(slot);
    this.changes++;
    return id;
  }

  remove(id: number): boolean {
    const i = this.slots.findIndex((s) => s.id === id);
    if (i < 0) return false;
    this.slots.splice(i, 1);
    this.changes++;
    return true;
  }

  setEnabled(id: number, enabled: boolean): boolean {
    const s = this.slots.find((x) => x.id === id);
    if (!s) return false;
    if (s.enabled !== enabled) {
      s.enabled = enabled;
      this.changes++;
    }
    return true;
  }

  clear(): void {
    if (this.slots.length === 0) return;
    this.slots.length = 0;
    this.changes++;
  }

  list(): FaultEntry[] {
    return this.slots.map((s) => ({ id: s.id, fault: { ...s.fault }, enabled: s.enabled }));
  }

  /** Enabled faults of one kind, whatever their window. */
  enabled<K extends FaultKind>(kind: K): FaultOf<K>[] {
    return this.slots.filter((s) => s.enabled && s.fault.kind === kind).map((s) => s.fault as FaultOf<K>);
  }

  /** Enabled faults of one kind whose window contains t. */
  activeAt<K extends FaultKind>(kind: K, t: number): FaultOf<K>[] {
    return this.enabled(kind).filter((f) => inWindow(f, t));
  }

  // ---- what the protocol layer asks -----------------------------------------------------------

  /** True when the meter must not answer at t: silent, no supply, burnt past its garbage phase, or an
   * intermittent off-slot. */
  isSilent(t: number): boolean {
    if (this.activeAt('silent', t).length > 0) return true;
    if (this.activeAt('power-failure', t).length > 0) return true;
    for (const f of this.activeAt('burnt', t)) if (t >= f.from! + (f.garbageMs ?? DEFAULT_GARBAGE_MS)) return true;
    for (const f of this.activeAt('intermittent', t)) {
      const slot = Math.floor(t / (f.slotMs ?? DEFAULT_SLOT_MS));
      if (hash01(f.seed ?? this.seed ^ 0x1e7, slot) < (f.offlineRatio ?? 0.5)) return true;
    }
    return false;
  }

  /** True while a burnt meter still answers, but with garbage. */
  answersGarbage(t: number): boolean {
    return this.activeAt('burnt', t).some((f) => t < f.from! + (f.garbageMs ?? DEFAULT_GARBAGE_MS));
  }

  /** Extra delay before an answer at t (the largest active slow fault). */
  responseDelayMs(t: number): number {
    return this.activeAt('slow', t).reduce((m, f) => Math.max(m, f.delayMs), 0);
  }

  /**
   * Whether the next frame sent at t must be spoiled. Call once per frame: every active corrupt fault
   * draws (or counts) in turn, so a run with the same seed and the same frames spoils the same ones.
   */
  shouldCorrupt(t: number): boolean {
    let corrupt = false;
    for (const s of this.slots) {
      if (!s.enabled || s.fault.kind !== 'corrupt' || !inWindow(s.fault, t)) continue;
      const f = s.fault;
      s.frames = (s.frames ?? 0) + 1;
      if (f.everyNth !== undefined && s.frames % f.everyNth === 0) corrupt = true;
      if (f.probability !== undefined && s.rng!.next() < f.probability) corrupt = true;
    }
    return corrupt;
  }
}
