import { type ConsumptionProfile, type ProfileSpec, type IntegratedProfile, makeProfile, solarProfile } from './consumption.js';
import { MeterSimError } from './errors.js';
import { type Fault, FaultSet } from './faults.js';
import { MeterClock } from './meter-clock.js';
import { type MeterEvent, eventsUpTo, statusAt } from './meter-events.js';
import { MS_PER_DAY, VIETNAM_UTC_OFFSET_MINUTES, monthStartsBetween } from './local-time.js';
import { type RateWindow, RegisteredEnergy } from './registered-energy.js';
import { PulseAccounting, type PulseTotals } from './tariff-accounting.js';
import { type PeriodTotals, TOU_2014, TouCalendar, type TouPeriod, type TouSchedule } from './tou.js';
import { LoadProfileLog, type LoadProfileRow } from './load-profile.js';

/**
 * A simulated meter's data model: what the meter knows at any true time t. Everything is a function of
 * the configuration, the faults and t — nothing accumulates as time passes — so the simulator can jump
 * a month ahead, and `truthAt(t)` is exactly what the COSEM objects will answer at t.
 */

export type TariffRegister = 'T1' | 'T2' | 'T3';
/** Which tariff register (1.0.1.8.1/2/3.255) counts which TOU period; per meter model, never assumed. */
export type TariffMap = Readonly<Record<TariffRegister, TouPeriod>>;
export const DEFAULT_TARIFF_MAP: TariffMap = { T1: 'normal', T2: 'peak', T3: 'offpeak' };

export interface MeterConfig {
  serial: string;
  seed: number;
  /** A profile spec (seeded from `seed` when it has none) or a ready profile. */
  profile: ProfileSpec | ConsumptionProfile;
  installedAt: number;
  /** Total import index at installation, Wh (default 0). */
  initialIndexWh?: number;
  /** How the initial index splits over the periods, Wh; must add up to initialIndexWh. */
  initialTariffWh?: PeriodTotals;
  tariffMap?: TariffMap;
  touSchedules?: readonly TouSchedule[];
  /** Register unit = 10^scalerWh Wh: 0 → Wh, 1 → 0.01 kWh, 3 → kWh (default 0). */
  scalerWh?: number;
  /** LLS secret, for the association layer (default "00000000"). */
  password?: string;
  timeSource: () => number;
  utcOffsetMinutes?: number;
  /** The clock's steady error since installation, ms per day (default 0). */
  clockDriftMsPerDay?: number;
  /** Rooftop solar: export register counts its generation (default none: export stays 0). */
  solar?: { kwPeak: number; seed?: number };
  /** Reactive import = active import × tan(acos(pf)) (default 0.95). */
  powerFactor?: number;
  loadProfile?: { capturePeriodS?: number; days?: number };
  /** Billing-period entries kept (default 24 months). */
  billingEntries?: number;
  /** Event log entries kept (default 100). */
  eventEntries?: number;
  faults?: readonly Fault[];
}

export interface RegisterValues {
  /** 1.0.1.8.0.255 */
  importTotal: number;
  /** 1.0.1.8.1.255 */
  T1: number;
  /** 1.0.1.8.2.255 */
  T2: number;
  /** 1.0.1.8.3.255 */
  T3: number;
  /** 1.0.2.8.0.255 */
  exportTotal: number;
  /** 1.0.3.8.0.255 (varh units) */
  reactiveImport: number;
}

export interface MeterTruth {
  /** True instant. */
  at: number;
  serial: string;
  /** The meter's clock and its COSEM clock status. */
  clock: number;
  clockStatus: number;
  /** Registers as the meter shows them, in register units (value × 10^scaler Wh). */
  registers: RegisterValues;
  /** The same per TOU period. */
  byPeriod: PeriodTotals;
  scaler: number;
  /** Wh per register unit (10^scaler). */
  unitWh: number;
  /** Status flags (STATUS_BITS). */
  status: number;
  /** Whether the meter answers at all at t. */
  silent: boolean;
}

export interface BillingSnapshot {
  /** The meter's clock reading of the capture: local 00:00 on the 1st. */
  stamp: number;
  /** True instant of the capture. */
  capturedAt: number;
  registers: RegisterValues;
}

