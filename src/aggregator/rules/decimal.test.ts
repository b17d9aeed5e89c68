import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { canonicalDecimal, formatDecimal, integerDigits, parseDecimal, roundDiv, roundHalfAwayFromZero, sub, mul } from './decimal.js';
import { CmisError } from '../cmis/errors.js';

describe('decimal', () => {
  it('canonicalises the xs:decimal lexical forms', () => {
    expect(canonicalDecimal('00012')).toBe('12');
    expect(canonicalDecimal('+5.')).toBe('5');
    expect(canonicalDecimal('.5')).toBe('0.5');
    expect(canonicalDecimal('-0')).toBe('0');
    expect(canonicalDecimal('12345.60')).toBe('12345.60');
    expect(canonicalDecimal(40)).toBe('40');
    for (const bad of ['', '.', '1e5', '1,5', '1.2.3', 'NaN', ' 1']) expect(() => parseDecimal(bad)).toThrow(CmisError);
    expect(() => parseDecimal(Infinity)).toThrow(CmisError);
  });

  it('computes exactly and rounds half away from zero', () => {
    expect(formatDecimal(mul(sub(parseDecimal('12345.6'), parseDecimal('12300.05')), parseDecimal('40')))).toBe('1822.00');
    expect(formatDecimal(roundHalfAwayFromZero(parseDecimal('2.5')))).toBe('3');
    expect(formatDecimal(roundHalfAwayFromZero(parseDecimal('-2.5')))).toBe('-3');
    expect(formatDecimal(roundHalfAwayFromZero(parseDecimal('1.2345'), 3))).toBe('1.235');
    expect(roundDiv(-7n, 2n)).toBe(-4n);
    expect(integerDigits(parseDecimal('99990'))).toBe(5);
    expect(integerDigits(parseDecimal('0.7'))).toBe(1);
  });

  it('format ∘ parse is the identity on canonical text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: 0, max: 8 }), (units, scale) => {
        const text = formatDecimal({ units, scale });
        expect(formatDecimal(parseDecimal(text))).toBe(text);
        expect(parseDecimal(text)).toEqual({ units, scale });
      }),
    );
  });
});
