import { describe, expect, it } from 'vitest';
import { CLASS_ID, PROFILE_GENERIC, REGISTER, attributeRef, formatRef, parseRef } from './classes.js';
import { OBIS } from './obis.js';

describe('class ids and references', () => {
  it('formats and parses attribute references', () => {
    const r = { classId: CLASS_ID.register, obis: OBIS.activeEnergyImportTotal, attribute: REGISTER.attr.value };
    expect(formatRef(r)).toBe('3/1.0.1.8.0.255/2');
    expect(parseRef('3/1-0:1.8.0*255/2')).toEqual(r);
    expect(attributeRef(7, '1.0.99.1.0.255', PROFILE_GENERIC.attr.buffer)).toEqual({ classId: 7, obis: OBIS.loadProfile, attribute: 2 });
    expect(formatRef({ classId: 7, obis: OBIS.loadProfile, method: PROFILE_GENERIC.method.capture })).toBe('7/1.0.99.1.0.255/2');
  });

  it('refuses malformed references', () => {
    expect(() => parseRef('3/1.0.1.8.0.255')).toThrowError(/not "class\/obis\/attribute"/);
    expect(() => parseRef('3/1.0.1.8.0.999/2')).toThrowError(/above 255/);
  });
});