interface Epoch {
  from: number;
  base: PeriodTotals;
  /** Pulses counted before the epoch began (subtracted). */
  pulsesBefore: PulseTotals;
}

interface State {
  key: string;
  imported: RegisteredEnergy;
  exported: RegisteredEnergy | undefined;
  pulses: PulseAccounting;
  epochs: Epoch[];
}

const PERIODS = ['normal', 'peak', 'offpeak'] as const;

function defaultSplit(totalUnits: number): PeriodTotals {
  const peak = Math.floor(totalUnits * 0.22);
  const offpeak = Math.floor(totalUnits * 0.18);
  return { normal: totalUnits - peak - offpeak, peak, offpeak };
}

export class SimulatedMeter {
  readonly serial: string;
  readonly seed: number;
  readonly installedAt: number;
  readonly password: string;
  readonly utcOffsetMinutes: number;
  readonly scaler: number;
  /** Register unit in Wh. */
  readonly unitWh: number;
  readonly tariffMap: TariffMap;
  readonly calendar: TouCalendar;
  readonly profile: ConsumptionProfile;
  readonly faults: FaultSet;
  readonly clock: MeterClock;
  readonly capturePeriodS: number;
  readonly loadProfileDays: number;
  readonly billingEntries: number;
  readonly eventEntries: number;
  private readonly timeSource: () => number;
  private readonly solar: IntegratedProfile | undefined;
  private readonly reactiveRatio: number;
  private readonly initial: PeriodTotals;
  private state: State | undefined;
  private readonly loadLog: LoadProfileLog;

  constructor(cfg: MeterConfig) {
    this.serial = cfg.serial;
    this.seed = cfg.seed;
    this.installedAt = cfg.installedAt;
    this.password = cfg.password ?? '00000000';
    this.timeSource = cfg.timeSource;
    this.utcOffsetMinutes = cfg.utcOffsetMinutes ?? VIETNAM_UTC_OFFSET_MINUTES;
    this.scaler = cfg.scalerWh ?? 0;
    if (!Number.isInteger(this.scaler) || this.scaler < 0 || this.scaler > 6) {
      throw new MeterSimError('SIM_BAD_CONFIG', `scalerWh ${this.scaler} is not 0..6`, { context: { serial: cfg.serial } });
    }
    if (!Number.isFinite(cfg.installedAt)) throw new MeterSimError('SIM_BAD_CONFIG', 'installedAt is not a time', { context: { serial: cfg.serial } });
    this.unitWh = 10 ** this.scaler;
    this.tariffMap = cfg.tariffMap ?? DEFAULT_TARIFF_MAP;
    const mapped = new Set(Object.values(this.tariffMap));
    if (mapped.size !== 3 || PERIODS.some((p) => !mapped.has(p))) {
      throw new MeterSimError('SIM_BAD_CONFIG', 'tariffMap must give each of normal, peak, offpeak to exactly one of T1, T2, T3', { context: { serial: cfg.serial } });
    }
    this.calendar = new TouCalendar(cfg.touSchedules ?? [TOU_2014], this.utcOffsetMinutes);
    this.profile = 'energyMwh' in cfg.profile ? cfg.profile : makeProfile(cfg.profile, cfg.seed, this.utcOffsetMinutes);
    this.solar = cfg.solar ? solarProfile({ seed: cfg.solar.seed ?? cfg.seed, kwPeak: cfg.solar.kwPeak, utcOffsetMinutes: this.utcOffsetMinutes }) : undefined;
    const pf = cfg.powerFactor ?? 0.95;
    if (!(pf > 0 && pf <= 1)) throw new MeterSimError('SIM_BAD_CONFIG', `powerFactor ${pf} is not in (0, 1]`, { context: { serial: cfg.serial } });
    this.reactiveRatio = Math.tan(Math.acos(pf));
    this.initial = this.initialSplit(cfg);
    this.faults = new FaultSet(cfg.seed, cfg.faults ?? []);
    this.clock = new MeterClock(cfg.installedAt, cfg.clockDriftMsPerDay ?? 0, this.faults);
    this.capturePeriodS = cfg.loadProfile?.capturePeriodS ?? 1800;
    this.loadProfileDays = cfg.loadProfile?.days ?? 40;
    if (!(Number.isInteger(this.capturePeriodS) && this.capturePeriodS >= 60 && MS_PER_DAY % (this.capturePeriodS * 1000) === 0)) {
      throw new MeterSimError('SIM_BAD_CONFIG', `capture period ${this.capturePeriodS} s must divide a day and be ≥ 60 s`, { context: { serial: cfg.serial } });
    }
    this.billingEntries = cfg.billingEntries ?? 24;
    this.eventEntries = cfg.eventEntries ?? 100;
    this.loadLog = new LoadProfileLog(this);
  }

