import { describe, expect, it } from 'vitest';
import { ByteWriter, bytesEqual, concatBytes, fromHex, toHex } from './bytes.js';

describe('bytes', () => {
  it('converts hex both ways, ignoring spaces and colons', () => {
    expect(toHex(fromHex('7e a0:07'))).toBe('7EA007');
    expect(toHex(fromHex('0a0b'), ' ')).toBe('0A 0B');
  });

  it('refuses odd-length or non-hex strings', () => {
    expect(() => fromHex('7E0')).toThrow(/not a hex string/);
    expect(() => fromHex('zz')).toThrow(/not a hex string/);
  });

  it('concatenates and compares', () => {
    const joined = concatBytes([fromHex('01'), fromHex(''), fromHex('0203')]);
    expect(bytesEqual(joined, fromHex('010203'))).toBe(true);
    expect(bytesEqual(joined, fromHex('0102'))).toBe(false);
  });

  it('grows the writer and patches bytes written earlier', () => {
    const w = new ByteWriter(1);
    w.u8(0xff).u16(0x1234).u32(0xdeadbeef).bytes(fromHex('AABB'));
    w.patchU8(0, 0x01);
    expect(toHex(w.toBytes())).toBe('011234DEADBEEFAABB');
    expect(w.length).toBe(9);
  });
});
