import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../shared/bytes.js';
import { decodeDataExact } from '../axdr/decode.js';
import { encodeData } from '../axdr/encode.js';
import { decodeSapAssignmentList, encodeSapAssignmentList } from './sap.js';

describe('SAP assignment list', () => {
  // array(2){ structure{ long-unsigned 1, octet-string "MGMT" }, structure{ long-unsigned 16, octet-string 'ISK1030777764366' } }
  const hex = '0102' + '0202120001' + '09044D474D54' + '0202120010' + '091049534B31303330373737373634333636';

  it('decodes and re-encodes', () => {
    const list = decodeSapAssignmentList(decodeDataExact(fromHex(hex)));
    expect(list).toEqual([
      { sap: 1, logicalDeviceName: 'MGMT' },
      { sap: 16, logicalDeviceName: 'ISK1030777764366' },
    ]);
    expect(toHex(encodeData(encodeSapAssignmentList(list)))).toBe(hex);
  });

  it('refuses names that are not one byte per character', () => {
    expect(() => encodeSapAssignmentList([{ sap: 1, logicalDeviceName: 'Công tơ' }])).toThrowError(/not one byte/);
  });
});
