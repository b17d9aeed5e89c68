import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Bcs } from '../../src/wire/reads.js';
import type { SimulatedMeter } from '../meter/meter-model.js';
import { FleetError } from './errors.js';
import { addMonths, isoLocal, monthOf, parsePeriodLabel, periodEnd, periodLabel, type YearMonth } from './fleet-time.js';
import { formatKwh } from './kwh.js';
import type { PlannedFault } from './fault-plan.js';
import type { FleetPlan, PlannedMeter } from './layout.js';

/**
 * The ground truth of a fleet: who every meter is, where it is served, which faults it has (exact windows
 * and the codes the system should raise), and its true register values at any instant — computed by the
 * same meter models that answer on the wire, so a read equals the truth by construction and the
 * end-to-end test can compare the system's output against it.
 */

export const TRUTH_BCS = ['KT', 'BT', 'CD', 'TD', 'VC'] as const satisfies readonly Bcs[];
export type TruthBcs = (typeof TRUTH_BCS)[number];

/** Register values in kWh (kvarh for VC) as exact decimal strings; `export` is the export register. */
export type RegisterTruth = Record<TruthBcs, string> & { export: string };

export interface ValuesAt {
  at: string;
  values: RegisterTruth;
  /** Whether the meter answers at that instant. */
  silent: boolean;
  /** The meter's status word (tamper, reverse flow, clock invalid… bits). */
  status: number;
}

export interface PeriodEndTruth {
  /** "2025-06" when asked by period. */
  period?: string;
  /** The period end instant. */
  at: string;
  values: RegisterTruth;
  /** The meter's own billing snapshot for that instant (month-end reading only: local 00:00 on the 1st). */
  snapshot?: { capturedAt: string; values: RegisterTruth };
}

/** Where a meter is served, once the fleet runs. */
export type MeterConnectionTruth =
  | { kind: 'bus'; bus: string; device?: string; baud: number; hdlc: { logical: number; physical: number; size: 4 } }
  | { kind: 'tcp'; host: string; port?: number; wrapper: true; wPort: number }
  | { kind: 'tcp'; host: string; port?: number; wrapper: false; hdlc: { logical: number; physical: number; size: 4 } };

/** What the running fleet adds to the plan: devices and ports. */
export interface RuntimeAddresses {
  devices: Map<string, string>; // "gateway/bus" → pty path
  ports: Map<string, number>; // gateway → TCP port
}

export interface FaultTruth {
  kind: PlannedFault['kind'];
  from: string | null;
  until: string | null;
  params: Record<string, number | string>;
  expected: PlannedFault['expected'];
  notExpected: PlannedFault['notExpected'];
  bus?: string;
}

export interface MeterTruthRecord {
  id: string;
  serial: string;
  meteringPoint: string;
  customerCode: string;
  customerName: string;
  bookCode: string;
  routeOrder: number;
  gateway: string;
  connection: MeterConnectionTruth;
  authentication: { clientSap: 17; password: string };
  model: string;
  scalerWh: number;
  multiplier: number;
  profile: string;
  registers: PlannedMeter['model']['registers'];
  installedAt: string;
  removedAt?: string;
  replaces?: string;
  replacedBy?: string;
  faults: FaultTruth[];
  periodEnds: PeriodEndTruth[];
}

export interface GroundTruthFile {
  version: 1;
  seed: number;
  start: string;
  speed: number;
  unitCode: string;
  readingDay: 'last' | number;
  tou: FleetPlan['config']['tou'];
  gateways: {
    id: string;
    buses: { id: string; device?: string; baud: number; meters: string[] }[];
    tcp?: { host: string; port?: number; wrapper: boolean; meters: string[] };
  }[];
  meters: MeterTruthRecord[];
}

const iso = (t: number | undefined): string | null => (t === undefined ? null : isoLocal(t));

export class GroundTruth {
  private readonly byId: Map<string, PlannedMeter>;

  constructor(
    readonly plan: FleetPlan,
    private readonly meters: ReadonlyMap<string, SimulatedMeter>,
    private readonly runtime: RuntimeAddresses = { devices: new Map(), ports: new Map() },
  ) {
    this.byId = new Map(plan.meters.map((m) => [m.id, m]));
  }

  meterIds(): string[] {
    return this.plan.meters.map((m) => m.id);
  }

  planned(id: string): PlannedMeter {
    const m = this.byId.get(id);
    if (!m) throw new FleetError('FLEET_UNKNOWN_METER', `no meter "${id}" in the fleet`, { context: { meterId: id } });
    return m;
  }

