import { describe, expect, it } from 'vitest';
import { clockSyncSummary } from '../../../src/gateway/service/clock-sync.js';
import { readNowAnswer } from '../../../src/gateway/service/read-commands.js';
import { registerRecords } from '../../../src/gateway/service/records.js';
import type { MeterDefinition, MeterReadSuccess } from '../../../src/gateway/model.js';
import { ReadNowResultSchema } from '../../../src/wire/commands.js';
import { ReadRecordSchema } from '../../../src/wire/reads.js';

/** The pure parts of the commands' answers (the integration suite runs them through the whole service). */
const meter = {
  id: 'CT1',
  meteringPoint: 'PD01000001001',
  multiplier: '1',
  connection: { kind: 'tcp' },
} as unknown as MeterDefinition;
const T = Date.UTC(2024, 6, 31, 3, 0, 5);
const read: MeterReadSuccess = {
  ok: true,
  meterId: 'CT1',
  receivedAt: T + 400,
  meterTime: T,
  clockOffsetSeconds: 0.4,
  registers: [
    { obis: '1.0.1.8.0.255', bcs: 'KT', value: '12345.6', unit: 'kWh' },
    { obis: '1.0.1.8.1.255', bcs: 'BT', value: '8000.1', unit: 'kWh' },
  ],
  partialErrors: [],
};

describe('read-now answer', () => {
  it('flags the records reread (with ok, or with a doubting flag) and only when asked', () => {
    expect(registerRecords('GW1', meter, read, 60).map((r) => r.quality)).toEqual([['ok'], ['ok']]);
    const reread = registerRecords('GW1', meter, read, 60, { reread: true });
    expect(reread.map((r) => r.quality)).toEqual([['ok', 'reread'], ['ok', 'reread']]);
    for (const r of reread) expect(ReadRecordSchema.safeParse(r).success).toBe(true);
    const invalid = registerRecords('GW1', meter, { ...read, clockInvalid: true }, 60, { reread: true });
    expect(invalid[0]!.quality).toEqual(['clock-invalid', 'reread']);
    expect(ReadRecordSchema.safeParse(invalid[0]).success).toBe(true);
  });

  it('names the read ids of its records, in register order, and is a valid ReadNowResult', () => {
    const records = registerRecords('GW1', meter, read, 60, { reread: true });
    const other = registerRecords('GW1', { ...meter, id: 'CT2' } as MeterDefinition, { ...read, meterId: 'CT2' }, 60, { reread: true });
    const answer = readNowAnswer('CT1', read, [...other, ...records]);
    expect(ReadNowResultSchema.parse(answer)).toEqual(answer);
    expect(answer).toEqual({
      meterId: 'CT1',
      meterTime: '2024-07-31T03:00:05.000Z',
      registers: read.registers.map(({ obis, bcs, value, unit }) => ({ obis, bcs, value, unit })),
      readIds: ['GW1|CT1|1.0.1.8.0.255|register|2024-07-31T03:00:05.000Z', 'GW1|CT1|1.0.1.8.1.255|register|2024-07-31T03:00:05.000Z'],
    });
  });

  it('with a register list answers those registers and their read ids only', () => {
    const records = registerRecords('GW1', meter, read, 60, { reread: true });
    const answer = readNowAnswer('CT1', read, records, ['1.0.1.8.1.255']);
    expect(answer.registers).toEqual([{ obis: '1.0.1.8.1.255', bcs: 'BT', value: '8000.1', unit: 'kWh' }]);
    expect(answer.readIds).toEqual([records[1]!.readId]);
  });

  it('a meter without a time: meterTime null, and the read ids (stamped with the receive time) still say which reads', () => {
    const { meterTime: _, ...untimed } = read;
    const records = registerRecords('GW1', meter, untimed, 60, { reread: true });
    const answer = readNowAnswer('CT1', untimed, records);
    expect(answer.meterTime).toBeNull();
    expect(answer.readIds).toEqual(records.map((r) => r.readId));
    expect(answer.readIds![0]).toContain(new Date(T + 400).toISOString());
  });
});

describe('clock-sync summary', () => {
  it('rounds offsets to a tenth of a second and turns a failure into a line with its code', () => {
    const outcome = { ok: true as const, meterId: 'CT1', receivedAt: T, offsetSeconds: 61.26, uncertaintySeconds: 1.1, invalid: false, action: 'set' as const, limitSeconds: 120 };
    const failure = { ok: false as const, meterId: 'CT2', receivedAt: T, code: 'METER_NO_ANSWER', step: 'get', message: 'meter CT2 did not answer', retryable: true };
    expect(clockSyncSummary([outcome, { ...outcome, meterId: 'CT3', offsetSeconds: -3600.04, action: 'refused' }, failure])).toEqual([
      { meterId: 'CT1', action: 'set', offsetSeconds: 61.3 },
      { meterId: 'CT3', action: 'refused', offsetSeconds: -3600 },
      { meterId: 'CT2', action: 'failed', error: 'METER_NO_ANSWER: meter CT2 did not answer' },
    ]);
  });
});
