import type Database from 'better-sqlite3';
import { formatDecimal, mul, parseDecimal, type Decimal } from '../rules/decimal.js';
import type { CandidateRead } from './close-register.js';

/**
 * What the gateways sent that a book's cutoff needs, read from `reads` and `events` (schema v1). Indexes
 * are compared and billed in kWh (kvarh for VC): the gateway reports each value in its configured unit
 * with the scaler applied and the multiplier (HSN) not applied (src/wire/reads.ts), so only the unit
 * prefix is folded here, exactly.
 */

/** Reads whose value or time is in doubt never close a register: they are not a measured index at a known time. */
const DOUBTFUL = new Set(['estimated', 'partial']);

const KILO_UNITS: Readonly<Record<string, number>> = { Wh: -3, varh: -3, VAh: -3, kWh: 0, kvarh: 0, kVAh: 0, MWh: 3, Mvarh: 3 };

/** A register value in kWh (kvarh, kVAh), exact; undefined for a unit that is not an energy. A null unit is taken as kWh. */
export function toKiloUnits(value: string, unit: string | null): string | undefined {
  const shift = unit === null ? 0 : KILO_UNITS[unit];
  if (shift === undefined) return undefined;
  const d = parseDecimal(value, 'read value');
  if (shift >= 0) return formatDecimal(mul(d, { units: 10n ** BigInt(shift), scale: 0 }));
  // Wh → kWh moves the point; zeros the move added at the end carry no information (1234500 Wh is 1234.5 kWh).
  let scaled: Decimal = { units: d.units, scale: d.scale - shift };
  while (scaled.scale > d.scale && scaled.units % 10n === 0n) scaled = { units: scaled.units / 10n, scale: scaled.scale - 1 };
  return formatDecimal(scaled);
}

interface ReadDb {
  read_id: string;
  meter_id: string;
  value: string;
  unit: string | null;
  meter_time_ms: number;
  kind: 'billing-snapshot' | 'register';
  quality: string;
}

export interface CandidateQuery {
  readonly meteringPoint: string;
  readonly bcs: string;
  /** MA_CTO of the row: only this meter's reads close it. Null (CMIS left MA_CTO empty): any meter of the point. */
  readonly meterId: string | null;
  readonly from: number;
  readonly to: number;
}

export interface OpenAnomaly {
  readonly eventId: number;
  readonly gatewayId: string;
  readonly anomalyId: string;
  readonly code: string;
  readonly severity: string;
  readonly meterId: string | null;
  readonly meteringPoint: string;
  readonly at: string;
  /** The gateway's event as sent: evidence and thresholds included. */
  readonly body: Record<string, unknown>;
}

export class BookReads {
  private readonly sql;

  constructor(db: Database.Database) {
    this.sql = {
      candidates: db.prepare<[string, string, string | null, string | null, number, number], ReadDb>(
        `SELECT read_id, meter_id, value, unit, meter_time_ms, kind, quality FROM reads
         WHERE metering_point = ? AND bcs = ? AND (meter_id = ? OR ? IS NULL)
           AND kind IN ('billing-snapshot', 'register') AND meter_time_ms BETWEEN ? AND ?
         ORDER BY meter_time_ms, read_id`,
      ),
      // Every anomaly event of the points; the latest per anomaly id says whether it is still raised.
      anomalies: db.prepare<[string, number], { id: number; gateway_id: string; anomaly_id: string; code: string; severity: string; meter_id: string | null; metering_point: string; at: string; body: string; state: string }>(
        `SELECT id, gateway_id, anomaly_id, code, severity, meter_id, metering_point, at, body, state FROM events
         WHERE type = 'anomaly' AND anomaly_id IS NOT NULL AND metering_point IN (SELECT value FROM json_each(?)) AND stored_at <= ?
         ORDER BY id`,
      ),
      hasRead: db.prepare<[string, string, string | null, string | null, number, number, number, number], { found: number }>(
        `SELECT EXISTS (SELECT 1 FROM reads WHERE metering_point = ? AND bcs = ? AND (meter_id = ? OR ? IS NULL)
           AND kind IN ('billing-snapshot', 'register') AND (meter_time_ms BETWEEN ? AND ? OR meter_time_ms BETWEEN ? AND ?)) AS found`,
      ),
    };
  }

  /** The reads that may close a register: its meter's snapshots and register reads in [from, to], in kWh. */
  candidates(q: CandidateQuery): CandidateRead[] {
    const out: CandidateRead[] = [];
    for (const r of this.sql.candidates.all(q.meteringPoint, q.bcs, q.meterId, q.meterId, q.from, q.to)) {
      if (r.quality.split(',').some((f) => DOUBTFUL.has(f))) continue;
      const value = toKiloUnits(r.value, r.unit);
      if (value === undefined) continue;
      out.push({ value, meterTime: r.meter_time_ms, kind: r.kind, readId: r.read_id });
    }
    return out;
  }

  /**
   * Anomalies the gateways raised for these points and neither cleared nor had decided by an operator (the
   * latest event of the anomaly id is a `raised` one still open in `events`), stored up to `now`.
   */
  openAnomalies(points: readonly string[], now: number): OpenAnomaly[] {
    const latest = new Map<string, ReturnType<typeof this.sql.anomalies.all>[number]>();
    for (const e of this.sql.anomalies.all(JSON.stringify(points), now)) latest.set(`${e.gateway_id}\u0000${e.anomaly_id}`, e);
    const out: OpenAnomaly[] = [];
    for (const e of latest.values()) {
      const body = JSON.parse(e.body) as Record<string, unknown>;
      if (body.state !== 'raised' || e.state !== 'open') continue;
      out.push({ eventId: e.id, gatewayId: e.gateway_id, anomalyId: e.anomaly_id, code: e.code, severity: e.severity, meterId: e.meter_id, meteringPoint: e.metering_point, at: e.at, body });
    }
    return out;
  }

  /** Whether the register has a read of its meter in either window (the progress of an open book). */
  hasRead(q: Omit<CandidateQuery, 'from' | 'to'>, windows: readonly [readonly [number, number], readonly [number, number]]): boolean {
    const [[a, b], [c, d]] = windows;
    return this.sql.hasRead.get(q.meteringPoint, q.bcs, q.meterId, q.meterId, a, b, c, d)?.found === 1;
  }
}
