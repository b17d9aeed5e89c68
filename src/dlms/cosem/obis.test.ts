import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../shared/bytes.js';
import { DlmsError } from '../errors.js';
import { OBIS, formatObis, isObisText, obisFromBytes, obisToBytes, parseObis } from './obis.js';

function why(text: string): string {
  try {
    parseObis(text);
  } catch (e) {
    if (e instanceof DlmsError) return `${e.code}: ${e.message}`;
    return `other: ${String(e)}`;
  }
  return 'accepted';
}

describe('OBIS', () => {
  it.each([
    '1.0.1.8.0.255',
    '1-0:1.8.0*255',
    '1-0:1.8.0.255',
    '1-0:1.8.0',
    '0100010800FF',
    '0100010800ff',
    ' 1.0.1.8.0.255 ',
  ])('parses %s to 1.0.1.8.0.255', (text) => {
    expect(parseObis(text)).toBe('1.0.1.8.0.255');
  });

  it('keeps F when given in the IEC form', () => {
    expect(parseObis('0-0:98.1.0*126')).toBe('0.0.98.1.0.126');
    expect(parseObis('1-1:21.25.0')).toBe('1.1.21.25.0.255');
  });

  it.each([
    ['', /empty/],
    ['1.0.1.8.0', /6 groups, got 5/],
    ['1.0.1.8.0.255.1', /6 groups, got 7/],
    ['1.0.1.8.0.256', /group F is 256/],
    ['1-0:1.8.300*255', /group E is 300/],
    ['0100010800F', /12 digits, got 11/],
    ['1-0:1.8', /expected/],
    ['a.b.c.d.e.f', /expected/],
    ['1.0.1.8.0.-1', /expected/],
    ['1.0.1.8.0.2555', /group F is 2555, above 255/],
  ])('rejects %j', (text, reason) => {
    const m = why(text);
    expect(m).toMatch(/^DLMS_BAD_OBIS: /);
    expect(m).toMatch(reason);
    expect(isObisText(text)).toBe(false);
  });

  it('converts to and from the 6-byte logical name', () => {
    expect(toHex(obisToBytes(OBIS.clock))).toBe('0000010000FF');
    expect(obisFromBytes(fromHex('AA0100630100FF'), 1)).toBe('1.0.99.1.0.255');
    expect(() => obisFromBytes(fromHex('0100630100'))).toThrowError(/needs 6 bytes, 5 left/);
  });

  it('formats dotted and IEC', () => {
    expect(formatObis(OBIS.activeEnergyImportTotal)).toBe('1.0.1.8.0.255');
    expect(formatObis(OBIS.activeEnergyImportTotal, 'iec')).toBe('1-0:1.8.0*255');
  });

  it('has the DOMAIN.md codes', () => {
    expect({ ...OBIS }).toMatchObject({
      activeEnergyImportTotal: '1.0.1.8.0.255',
      activeEnergyImportTariff1: '1.0.1.8.1.255',
      activeEnergyImportTariff2: '1.0.1.8.2.255',
      activeEnergyImportTariff3: '1.0.1.8.3.255',
      activeEnergyExportTotal: '1.0.2.8.0.255',
      reactiveEnergyImportTotal: '1.0.3.8.0.255',
      clock: '0.0.1.0.0.255',
      serialNumber: '0.0.96.1.0.255',
      billingPeriodValues: '0.0.98.1.0.255',
      loadProfile: '1.0.99.1.0.255',
      currentAssociation: '0.0.40.0.0.255',
      sapAssignment: '0.0.41.0.0.255',
      statusRegister: '0.0.96.5.0.255',
      standardEventLog: '0.0.99.98.0.255',
    });
  });

  it('bytes → obis → every text form → same obis (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (b) => {
        const o = obisFromBytes(b);
        expect(obisToBytes(o)).toEqual(b);
        expect(parseObis(formatObis(o, 'iec'))).toBe(o);
        expect(parseObis(toHex(b))).toBe(o);
        expect(parseObis(o)).toBe(o);
      }),
    );
  });

  it('random text gives an Obis or DLMS_BAD_OBIS', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (t) => {
        try {
          parseObis(t);
        } catch (e) {
          expect((e as DlmsError).code).toBe('DLMS_BAD_OBIS');
        }
      }),
    );
  });
});