  simulated(id: string): SimulatedMeter {
    this.planned(id);
    return this.meters.get(id)!;
  }

  /** The meters of a metering point, oldest first (two around an announced swap). */
  metersOfPoint(meteringPoint: string): PlannedMeter[] {
    return this.plan.meters.filter((m) => m.meteringPoint === meteringPoint).sort((a, b) => a.installedAt - b.installedAt);
  }

  /** Register values in Wh of one meter at t, per BCS (and export). */
  whAt(id: string, t: number): Record<TruthBcs | 'export', number> {
    const tr = this.simulated(id).truthAt(t);
    const u = tr.unitWh;
    return {
      KT: tr.registers.importTotal * u,
      BT: tr.byPeriod.normal * u,
      CD: tr.byPeriod.peak * u,
      TD: tr.byPeriod.offpeak * u,
      VC: tr.registers.reactiveImport * u,
      export: tr.registers.exportTotal * u,
    };
  }

  valuesAt(id: string, t: number): ValuesAt {
    const meter = this.simulated(id);
    return { at: isoLocal(t), values: toKwh(this.whAt(id, t)), silent: meter.faults.isSilent(t), status: meter.statusAt(t) };
  }

  /** Whether the meter gives no answer at t (silent, cut bus, off-slot, burnt, removed, not yet installed). */
  isOfflineAt(id: string, t: number): boolean {
    return this.simulated(id).faults.isSilent(t);
  }

  /**
   * True values at a period end: `monthEnd` is the instant, or a period "YYYY-MM" (its end follows the
   * reading day). For month-end reading the meter's own billing snapshot is given too; it differs from
   * the instant's values only on a meter whose clock is off.
   */
  truthAtPeriodEnd(id: string, monthEnd: number | string): PeriodEndTruth {
    let at: number;
    let period: string | undefined;
    if (typeof monthEnd === 'string') {
      const ym = parsePeriodLabel(monthEnd);
      if (!ym) throw new FleetError('FLEET_BAD_PERIOD', `"${monthEnd}" is not a period YYYY-MM`);
      at = periodEnd(ym, this.plan.config.books.readingDay);
      period = monthEnd;
    } else {
      at = monthEnd;
    }
    const out: PeriodEndTruth = { ...(period ? { period } : {}), at: isoLocal(at), values: toKwh(this.whAt(id, at)) };
    const ym = monthOf(at - 1);
    if (at === periodEnd(ym, 'last')) {
      const snap = this.simulated(id).billingSnapshotAt(at);
      out.snapshot = { capturedAt: isoLocal(snap.capturedAt), values: toKwh(this.whAt(id, snap.capturedAt)) };
    }
    return out;
  }

  /**
   * Energy one meter registered on a register over (from, to], in Wh: the index difference, made whole
   * across an unannounced jump back (counted on each side) and a rollover (the wrap added back), and
   * limited to the meter's time on the line.
   */
  meterConsumptionWh(id: string, bcs: TruthBcs, from: number, to: number): number {
    const m = this.planned(id);
    const a = Math.max(from, m.installedAt);
    const b = Math.min(to, m.removedAt ?? Infinity);
    if (!(b > a)) return 0;
    const jumps = m.faults
      .filter((f) => f.kind === 'backwards' && f.from !== undefined && f.from > a && f.from <= b)
      .map((f) => f.from!)
      .sort((x, y) => x - y);
    const rollover = m.faults.find((f) => f.kind === 'rollover');
    const modulusWh = rollover ? 10 ** ((rollover.params.digits as number) + 3) : undefined;
    const edges = [a, ...jumps, b];
    let total = 0;
    for (let i = 0; i + 1 < edges.length; i++) {
      const end = i + 2 < edges.length ? edges[i + 1]! - 1 : edges[i + 1]!;
      let d = this.whAt(id, end)[bcs] - this.whAt(id, edges[i]!)[bcs];
      if (d < 0 && modulusWh !== undefined) d += modulusWh;
      total += d;
    }
    return total;
  }

  /** Consumption of a metering point (all its meters, each × its HSN) over (from, to], in Wh. */
  pointConsumptionWh(meteringPoint: string, bcs: TruthBcs, from: number, to: number): number {
    return this.metersOfPoint(meteringPoint).reduce((sum, m) => sum + this.meterConsumptionWh(m.id, bcs, from, to) * m.multiplier, 0);
  }

