import { describe, expect, it } from 'vitest';
import { compareReads, type ReadToCompare } from '../../../src/aggregator/reverify/index.js';

const H = 3_600_000;
const read = (value: string, meterTimeMs: number, unit: string | null = 'kWh'): ReadToCompare => ({ readId: `r${value}`, value, unit, meterTimeMs });
const opts = { maxKwhPerHour: '70' };

describe('compareReads: the phúc tra verdict', () => {
  it('same index is a match, whatever the time between', () => {
    expect(compareReads(read('12345.6', 0), read('12345.60', 5 * H), opts)).toMatchObject({ verdict: 'match', difference: '0.00' });
  });

  it('a higher index within elapsed hours × the rate is advanced; one unit above the bound is a mismatch', () => {
    // 2 h at 70 kWh/h: 140 kWh at most.
    expect(compareReads(read('1000', 0), read('1140', 2 * H), opts)).toMatchObject({ verdict: 'advanced', difference: '140', allowed: '140' });
    expect(compareReads(read('1000', 0), read('1140.001', 2 * H), opts)).toMatchObject({ verdict: 'mismatch', difference: '140.001' });
    expect(compareReads(read('1000', 0), read('1000.4', 60_000), { maxKwhPerHour: '30' })).toMatchObject({ verdict: 'advanced' });
    expect(compareReads(read('1000', 0), read('1000.6', 60_000), { maxKwhPerHour: '30' })).toMatchObject({ verdict: 'mismatch' });
  });

  it('a lower index, or a higher one with no time between, is a mismatch', () => {
    expect(compareReads(read('1000', 0), read('999.9', H), opts)).toMatchObject({ verdict: 'mismatch', difference: '-0.1', reason: expect.stringContaining('0.1 kWh below') });
    expect(compareReads(read('1000', H), read('1000.1', H), opts)).toMatchObject({ verdict: 'mismatch', elapsedMs: 0 });
    expect(compareReads(read('1000', 2 * H), read('1000.1', H), opts)).toMatchObject({ verdict: 'mismatch' });
  });

  it('compares across Wh / kWh / MWh exactly and refuses units of another kind', () => {
    expect(compareReads(read('1234.567', 0), read('1234567', H, 'Wh'), opts)).toMatchObject({ verdict: 'match' });
    expect(compareReads(read('1.2345', 0, 'MWh'), read('1234.6', H), opts)).toMatchObject({ verdict: 'advanced', difference: '0.1000' });
    expect(compareReads(read('1000', 0), read('1000', H, 'kvarh'), opts)).toMatchObject({ verdict: 'mismatch', reason: expect.stringContaining('units cannot be compared') });
  });
});
