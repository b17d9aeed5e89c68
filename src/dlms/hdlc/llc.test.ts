import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../shared/bytes.js';
import { LLC_COMMAND, LLC_RESPONSE, reassembleApdu, segmentApdu } from './llc.js';

describe('LLC header and segmentation', () => {
  it('puts E6 E6 00 in front of a short APDU, one segment', () => {
    const s = segmentApdu(fromHex('C001C100080000010000FF0200'), LLC_COMMAND, 128);
    expect(s.map((x) => toHex(x))).toEqual(['E6E600C001C100080000010000FF0200']);
  });

  it('cuts llc + 2000 bytes into 15 full segments of 128 and a last one of 83', () => {
    const apdu = Uint8Array.from({ length: 2000 }, (_, i) => i & 0xff);
    const s = segmentApdu(apdu, LLC_RESPONSE, 128);
    expect(s.length).toBe(16);
    expect(s.slice(0, 15).every((x) => x.length === 128)).toBe(true);
    expect(s[15]!.length).toBe(2003 - 15 * 128);
    expect(reassembleApdu(s, LLC_RESPONSE)).toEqual(apdu);
  });

  it('refuses a wrong LLC header and a too small segment size', () => {
    expect(() => reassembleApdu([fromHex('E6E600C4')], LLC_RESPONSE)).toThrow(
      'information field starts with "E6 E6 00", expected the LLC header E6 E7 00',
    );
    expect(() => reassembleApdu([fromHex('E6')], LLC_RESPONSE)).toThrow(/starts with "E6"/);
    expect(() => segmentApdu(new Uint8Array(5), LLC_COMMAND, 3)).toThrow(/too small/);
  });
});
