import { ATTRIBUTE_ACCESS, METHOD_ACCESS, type ObjectListEntry } from '../../src/dlms/cosem/association.js';
import { CLASS_ID } from '../../src/dlms/cosem/classes.js';
import { parseObis, type Obis } from '../../src/dlms/cosem/obis.js';
import { UNIT } from '../../src/dlms/cosem/units.js';
import { PROFILE_STATUS } from './load-profile.js';
import { MS_PER_MINUTE, localMonthStart, localParts } from './local-time.js';
import type { SimulatedMeter } from './meter-model.js';
import { type AccessLevel, type AttributeDef, allows } from './object-table.js';
import { type RateWindow, RegisteredEnergy } from './registered-energy.js';

/**
 * Demand on the simulated meter: a Demand Register (class 5, IEC 62056-6-2 §4.3.4) for the current
 * average active import power, and an Extended Register (class 4, §4.3.3) for this billing month's
 * maximum demand. Both come from the energy the metering element registered (the consumption profile
 * bent by the counting faults: nothing while stuck, burnt or without supply, k× during a spike), in
 * integer mWh, so they agree with the energy registers to the milliwatt-hour.
 *
 * - Demand periods are `DEMAND_PERIOD_S` long and aligned on the meter's own clock (local time), as
 *   the load profile is; number_of_periods is 1 (block demand, no sliding window).
 * - current_average_value = energy since start_time_current ÷ period (the standard divides by the whole
 *   period, not the elapsed part, so it rises through the period); last_average_value = energy of the
 *   last complete period ÷ period; capture_time = the end of that period = start_time_current.
 * - Maximum demand = the largest last_average_value among the periods that ended in the current billing
 *   month (meter clock, local 1st 00:00 up to start_time_current); the earliest wins a tie; its
 *   capture_time is the end of that period. Before any period with energy, value 0 and capture_time
 *   "not specified".
 * - Values are in W with scaler −1 (0.1 W), truncated: mWh × 3600 / (1000 × period_s × 0.1) =
 *   ⌊mWh × 36 / period_s⌋, integer arithmetic only.
 * - status (both classes, unsigned) uses the load-profile status bits: clockInvalid while the clock's
 *   status says invalid (then the capture times cannot be trusted), else 0.
 */

export const DEMAND_PERIOD_S = 900;
export const DEMAND_SCALER = -1;
export const DEMAND_UNIT = UNIT.W;

/** Current average demand, active import (Demand Register). */
export const DEMAND_OBIS = parseObis('1.0.1.4.0.255');
/** Maximum demand, active import, current billing period (Extended Register). */
export const MAX_DEMAND_OBIS = parseObis('1.0.1.6.0.255');

export type DemandRole = 'demand' | 'max-demand';

/** Same shape as an object-table entry; kept here because the table's role union is not ours. */
export interface DemandObjectDef {
  classId: number;
  version: number;
  obis: Obis;
  role: DemandRole;
  attributes: AttributeDef[];
  methods: { id: number; level: AccessLevel }[];
}

const readable = (ids: number[]): AttributeDef[] => ids.map((id) => ({ id, read: id === 1 ? 'public' : 'reading' }));

/** Readable by a reading client like the energy registers; reset/next_period are not offered. */
export const DEMAND_OBJECTS: readonly DemandObjectDef[] = [
  { classId: CLASS_ID.extendedRegister, version: 0, obis: MAX_DEMAND_OBIS, role: 'max-demand', attributes: readable([1, 2, 3, 4, 5]), methods: [] },
  { classId: CLASS_ID.demandRegister, version: 0, obis: DEMAND_OBIS, role: 'demand', attributes: readable([1, 2, 3, 4, 5, 6, 7, 8, 9]), methods: [] },
];

export function findDemandObject(obis: string): DemandObjectDef | undefined {
  return DEMAND_OBJECTS.find((d) => d.obis === obis);
}

/** object_list entries of the demand objects as a client at `level` sees them (same rule as the table). */
export function demandObjectListFor(level: AccessLevel): ObjectListEntry[] {
  return DEMAND_OBJECTS.map((d) => ({
    classId: d.classId,
    version: d.version,
    obis: d.obis,
    accessRights: {
      attributes: d.attributes.map((a) => {
        const r = a.read !== undefined && allows(level, a.read);
        const w = a.write !== undefined && allows(level, a.write);
        const access = r && w ? ATTRIBUTE_ACCESS.readAndWrite : r ? ATTRIBUTE_ACCESS.readOnly : w ? ATTRIBUTE_ACCESS.writeOnly : ATTRIBUTE_ACCESS.noAccess;
        return { id: a.id, access, selectors: undefined };
      }),
      methods: d.methods.map((m) => ({ id: m.id, access: allows(level, m.level) ? METHOD_ACCESS.access : METHOD_ACCESS.noAccess })),
    },
  }));
}

