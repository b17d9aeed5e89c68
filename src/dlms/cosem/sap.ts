import { asArray, asInteger, asString, asStructure } from '../axdr/read.js';
import type { DlmsData } from '../axdr/types.js';
import { DlmsError } from '../errors.js';

/**
 * SAP Assignment (class 17, IEC 62056-6-2) attribute 2, sap_assignment_list: array of
 * structure{ long-unsigned SAP, octet-string logical_device_name }. Names are read one char per byte
 * (they are printable in practice, e.g. "ISK1030777764366"), which also makes encoding their exact inverse.
 */
export interface SapAssignment {
  sap: number;
  logicalDeviceName: string;
}

export function decodeSapAssignmentList(d: DlmsData): SapAssignment[] {
  return asArray(d).map((e) => {
    const [sap, name] = asStructure(e, 2) as [DlmsData, DlmsData];
    return { sap: Number(asInteger(sap)), logicalDeviceName: asString(name) };
  });
}

export function encodeSapAssignmentList(list: readonly SapAssignment[]): DlmsData {
  return {
    type: 'array',
    value: list.map((a): DlmsData => {
      const name = new Uint8Array(a.logicalDeviceName.length);
      for (let i = 0; i < name.length; i++) {
        const c = a.logicalDeviceName.charCodeAt(i);
        if (c > 0xff) throw new DlmsError('DLMS_BAD_DATA', `logical device name "${a.logicalDeviceName}" has a character that is not one byte`);
        name[i] = c;
      }
      return {
        type: 'structure',
        value: [
          { type: 'long-unsigned', value: a.sap },
          { type: 'octet-string', value: name },
        ],
      };
    }),
  };
}
