/**
 * Meters, reads and histories for this folder's tests (and the gateway's integration tests). Pure data.
 */
import { GatewayEventSchema } from '../../wire/events.js';
import type { RegisterRead } from '../../store/read-history.js';
import type { MeterDefinition, MeterReadFailure, MeterReadSuccess, RegisterValue } from '../model.js';
import { localMidnight, MS_PER_HOUR } from './local-time.js';

export function testMeter(overrides: Partial<MeterDefinition> = {}): MeterDefinition {
  return {
    id: 'MTR-20451',
    serial: 'SN20451',
    meteringPoint: 'PD01000123456001',
    customerCode: 'PD01000123456',
    bookCode: 'D018328',
    routeOrder: 12,
    connection: { kind: 'bus', bus: 'rs485-1', server: { logical: 1, physical: 17, size: 2 } },
    authentication: { clientSap: 17, password: '12345678' },
    model: 'sim-3phase',
    registers: [
      { obis: '1.0.1.8.0.255', classId: 3, bcs: 'KT', unit: 'kWh' },
      { obis: '1.0.1.8.1.255', classId: 3, bcs: 'BT', unit: 'kWh' },
      { obis: '1.0.1.8.2.255', classId: 3, bcs: 'CD', unit: 'kWh' },
      { obis: '1.0.1.8.3.255', classId: 3, bcs: 'TD', unit: 'kWh' },
      { obis: '1.0.2.8.0.255', classId: 3, bcs: null, unit: 'kWh' },
    ],
    multiplier: '1',
    importOnly: true,
    withList: 'auto',
    maxListItems: 10,
    ...overrides,
  };
}

/** Local Vietnamese wall time → ms. */
export function vn(year: number, month: number, day: number, hour = 0, minute = 0): number {
  return localMidnight(year, month, day) + hour * MS_PER_HOUR + minute * 60_000;
}

export function kwh(obis: string, value: string, bcs: RegisterValue['bcs'] = null): RegisterValue {
  return { obis, bcs, value, unit: 'kWh' };
}

export function goodRead(meterId: string, at: number, registers: RegisterValue[], extra: Partial<MeterReadSuccess> = {}): MeterReadSuccess {
  return { ok: true, meterId, receivedAt: at, meterTime: at, clockOffsetSeconds: 0, registers, partialErrors: [], ...extra };
}

export function failedRead(meterId: string, at: number, code = 'METER_NO_ANSWER'): MeterReadFailure {
  return { ok: false, meterId, receivedAt: at, code, step: 'associate', message: `${code} from ${meterId}`, retryable: true };
}

export function historyOf(meterId: string, register: string, points: readonly (readonly [number, string])[]): RegisterRead[] {
  return points.map(([at, value]) => ({ meterId, register, value, unit: 'kWh', meterTime: at, receivedAt: at }));
}

/** Parses with the wire's union schema: throws (with zod's issues) if an event would be refused. */
export function assertWireEvent(event: unknown): void {
  const r = GatewayEventSchema.safeParse(event);
  if (!r.success) throw new Error(`not a valid wire event: ${JSON.stringify(r.error.issues)}\n${JSON.stringify(event)}`);
}
