import { describe, expect, it } from 'vitest';
import { vectorBytes } from '../../../test/fixtures/vectors.js';
import { dlms } from '../axdr/build.js';
import { decodeData, decodeDataExact } from '../axdr/decode.js';
import { encodeData } from '../axdr/encode.js';
import type { DlmsData } from '../axdr/types.js';
import { isDlmsError } from '../errors.js';
import { decodeObjectList, encodeObjectList, encodeObjectListEntry, isReadable, isWritable, type ObjectListEntry } from './association.js';
import { parseObis } from './obis.js';

/**
 * The Gurux datablock vector carries block 1 of an object_list (array of 58, 0x013A). We read the
 * whole entries it holds, up to the one the block cuts.
 */
function entriesOfFirstBlock(): { entries: DlmsData[]; raw: Uint8Array[] } {
  const apdu = vectorBytes('GET-Response-With-Datablock, block 1 of 10');
  // C4 02 C0 | last-block 00 | block-number 00000001 | raw-data choice 00 | length 82 01DA | data…
  const data = apdu.subarray(12);
  expect(data.length).toBe(474);
  expect([data[0], data[1]]).toEqual([0x01, 0x3a]);
  const entries: DlmsData[] = [];
  const raw: Uint8Array[] = [];
  let at = 2;
  for (;;) {
    try {
      const { data: e, next } = decodeData(data, at);
      entries.push(e);
      raw.push(data.subarray(at, next));
      at = next;
    } catch (err) {
      expect(isDlmsError(err, 'DLMS_TRUNCATED')).toBe(true);
      break;
    }
  }
  return { entries, raw };
}

describe('object_list (Association LN attribute 2)', () => {
  it('decodes the entries of the Gurux block and re-encodes each to identical bytes', () => {
    const { entries, raw } = entriesOfFirstBlock();
    expect(entries.length).toBeGreaterThanOrEqual(4);
    const list = decodeObjectList(dlms.array(entries));
    expect(list[0]).toEqual({
      classId: 15,
      version: 2,
      obis: '0.0.40.0.0.255',
      accessRights: {
        attributes: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((id) => ({ id, access: id === 7 ? 3 : 1, selectors: undefined })),
        methods: [1, 2, 3, 4, 5, 6].map((id) => ({ id, access: 0 })),
      },
    });
    expect(list.slice(0, 5).map((e) => `${e.classId}/${e.obis} v${e.version}`)).toEqual([
      '15/0.0.40.0.0.255 v2',
      '15/0.0.40.0.2.255 v2',
      '64/0.0.43.0.1.255 v0',
      '64/0.0.43.0.2.255 v0',
      '64/0.0.43.0.3.255 v0',
    ]);
    list.forEach((e, i) => expect(encodeData(encodeObjectListEntry(e))).toEqual(raw[i]));
  });

  it('reads version-0 boolean method access and selector lists, and writes them back', () => {
    const entry = dlms.structure(
      dlms.u16(7),
      dlms.u8(1),
      dlms.octets('0100630100FF'),
      dlms.structure(
        dlms.array([dlms.structure(dlms.i8(2), dlms.enumOf(1), dlms.array([dlms.i8(1), dlms.i8(2)]))]),
        dlms.array([dlms.structure(dlms.i8(1), dlms.bool(true))]),
      ),
    );
    const [e] = decodeObjectList(dlms.array([entry])) as [ObjectListEntry];
    expect(e).toEqual({
      classId: 7,
      version: 1,
      obis: parseObis('1.0.99.1.0.255'),
      accessRights: { attributes: [{ id: 2, access: 1, selectors: [1, 2] }], methods: [{ id: 1, access: 1 }] },
    });
    expect(encodeObjectList([e], { methodAccessAsBoolean: true })).toEqual(dlms.array([entry]));
    const asEnum = decodeDataExact(encodeData(encodeObjectList([e])));
    expect(decodeObjectList(asEnum)).toEqual([e]);
  });

  it('names the entry that is malformed', () => {
    const bad = dlms.array([dlms.structure(dlms.u16(1), dlms.u8(0), dlms.octets('00'), dlms.structure(dlms.array([]), dlms.array([])))]);
    let err: unknown;
    try {
      decodeObjectList(bad);
    } catch (e) {
      err = e;
    }
    expect(isDlmsError(err, 'DLMS_BAD_DATA')).toBe(true);
    expect((err as { context: Record<string, unknown> }).context.objectListEntry).toBe(0);
  });

  it('access modes', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(isReadable)).toEqual([false, true, false, true, true, false, true]);
    expect([0, 1, 2, 3, 4, 5, 6].map(isWritable)).toEqual([false, false, true, true, false, true, true]);
  });
});