  /** True (simulation) time now. */
  now(): number {
    return this.timeSource();
  }

  /** Changes whenever faults or clock settings change: caches keyed on it stay valid until then. */
  get stateKey(): string {
    return `${this.faults.version}:${this.clock.setCount}`;
  }

  /** COSEM deviation of the meter's local time (UTC = local + deviation, so −420 for Vietnam). */
  get deviation(): number {
    return this.utcOffsetMinutes === 0 ? 0 : -this.utcOffsetMinutes;
  }

  clockAt(t: number): number {
    return this.clock.at(t);
  }

  /** COSEM clock status byte at t (0x01 invalid value while a clock-invalid fault is on). */
  clockStatusAt(t: number): number {
    return this.faults.activeAt('clock-invalid', t).length > 0 ? 0x01 : 0;
  }

  /** Sets the meter's clock (the management client's clock set); logs the adjustment events. */
  setClock(meterTime: number, at: number = this.now()): void {
    this.clock.set(meterTime, at);
  }

  statusAt(t: number): number {
    return statusAt(this.faults, t);
  }

  /** Registers as shown at true time t (register units). */
  registersAt(t: number): RegisterValues {
    return this.readAt(t).registers;
  }

  truthAt(t: number): MeterTruth {
    const { registers, byPeriod } = this.readAt(t);
    return {
      at: t,
      serial: this.serial,
      clock: this.clockAt(t),
      clockStatus: this.clockStatusAt(t),
      registers,
      byPeriod,
      scaler: this.scaler,
      unitWh: this.unitWh,
      status: this.statusAt(t),
      silent: this.faults.isSilent(t),
    };
  }

  /** The billing snapshot the meter takes when its clock shows `monthStart` (local 00:00 on the 1st). */
  billingSnapshotAt(monthStart: number): BillingSnapshot {
    const capturedAt = this.clock.captureInstant(monthStart);
    return { stamp: monthStart, capturedAt, registers: this.registersAt(capturedAt) };
  }

  /** The billing-period buffer at true time t: one snapshot per month start since installation, oldest
   * first, at most `billingEntries`. */
  billingSnapshots(t: number = this.now()): BillingSnapshot[] {
    const stamps = monthStartsBetween(this.clockAt(this.installedAt), this.clockAt(t), this.utcOffsetMinutes);
    return stamps
      .slice(Math.max(0, stamps.length - this.billingEntries))
      .map((m) => this.billingSnapshotAt(m))
      .filter((s) => s.capturedAt <= t && s.capturedAt >= this.installedAt);
  }

  /** The load profile at true time t: one row per capture period over the last `loadProfileDays` days. */
  loadProfileRows(t: number = this.now()): LoadProfileRow[] {
    return this.loadLog.rows(t);
  }

  /** The event log at true time t, oldest first, at most `eventEntries`. */
  events(t: number = this.now()): MeterEvent[] {
    const all = eventsUpTo(this.faults, this.clock.clockSets(), t, (at) => this.clockAt(at)).filter((e) => e.at >= this.installedAt);
    return all.slice(Math.max(0, all.length - this.eventEntries));
  }

  /** The tariff register (T1/T2/T3) that counts a TOU period. */
  registerOfPeriod(p: TouPeriod): TariffRegister {
    return (Object.keys(this.tariffMap) as TariffRegister[]).find((k) => this.tariffMap[k] === p)!;
  }

  // ---- internals --------------------------------------------------------------------------------

