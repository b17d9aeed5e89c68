import { makeReadId, type QualityFlag, type ReadKind, type ReadRecord } from '../../wire/reads.js';
import type { MeterDefinition, MeterReadSuccess, RegisterValue } from '../model.js';

const VN_OFFSET_MS = 7 * 3_600_000;

/** The billing month (local time) an instant falls in, as ISO dates: the period a read belongs to. */
export function monthPeriodOf(t: number): { periodStart: string; periodEnd: string } {
  const local = new Date(t + VN_OFFSET_MS);
  const y = local.getUTCFullYear();
  const m = local.getUTCMonth();
  const first = new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
  const last = new Date(Date.UTC(y, m + 1, 0)).toISOString().slice(0, 10);
  return { periodStart: first, periodEnd: last };
}

/** Month-end register reads are billing evidence: they must never be evicted from the outbox. */
export function isBillingRelevant(kind: ReadKind, meterTime: number): boolean {
  if (kind === 'billing-snapshot') return true;
  const local = new Date(meterTime + VN_OFFSET_MS);
  const nextDay = new Date(local.getTime() + 86_400_000);
  // The last day of the month and the first of the next: the reads nearest the period end.
  return local.getUTCDate() === 1 || nextDay.getUTCDate() === 1;
}

function record(
  gatewayId: string,
  meter: MeterDefinition,
  register: RegisterValue,
  meterTime: number,
  receivedAt: number,
  kind: ReadKind,
  quality: QualityFlag[],
  period: { periodStart: string; periodEnd: string },
): ReadRecord {
  const meterIso = new Date(meterTime).toISOString();
  return {
    readId: makeReadId({ gatewayId, meterId: meter.id, obis: register.obis, kind, meterTime: meterIso }),
    meterId: meter.id,
    meteringPoint: meter.meteringPoint,
    ...(meter.customerCode ? { customerCode: meter.customerCode } : {}),
    ...(meter.bookCode ? { bookCode: meter.bookCode } : {}),
    ...(meter.routeOrder !== undefined ? { routeOrder: meter.routeOrder } : {}),
    obis: register.obis,
    bcs: register.bcs,
    value: register.value,
    unit: register.unit,
    ...(register.scaler !== undefined ? { scaler: register.scaler } : {}),
    meterTime: meterIso,
    receivedAt: new Date(receivedAt).toISOString(),
    quality,
    kind,
    ...period,
    multiplier: meter.multiplier,
  };
}

/**
 * One successful poll → one wire record per register. The meter's clock stamps the read unless it is
 * invalid, in which case the gateway's receive time does and the record says so. `reread`: the read was
 * asked for by central (read-now), and the record says so too (src/wire/README.md, commands).
 */
export function registerRecords(gatewayId: string, meter: MeterDefinition, read: MeterReadSuccess, clockDriftSeconds: number, options: { reread?: boolean } = {}): ReadRecord[] {
  const clockOk = read.meterTime !== undefined && !read.clockInvalid;
  const meterTime = clockOk ? read.meterTime! : read.receivedAt;
  const quality: QualityFlag[] = [];
  if (!clockOk) quality.push('clock-invalid');
  else if (read.clockOffsetSeconds !== undefined && Math.abs(read.clockOffsetSeconds) > clockDriftSeconds) quality.push('clock-drift');
  if (quality.length === 0) quality.push('ok');
  if (options.reread) quality.push('reread');
  const period = monthPeriodOf(meterTime);
  return read.registers.map((r) => record(gatewayId, meter, r, meterTime, read.receivedAt, 'register', quality, period));
}

/** The meter's own month-end snapshot → billing-snapshot records of the month that just ended. */
export function snapshotRecords(
  gatewayId: string,
  meter: MeterDefinition,
  snapshot: { meterTime: number; monthStart: number; receivedAt: number; clockInvalid: boolean; registers: RegisterValue[] },
): ReadRecord[] {
  const quality: QualityFlag[] = snapshot.clockInvalid ? ['billing-snapshot', 'clock-invalid'] : ['ok', 'billing-snapshot'];
  // The snapshot at 00:00 on the 1st closes the month before it.
  const period = monthPeriodOf(snapshot.monthStart - 1);
  return snapshot.registers.map((r) => record(gatewayId, meter, r, snapshot.meterTime, snapshot.receivedAt, 'billing-snapshot', quality, period));
}