/** Average power over `periodS` of `mwh`, in 0.1 W, truncated. */
export function demandUnits(mwh: number, periodS: number = DEMAND_PERIOD_S): number {
  return Math.floor((mwh * 36) / periodS);
}

export interface DemandState {
  /** 0.1 W */
  currentAverage: number;
  /** 0.1 W */
  lastAverage: number;
  /** Meter clock, ms: start of the running period (also the capture time of lastAverage). */
  startTimeCurrent: number;
  status: number;
}

export interface MaxDemandState {
  /** 0.1 W */
  value: number;
  /** Meter clock, ms: end of the maximum period; undefined while there is none. */
  captureTime: number | undefined;
  status: number;
}

interface MonthScan {
  key: string;
  /** End (meter clock) of the last period scanned. */
  scannedTo: number;
  value: number;
  captureTime: number | undefined;
}

export class DemandModel {
  private energyKey = '';
  private energy: RegisteredEnergy | undefined;
  private scan: MonthScan | undefined;

  constructor(
    private readonly meter: SimulatedMeter,
    readonly periodS: number = DEMAND_PERIOD_S,
  ) {}

  at(t: number): DemandState {
    const start = this.periodStart(this.meter.clockAt(t));
    const startAt = this.meter.clock.captureInstant(start);
    return {
      currentAverage: demandUnits(this.mwh(startAt, t), this.periodS),
      lastAverage: this.periodDemand(start),
      startTimeCurrent: start,
      status: this.status(t),
    };
  }

  maxAt(t: number): MaxDemandState {
    const m = this.meter;
    const clock = m.clockAt(t);
    const p = localParts(clock, m.utcOffsetMinutes);
    const monthStart = localMonthStart(p.year, p.month, m.utcOffsetMinutes);
    const lastEnd = this.periodStart(clock);
    const key = `${m.stateKey}:${monthStart}`;
    if (this.scan?.key !== key || lastEnd < this.scan.scannedTo) {
      this.scan = { key, scannedTo: monthStart, value: 0, captureTime: undefined };
    }
    const s = this.scan;
    const periodMs = this.periodS * 1000;
    for (let end = s.scannedTo + periodMs; end <= lastEnd; end += periodMs) {
      const v = this.periodDemand(end);
      if (v > s.value) {
        s.value = v;
        s.captureTime = end;
      }
      s.scannedTo = end;
    }
    return { value: s.value, captureTime: s.captureTime, status: this.status(t) };
  }

  /** Demand (0.1 W) of the period that ends at meter time `end`. */
  private periodDemand(end: number): number {
    const c = this.meter.clock;
    return demandUnits(this.mwh(c.captureInstant(end - this.periodS * 1000), c.captureInstant(end)), this.periodS);
  }

  private periodStart(clock: number): number {
    const periodMs = this.periodS * 1000;
    const off = this.meter.utcOffsetMinutes * MS_PER_MINUTE;
    return Math.floor((clock + off) / periodMs) * periodMs - off;
  }

  private status(t: number): number {
    return this.meter.clockStatusAt(t) & 0x01 ? PROFILE_STATUS.clockInvalid : 0;
  }

  /** Registered import energy over [a, b), mWh. */
  private mwh(a: number, b: number): number {
    return b > a ? Math.max(0, this.registered().at(b) - this.registered().at(a)) : 0;
  }

  /**
   * The import energy the metering element registered, with the same rate windows as the energy
   * registers use (meter-model.ts): freezes (stuck, burnt, power failure) count 0, spikes count k×.
   */
  private registered(): RegisteredEnergy {
    const m = this.meter;
    if (this.energy && this.energyKey === m.stateKey) return this.energy;
    const windows: RateWindow[] = [];
    for (const kind of ['stuck', 'power-failure', 'burnt'] as const) {
      for (const f of m.faults.enabled(kind)) windows.push({ from: f.from ?? -Infinity, until: f.until ?? Infinity, factor: 0 });
    }
    for (const f of m.faults.enabled('spike')) windows.push({ from: f.from ?? -Infinity, until: f.until ?? Infinity, factor: f.factor });
    const profile = m.profile;
    this.energy = new RegisteredEnergy((a, b) => profile.energyMwh(a, b), m.installedAt, windows);
    this.energyKey = m.stateKey;
    return this.energy;
  }
}
