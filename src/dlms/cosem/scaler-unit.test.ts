import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { vectorBytes } from '../../../test/fixtures/vectors.js';
import { dlms } from '../axdr/build.js';
import { decodeDataExact } from '../axdr/decode.js';
import { encodeData } from '../axdr/encode.js';
import { asInteger } from '../axdr/read.js';
import { applyScaler, decodeScalerUnit, encodeScalerUnit, scaleToUnit, scaleToUnitDecimal, scaledDecimal } from './scaler-unit.js';
import { unitSymbol } from './units.js';

describe('scaler_unit', () => {
  it('decodes the {-2, Wh} vector and re-encodes it', () => {
    const bytes = vectorBytes('A-XDR register scaler_unit structure {-2, Wh}');
    const su = decodeScalerUnit(decodeDataExact(bytes));
    expect(su).toEqual({ scaler: -2, unit: 30, symbol: 'Wh' });
    expect(encodeData(encodeScalerUnit(su))).toEqual(bytes);
  });

  it('decodes the {0, varh} vector', () => {
    expect(decodeScalerUnit(decodeDataExact(vectorBytes('A-XDR register scaler_unit structure {0, varh}')))).toEqual({
      scaler: 0,
      unit: 32,
      symbol: 'varh',
    });
  });

  it('applies the vectors: 12345680 × 10^-2 Wh = 123456.8 Wh = 123.4568 kWh exactly', () => {
    const raw = asInteger(decodeDataExact(vectorBytes('A-XDR double-long-unsigned 12345680')));
    const su = decodeScalerUnit(decodeDataExact(vectorBytes('A-XDR register scaler_unit structure {-2, Wh}')));
    expect(applyScaler(raw, su.scaler)).toBe(123456.8);
    // The float noise we avoid: multiplying by 0.01 is wrong for neighbouring values.
    expect(12345679 * 0.01).not.toBe(123456.79);
    expect(applyScaler(12345679, -2)).toBe(123456.79);
    expect(applyScaler(123456789, -2)).toBe(1234567.89);
    expect(scaleToUnit(raw, su, 'kWh')).toBe(123.4568);
    expect(scaleToUnitDecimal(raw, su, 'kWh')).toBe('123.45680');
    expect(scaledDecimal(raw, su.scaler)).toBe('123456.80');
  });

  it('reads an unsigned scaler byte as Integer8', () => {
    expect(decodeScalerUnit(dlms.structure(dlms.u8(0xfe), dlms.enumOf(30))).scaler).toBe(-2);
  });

  it('refuses a non-structure or a wrong unit', () => {
    expect(() => decodeScalerUnit(dlms.u8(1))).toThrowError(/expected structure of at least 2 elements, found unsigned/);
    expect(() => scaleToUnit(1, { scaler: 0, unit: 32 }, 'kWh')).toThrowError(/unit is varh \(32\), cannot express it in kWh/);
  });

  it.each([
    [12345680, -2, 123456.8],
    [1, -1, 0.1],
    [3, -1, 0.3],
    [7, -3, 0.007],
    [-5, -3, -0.005],
    [0, -2, 0],
    [12, 2, 1200],
    [12, 0, 12],
    [1n << 62n, 0, 4611686018427387904],
    [123456789012345678n, -3, 123456789012345.678],
  ])('applyScaler(%s, %i) = %s', (raw, scaler, expected) => {
    expect(applyScaler(raw, scaler)).toBe(expected);
  });

  it('scaledDecimal keeps resolution and sign', () => {
    expect(scaledDecimal(-5, -3)).toBe('-0.005');
    expect(scaledDecimal(0, -2)).toBe('0.00');
    expect(scaledDecimal(0, 3)).toBe('0');
    expect(scaledDecimal(120n, -1)).toBe('12.0');
  });

  it('equals the decimal literal for any integer and negative scaler (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: -9, max: 0 }), (raw, scaler) => {
        expect(applyScaler(raw, scaler)).toBe(Number(`${raw}e${scaler}`));
      }),
    );
  });

  it('divides float registers instead of multiplying by 0.1', () => {
    expect(applyScaler(0.3, -1)).toBe(0.03);
    expect(applyScaler(2.5, 1)).toBe(25);
  });

  it('unit symbols', () => {
    expect([27, 28, 29, 30, 31, 32, 33, 34, 35, 44].map(unitSymbol)).toEqual(['W', 'VA', 'var', 'Wh', 'VAh', 'varh', 'A', 'C', 'V', 'Hz']);
    expect([1, 6, 9, 13].map(unitSymbol)).toEqual(['a', 'min.', '°C', 'm³']);
    expect(unitSymbol(255)).toBe('');
    expect(unitSymbol(100)).toBe('unit(100)');
  });
});