  connectionOf(m: PlannedMeter): MeterConnectionTruth {
    const p = m.place;
    const hdlc = { logical: 1, physical: 16 + p.slot, size: 4 as const };
    if (p.kind === 'bus') {
      const bus = this.plan.gateways.find((g) => g.id === p.gateway)!.buses.find((b) => b.id === p.bus)!;
      const device = this.runtime.devices.get(`${p.gateway}/${p.bus}`);
      return { kind: 'bus', bus: p.bus, ...(device ? { device } : {}), baud: bus.baud, hdlc };
    }
    const tcp = this.plan.gateways.find((g) => g.id === p.gateway)!.tcp!;
    const port = this.runtime.ports.get(p.gateway);
    const base = { kind: 'tcp' as const, host: tcp.host, ...(port === undefined ? {} : { port }) };
    return tcp.wrapper ? { ...base, wrapper: true, wPort: p.slot } : { ...base, wrapper: false, hdlc };
  }

  /** Period ends written into the file: the one before start, then `months` more. */
  private periodsAround(months: number): YearMonth[] {
    const rd = this.plan.config.books.readingDay;
    let first = monthOf(this.plan.start);
    while (periodEnd(first, rd) > this.plan.start) first = addMonths(first, -1);
    return Array.from({ length: months + 1 }, (_, k) => addMonths(first, k));
  }

  /** Everything about one meter but its values: identity, place, model, lifetime and faults. */
  toMeterIdentity(m: PlannedMeter): Omit<MeterTruthRecord, 'periodEnds'> {
    return {
      id: m.id,
      serial: m.serial,
      meteringPoint: m.meteringPoint,
      customerCode: m.customerCode,
      customerName: m.customerName,
      bookCode: m.bookCode,
      routeOrder: m.routeOrder,
      gateway: m.place.gateway,
      connection: this.connectionOf(m),
      authentication: { clientSap: 17, password: this.plan.config.password },
      model: m.model.name,
      scalerWh: m.model.scalerWh,
      multiplier: m.multiplier,
      profile: m.profile,
      registers: m.model.registers,
      installedAt: isoLocal(m.installedAt),
      ...(m.removedAt === undefined ? {} : { removedAt: isoLocal(m.removedAt) }),
      ...(m.replaces === undefined ? {} : { replaces: m.replaces }),
      ...(m.replacedBy === undefined ? {} : { replacedBy: m.replacedBy }),
      faults: m.faults.map((f) => ({
        kind: f.kind,
        from: iso(f.from),
        until: iso(f.until),
        params: f.params,
        expected: f.expected,
        notExpected: f.notExpected,
        ...(f.bus ? { bus: f.bus } : {}),
      })),
    };
  }

  toJSON(options: { months?: number } = {}): GroundTruthFile {
    const c = this.plan.config;
    const periods = this.periodsAround(options.months ?? 2);
    return {
      version: 1,
      seed: c.seed,
      start: isoLocal(this.plan.start),
      speed: c.speed,
      unitCode: c.unitCode,
      readingDay: c.books.readingDay,
      tou: c.tou,
      gateways: this.plan.gateways.map((g) => ({
        id: g.id,
        buses: g.buses.map((b) => {
          const device = this.runtime.devices.get(`${g.id}/${b.id}`);
          return { id: b.id, ...(device ? { device } : {}), baud: b.baud, meters: [...b.meterIds] };
        }),
        ...(g.tcp
          ? { tcp: { host: g.tcp.host, ...(this.runtime.ports.has(g.id) ? { port: this.runtime.ports.get(g.id)! } : {}), wrapper: g.tcp.wrapper, meters: [...g.tcp.meterIds] } }
          : {}),
      })),
      meters: this.plan.meters.map((m) => ({
        ...this.toMeterIdentity(m),
        periodEnds: periods.map((ym) => this.truthAtPeriodEnd(m.id, periodLabel(ym))),
      })),
    };
  }

  /** Writes the truth as JSON (creating the folder). */
  writeGroundTruth(path: string, options: { months?: number } = {}): void {
    writeGroundTruth(this, path, options);
  }
}

export function toKwh(wh: Record<TruthBcs | 'export', number>): RegisterTruth {
  return { KT: formatKwh(wh.KT), BT: formatKwh(wh.BT), CD: formatKwh(wh.CD), TD: formatKwh(wh.TD), VC: formatKwh(wh.VC), export: formatKwh(wh.export) };
}

export function writeGroundTruth(truth: GroundTruth, path: string, options: { months?: number } = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(truth.toJSON(options), null, 2) + '\n');
}
