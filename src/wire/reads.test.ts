import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from './codec.js';
import { isWireError } from './errors.js';
import { makeReadId, ReadRecordSchema } from './reads.js';
import { sampleRead } from './test-helpers.js';

describe('makeReadId', () => {
  it('joins gateway, meter, OBIS, kind and the meter time in UTC', () => {
    expect(
      makeReadId({ gatewayId: 'GW1', meterId: 'MTR-1', obis: '1.0.1.8.0.255', kind: 'register', meterTime: '2024-08-01T00:00:00+07:00' }),
    ).toBe('GW1|MTR-1|1.0.1.8.0.255|register|2024-07-31T17:00:00.000Z');
  });

  it('is stable across offset spellings of one instant', () => {
    const parts = { gatewayId: 'GW1', meterId: 'M', obis: '1.0.1.8.0.255', kind: 'register' } as const;
    const a = makeReadId({ ...parts, meterTime: '2024-08-01T00:00:00+07:00' });
    expect(makeReadId({ ...parts, meterTime: '2024-07-31T17:00:00Z' })).toBe(a);
    expect(makeReadId({ ...parts, meterTime: '2024-07-31T17:00:00.000Z' })).toBe(a);
  });

  it('separates a register read from the billing snapshot of the same register at the same time', () => {
    const parts = { gatewayId: 'GW1', meterId: 'M', obis: '1.0.1.8.0.255', meterTime: '2024-08-01T00:00:00+07:00' };
    expect(makeReadId({ ...parts, kind: 'register' })).not.toBe(makeReadId({ ...parts, kind: 'billing-snapshot' }));
  });

  it('refuses parts that could break the key', () => {
    const ok = { gatewayId: 'GW1', meterId: 'M', obis: '1.0.1.8.0.255', kind: 'register', meterTime: '2024-08-01T00:00:00+07:00' } as const;
    for (const bad of [{ meterId: 'M|1' }, { gatewayId: 'G|W' }, { meterTime: '2024-08-01T00:00:00' }, { obis: '1.8.0' }]) {
      let err: unknown;
      try {
        makeReadId({ ...ok, ...bad });
      } catch (e) {
        err = e;
      }
      expect(isWireError(err, 'WIRE_MALFORMED'), JSON.stringify(bad)).toBe(true);
    }
  });
});

describe('ReadRecordSchema', () => {
  it('round-trips a full record and a minimal one through bytes', () => {
    const full = sampleRead('GW1');
    expect(decodeMessage(ReadRecordSchema, encodeMessage(ReadRecordSchema, full, 'read'), 'read')).toEqual(full);
    const { customerCode, bookCode, routeOrder, scaler, periodStart, periodEnd, ...minimal } = full;
    void [customerCode, bookCode, routeOrder, scaler, periodStart, periodEnd];
    const m = { ...minimal, bcs: null, unit: null, kind: 'event' as const, value: '17', quality: ['status-warning' as const] };
    expect(decodeMessage(ReadRecordSchema, encodeMessage(ReadRecordSchema, m, 'read'), 'read')).toEqual(m);
  });

  it('accepts exact decimals and refuses floats and other spellings', () => {
    for (const value of ['0', '123456.8', '-0.25', '000'.slice(2), '99999999.000']) {
      expect(ReadRecordSchema.safeParse({ ...sampleRead('GW1'), value }).success, value).toBe(true);
    }
    for (const value of ['', '01', '1.', '.5', '+1', '1e3', '1,5', ' 1', 'NaN', '1'.repeat(41)]) {
      expect(ReadRecordSchema.safeParse({ ...sampleRead('GW1'), value }).success, value).toBe(false);
    }
  });

  it('accepts combinations of informational flags with ok, refuses doubt flags with ok and duplicates', () => {
    const ok = (quality: string[]) => ReadRecordSchema.safeParse({ ...sampleRead('GW1'), quality }).success;
    expect(ok(['ok', 'billing-snapshot'])).toBe(true);
    expect(ok(['ok', 'reread'])).toBe(true);
    expect(ok(['clock-drift', 'estimated'])).toBe(true);
    expect(ok(['ok', 'clock-invalid'])).toBe(false);
    expect(ok(['ok', 'ok'])).toBe(false);
    expect(ok([])).toBe(false);
  });

  it('keeps HSN as an exact positive decimal', () => {
    const ok = (multiplier: string) => ReadRecordSchema.safeParse({ ...sampleRead('GW1'), multiplier }).success;
    expect(ok('40')).toBe(true);
    expect(ok('0.5')).toBe(true);
    expect(ok('0')).toBe(false);
    expect(ok('0.000')).toBe(false);
    expect(ok('-40')).toBe(false);
  });
});