  private initialSplit(cfg: MeterConfig): PeriodTotals {
    const wh = cfg.initialIndexWh ?? 0;
    if (!(Number.isInteger(wh) && wh >= 0)) throw new MeterSimError('SIM_BAD_CONFIG', `initialIndexWh ${wh} is not an integer ≥ 0`, { context: { serial: cfg.serial } });
    const units = Math.floor(wh / this.unitWh);
    if (!cfg.initialTariffWh) return defaultSplit(units);
    const s = cfg.initialTariffWh;
    if (s.normal + s.peak + s.offpeak !== wh) {
      throw new MeterSimError('SIM_BAD_CONFIG', `initialTariffWh adds up to ${s.normal + s.peak + s.offpeak} Wh, not initialIndexWh ${wh}`, { context: { serial: cfg.serial } });
    }
    const peak = Math.floor(s.peak / this.unitWh);
    const offpeak = Math.floor(s.offpeak / this.unitWh);
    return { normal: units - peak - offpeak, peak, offpeak };
  }

  private current(): State {
    const key = this.stateKey;
    if (this.state?.key === key) return this.state;
    const freeze: RateWindow[] = [];
    for (const kind of ['stuck', 'power-failure', 'burnt'] as const) {
      for (const f of this.faults.enabled(kind)) freeze.push({ from: f.from ?? -Infinity, until: f.until ?? Infinity, factor: 0 });
    }
    const spikes: RateWindow[] = this.faults
      .enabled('spike')
      .map((f) => ({ from: f.from ?? -Infinity, until: f.until ?? Infinity, factor: f.factor }));
    const profile = this.profile;
    const imported = new RegisteredEnergy((a, b) => profile.energyMwh(a, b), this.installedAt, [...freeze, ...spikes]);
    const solar = this.solar;
    const exported = solar ? new RegisteredEnergy((a, b) => solar.energyMwh(a, b), this.installedAt, freeze) : undefined;
    const pulses = new PulseAccounting((t) => imported.at(t), this.unitWh * 1000, this.calendar, this.installedAt);
    const epochs: Epoch[] = [{ from: -Infinity, base: this.initial, pulsesBefore: { normal: 0, peak: 0, offpeak: 0, total: 0 } }];
    const jumps = this.faults
      .enabled('backwards')
      .filter((f) => f.from! >= this.installedAt)
      .sort((a, b) => a.from! - b.from!);
    for (const f of jumps) {
      epochs.push({ from: f.from!, base: defaultSplit(Math.floor((f.toWh ?? 0) / this.unitWh)), pulsesBefore: pulses.at(f.from!) });
    }
    this.state = { key, imported, exported, pulses, epochs };
    return this.state;
  }

  private readAt(t: number): { registers: RegisterValues; byPeriod: PeriodTotals } {
    const st = this.current();
    const at = Math.max(t, this.installedAt);
    const p = st.pulses.at(at);
    let epoch = st.epochs[0]!;
    for (const e of st.epochs) if (e.from <= at) epoch = e;
    const byPeriod: PeriodTotals = {
      normal: epoch.base.normal + p.normal - epoch.pulsesBefore.normal,
      peak: epoch.base.peak + p.peak - epoch.pulsesBefore.peak,
      offpeak: epoch.base.offpeak + p.offpeak - epoch.pulsesBefore.offpeak,
    };
    const unitMwh = this.unitWh * 1000;
    const units = (mwh: number): number => (mwh - (mwh % unitMwh)) / unitMwh;
    const registers: RegisterValues = {
      importTotal: byPeriod.normal + byPeriod.peak + byPeriod.offpeak,
      T1: byPeriod[this.tariffMap.T1],
      T2: byPeriod[this.tariffMap.T2],
      T3: byPeriod[this.tariffMap.T3],
      exportTotal: st.exported ? units(st.exported.at(at)) : 0,
      reactiveImport: units(Math.floor(st.imported.at(at) * this.reactiveRatio)),
    };
    const roll = this.faults.activeAt('rollover', t);
    if (roll.length > 0) {
      const modulus = 10 ** Math.min(...roll.map((f) => f.digits));
      for (const k of Object.keys(registers) as (keyof RegisterValues)[]) registers[k] %= modulus;
      for (const k of PERIODS) byPeriod[k] %= modulus;
    }
    return { registers, byPeriod };
  }
}
