import { asInteger, asOctets, asStructure } from '../axdr/read.js';
import type { DlmsData } from '../axdr/types.js';
import { DlmsError } from '../errors.js';
import { CLASS_ID, CLOCK } from './classes.js';
import { obisFromBytes, obisToBytes, type Obis } from './obis.js';

/**
 * capture_object_definition (IEC 62056-6-2, Profile Generic attribute 3 and the selective-access
 * descriptors): structure{ long-unsigned class_id, octet-string logical_name, integer attribute_index,
 * long-unsigned data_index }. data_index 0 means the whole attribute.
 */
export interface CaptureObject {
  classId: number;
  obis: Obis;
  attribute: number;
  dataIndex: number;
}

function intIn(d: DlmsData, min: number, max: number, field: string): number {
  const v = asInteger(d);
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (n < min || n > max) throw new DlmsError('DLMS_BAD_DATA', `${field} ${String(v)} is not in ${min}..${max}`);
  return n;
}

/** logical_name octet-string(6) → Obis; any other length is malformed data. */
export function obisFromData(d: DlmsData, field = 'logical_name'): Obis {
  const b = asOctets(d);
  if (b.length !== 6) throw new DlmsError('DLMS_BAD_DATA', `${field} is an octet-string of ${b.length} bytes, expected 6`);
  return obisFromBytes(b);
}

export function obisToData(o: Obis): DlmsData {
  return { type: 'octet-string', value: obisToBytes(o) };
}

export function decodeCaptureObject(d: DlmsData): CaptureObject {
  const [c, ln, a, i] = asStructure(d, 4) as [DlmsData, DlmsData, DlmsData, DlmsData];
  return {
    classId: intIn(c, 0, 0xffff, 'class_id'),
    obis: obisFromData(ln),
    attribute: intIn(a, -128, 127, 'attribute_index'),
    dataIndex: intIn(i, 0, 0xffff, 'data_index'),
  };
}

export function encodeCaptureObject(co: CaptureObject): DlmsData {
  return {
    type: 'structure',
    value: [
      { type: 'long-unsigned', value: co.classId },
      obisToData(co.obis),
      { type: 'integer', value: co.attribute },
      { type: 'long-unsigned', value: co.dataIndex },
    ],
  };
}

/** The clock's time attribute (class 8, attribute 2): the column null-data compression steps by the period. */
export function isClockTime(co: CaptureObject): boolean {
  return co.classId === CLASS_ID.clock && co.attribute === CLOCK.attr.time;
}
