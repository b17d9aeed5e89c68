import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { consumption, swapConsumption } from './consumption.js';
import { CmisError, isCmisError } from '../cmis/errors.js';
import { STATUS_CODES, parseStatus, statusInfo } from './status-codes.js';

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof CmisError) return e.code;
    throw e;
  }
  return 'no error';
};

describe('consumption: SL = (CS_MOI − CS_CU) × HSN for normal, C, K, H, G, T', () => {
  it('computes a normal read exactly, including decimal indexes', () => {
    expect(consumption({ oldIndex: '12345.6', newIndex: '12497.8', multiplier: 1 })).toEqual({ consumption: '152', newIndex: '12497.8', rule: 'difference' });
    // 45.55 × 40 = 1822 exactly; in floats (12345.6 − 12300.05) × 40 is 1821.99999999996
    expect(consumption({ oldIndex: '12300.05', newIndex: '12345.6', multiplier: '40' }).consumption).toBe('1822');
    for (const status of ['C', 'K', 'H', 'G', 'T']) {
      expect(consumption({ oldIndex: '1873.05', newIndex: '1902.6', multiplier: '40', status }).consumption).toBe('1182');
    }
  });

  it('rounds half away from zero', () => {
    expect(consumption({ oldIndex: '100', newIndex: '100.5', multiplier: 1 }).consumption).toBe('1');
    expect(consumption({ oldIndex: '100', newIndex: '102.5', multiplier: 1 }).consumption).toBe('3'); // not banker's 2
    expect(consumption({ oldIndex: '100', newIndex: '100.49', multiplier: 1 }).consumption).toBe('0');
    expect(consumption({ oldIndex: '1000', newIndex: '1000.0125', multiplier: 40 }).consumption).toBe('1'); // 0.5
    expect(consumption({ oldIndex: '100', newIndex: '97.5', multiplier: 1, status: 'T' }).consumption).toBe('-3'); // −2.5 → −3
  });

  it('refuses a new index below the old one unless a status explains it', () => {
    expect(codeOf(() => consumption({ oldIndex: '100', newIndex: '90', multiplier: 1 }))).toBe('CMIS_NEGATIVE_ADVANCE');
    expect(codeOf(() => consumption({ oldIndex: '100', newIndex: '99.9', multiplier: 1, status: 'K' }))).toBe('CMIS_NEGATIVE_ADVANCE');
    expect(codeOf(() => consumption({ oldIndex: '100', newIndex: '90', multiplier: 1, status: 'G' }))).toBe('CMIS_NEGATIVE_ADVANCE');
    expect(consumption({ oldIndex: '100', newIndex: '90', multiplier: 1, status: 'T' }).consumption).toBe('-10');
    expect(consumption({ oldIndex: '100', newIndex: '90', multiplier: 1, status: 'H' }).consumption).toBe('-10');
  });

  it('refuses malformed arguments with typed errors', () => {
    expect(codeOf(() => consumption({ oldIndex: '1e5', newIndex: '1', multiplier: 1 }))).toBe('CMIS_BAD_NUMBER');
    expect(codeOf(() => consumption({ oldIndex: '-1', newIndex: '1', multiplier: 1 }))).toBe('CMIS_BAD_NUMBER');
    expect(codeOf(() => consumption({ oldIndex: '1', newIndex: '2', multiplier: 0 }))).toBe('CMIS_BAD_ARGUMENT');
    expect(codeOf(() => consumption({ oldIndex: '1', newIndex: '2', multiplier: 1, status: 'Z' }))).toBe('CMIS_BAD_STATUS');
  });
});

describe('consumption: Q rollover, SL = (10^digits − CS_CU + CS_MOI) × HSN', () => {
  it('99990 → 00012 with HSN 1 and HSN 40', () => {
    expect(consumption({ oldIndex: '99990', newIndex: '00012', multiplier: 1, status: 'Q' })).toEqual({ consumption: '22', newIndex: '12', rule: 'rollover' });
    expect(consumption({ oldIndex: '99990', newIndex: '00012', multiplier: 40, status: 'Q' }).consumption).toBe('880');
  });

  it('uses the register digits when given, and decimal indexes', () => {
    expect(consumption({ oldIndex: '99990', newIndex: '12', multiplier: 1, status: 'Q', registerDigits: 6 }).consumption).toBe('900022');
    expect(consumption({ oldIndex: '9999.7', newIndex: '0.4', multiplier: 1, status: 'Q' }).consumption).toBe('1'); // 0.7 → 1
  });

  it('refuses a Q that cannot be a rollover', () => {
    expect(codeOf(() => consumption({ oldIndex: '500', newIndex: '600', multiplier: 1, status: 'Q' }))).toBe('CMIS_BAD_ROLLOVER');
    expect(codeOf(() => consumption({ oldIndex: '99990', newIndex: '12', multiplier: 1, status: 'Q', registerDigits: 4 }))).toBe('CMIS_BAD_ROLLOVER');
  });
});

describe('consumption: U, L, D, X, M, V give SL 0 and CS_MOI := CS_CU', () => {
  it.each(['U', 'L', 'D', 'X', 'M', 'V'])('status %s', (status) => {
    expect(consumption({ oldIndex: '4821', newIndex: '0', multiplier: 1, status })).toEqual({ consumption: '0', newIndex: '4821', rule: 'zero' });
    expect(consumption({ oldIndex: '18402.75', newIndex: '18500', multiplier: 40, status })).toEqual({ consumption: '0', newIndex: '18402.75', rule: 'zero' });
  });
});

describe('swapConsumption (treo tháo)', () => {
  it('adds the removed meter (SL_THAO) and the new meter, each with its own multiplier', () => {
    expect(
      swapConsumption({
        oldMeter: { oldIndex: '4521.37', finalIndex: '4580.12', multiplier: 40 },
        newMeter: { firstIndex: '0', newIndex: '35.6', multiplier: 40 },
      }),
    ).toEqual({ removedConsumption: '2350', newMeterConsumption: '1424', total: '3774' });
    expect(
      swapConsumption({
        oldMeter: { oldIndex: '99990', finalIndex: '3', multiplier: 1, status: 'Q' },
        newMeter: { firstIndex: '12.5', newIndex: '100', multiplier: 1 },
      }),
    ).toEqual({ removedConsumption: '13', newMeterConsumption: '88', total: '101' });
  });

  it('refuses a swap whose old meter ran backwards', () => {
    expect(codeOf(() => swapConsumption({ oldMeter: { oldIndex: '10', finalIndex: '9', multiplier: 1 }, newMeter: { firstIndex: '0', newIndex: '1', multiplier: 1 } }))).toBe(
      'CMIS_NEGATIVE_ADVANCE',
    );
  });
});

describe('properties', () => {
  const decimal = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.integer({ min: 0, max: 3 })).map(([u, s]) => {
    const d = u.toString().padStart(s + 1, '0');
    return s === 0 ? d : `${d.slice(0, -s)}.${d.slice(-s)}`;
  });
  const hsn = fc.constantFrom('1', '2', '40', '80', '0.5', '120');

  it('consumption is never negative without a status: negative advances are refused', () => {
    fc.assert(
      fc.property(decimal, decimal, hsn, (a, b, m) => {
        try {
          const r = consumption({ oldIndex: a, newIndex: b, multiplier: m });
          expect(r.consumption.startsWith('-')).toBe(false);
          expect(Number(r.consumption)).toBeCloseTo(Math.round((Number(b) - Number(a)) * Number(m)), -1);
        } catch (e) {
          expect(isCmisError(e, 'CMIS_NEGATIVE_ADVANCE')).toBe(true);
          expect(Number(b)).toBeLessThan(Number(a));
        }
      }),
    );
  });

  it('zero statuses always give 0 and keep the old index', () => {
    fc.assert(
      fc.property(decimal, decimal, hsn, fc.constantFrom('U', 'L', 'D', 'X', 'M', 'V'), (a, b, m, s) => {
        const r = consumption({ oldIndex: a, newIndex: b, multiplier: m, status: s });
        expect(r.consumption).toBe('0');
        expect(Number(r.newIndex)).toBe(Number(a));
      }),
    );
  });
});

describe('status codes', () => {
  it('has the 13 codes of DOMAIN.md with labels and rules', () => {
    expect(Object.keys(STATUS_CODES).sort()).toEqual(['', 'C', 'D', 'G', 'H', 'K', 'L', 'M', 'Q', 'T', 'U', 'V', 'X']);
    expect(statusInfo('Q')).toMatchObject({ rule: 'rollover', en: 'register rolled over' });
    expect(statusInfo(undefined)).toMatchObject({ code: '', vi: 'Bình thường' });
    expect(statusInfo(' C ').vi).toBe('Công tơ cháy');
    expect(Object.values(STATUS_CODES).filter((s) => s.rule === 'zero').map((s) => s.code).sort()).toEqual(['D', 'L', 'M', 'U', 'V', 'X']);
    expect(codeOf(() => parseStatus('q'))).toBe('CMIS_BAD_STATUS');
  });
});
