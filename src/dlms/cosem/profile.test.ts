import { describe, expect, it } from 'vitest';
import { vector, vectorBytes } from '../../../test/fixtures/vectors.js';
import { toHex } from '../../shared/bytes.js';
import { dlms } from '../axdr/build.js';
import { decodeData, decodeDataExact } from '../axdr/decode.js';
import { encodeData } from '../axdr/encode.js';
import { asDateTime, asInteger } from '../axdr/read.js';
import type { DlmsData } from '../axdr/types.js';
import { parseRef } from './classes.js';
import { OBIS } from './obis.js';
import {
  ACCESS_SELECTOR,
  decodeCaptureObjects,
  decodeEntryDescriptor,
  decodeProfileBuffer,
  decodeRangeDescriptor,
  encodeCaptureObjects,
  entryDescriptor,
  rangeDescriptor,
  type CaptureObject,
} from './profile.js';

const clockCol: CaptureObject = { classId: 8, obis: OBIS.clock, attribute: 2, dataIndex: 0 };

function timeText(d: DlmsData | undefined): string {
  const t = d && asDateTime(d);
  if (!t) return `not a date-time: ${d?.type}`;
  const p = (n: number | undefined) => String(n).padStart(2, '0');
  return `${t.year}-${p(t.month)}-${p(t.dayOfMonth)} d${t.dayOfWeek} ${p(t.hour)}:${p(t.minute)}:${p(t.second)}.${p(t.hundredths)} dev ${t.deviation} st ${t.clockStatus}`;
}

function plain(row: DlmsData[]): unknown[] {
  return row.map((v) => (v.type === 'octet-string' ? timeText(v) : v.type === 'null-data' ? null : asInteger(v)));
}

describe('capture objects', () => {
  it('decodes the Gurux capture_objects vector and re-encodes it', () => {
    const bytes = vectorBytes('A-XDR profile generic capture_objects');
    const list = decodeCaptureObjects(decodeDataExact(bytes));
    const expected = vector('A-XDR profile generic capture_objects').decoded.value as Record<string, unknown>[];
    expect(list).toEqual(
      expected.map((e) => ({ classId: e.class_id, obis: e.logical_name, attribute: e.attribute_index, dataIndex: e.data_index })),
    );
    expect(encodeData(encodeCaptureObjects(list))).toEqual(bytes);
  });

  it('refuses a logical name that is not 6 bytes', () => {
    const bad = dlms.array([dlms.structure(dlms.u16(8), dlms.octets('0000010000'), dlms.i8(2), dlms.u16(0))]);
    expect(() => decodeCaptureObjects(bad)).toThrowError(/logical_name is an octet-string of 5 bytes, expected 6/);
  });
});

describe('profile buffer', () => {
  const v = vector('A-XDR profile generic buffer with null-data compression');
  const columns = (v.decoded.capture_objects as string[]).map((r) => ({ ...parseRef(r), dataIndex: 0 }));

  it('resolves null clock values as previous + capture period (vector)', () => {
    const rows = decodeProfileBuffer(decodeDataExact(vectorBytes(v.name)), columns, v.decoded.capture_period_s as number);
    expect(rows.map(plain)).toEqual([
      ['2019-12-31 d2 23:00:00.00 dev -60 st 0', 6, 1517, 1620],
      ['2020-01-01 d3 00:00:00.00 dev -60 st 0', 6, 1517, 1620],
      ['2020-01-01 d3 01:00:00.00 dev -60 st 0', 6, 1517, 1620],
      ['2020-01-01 d3 02:00:00.00 dev -60 st 0', 6, 1517, 1620],
    ]);
    // The resolved clock keeps the wire form: an octet-string(12) like the explicit first row.
    expect(toHex((rows[1]?.[0] as { value: Uint8Array }).value)).toBe('07E401010300000000FFC400');
  });

  it('leaves a null clock null when the capture period is unknown', () => {
    const rows = decodeProfileBuffer(decodeDataExact(vectorBytes(v.name)), columns);
    expect(rows.map((r) => r[0]?.type)).toEqual(['octet-string', 'null-data', 'null-data', 'null-data']);
  });

  it('copies the previous value for other null columns, and a null first row stays null', () => {
    const t0 = dlms.dateTime({ year: 2024, month: 1, dayOfMonth: 31, hour: 23, minute: 45, second: 0, deviation: -420 });
    const cols: CaptureObject[] = [clockCol, { classId: 3, obis: OBIS.activeEnergyImportTotal, attribute: 2, dataIndex: 0 }];
    const buffer = dlms.array([
      dlms.structure(t0, dlms.nul),
      dlms.structure(dlms.nul, dlms.u32(100)),
      dlms.structure(dlms.nul, dlms.nul),
    ]);
    const rows = decodeProfileBuffer(buffer, cols, 900);
    expect(rows[0]).toEqual([t0, dlms.nul]);
    expect(rows[1]?.[1]).toEqual(dlms.u32(100));
    expect(rows[2]?.[1]).toEqual(dlms.u32(100));
    expect(rows[2]?.[0]).toEqual(
      dlms.dateTime({ year: 2024, month: 2, dayOfMonth: 1, dayOfWeek: undefined, hour: 0, minute: 15, second: 0, hundredths: undefined, deviation: -420, clockStatus: undefined }),
    );
  });

  it('refuses rows whose width differs from the capture objects', () => {
    const buffer = dlms.array([dlms.structure(dlms.u8(1))]);
    expect(() => decodeProfileBuffer(buffer, [clockCol, clockCol])).toThrowError(/entry 0 has 1 values, capture objects list 2/);
  });

  it('reads the Gurux GET-Response buffer (5 rows of clock + long-unsigned)', () => {
    const apdu = vectorBytes('GET-Response-Normal profile generic buffer, 5 rows');
    const { data, next } = decodeData(apdu, 4); // C4 01 C1 00: GetResponse-Normal, invoke-id, Data choice
    expect(next).toBe(apdu.length);
    const cols = [clockCol, { ...parseRef('3/1.1.21.25.0.255/2'), dataIndex: 0 }];
    expect(decodeProfileBuffer(data, cols, 1).map(plain)).toEqual([
      ['2026-11-24 d2 18:44:27.00 dev 0 st 0', 848],
      ['2026-11-24 d2 18:44:29.00 dev 0 st 0', 850],
      ['2026-11-24 d2 18:44:30.00 dev 0 st 0', 860],
      ['2026-11-24 d2 18:44:31.00 dev 0 st 0', 870],
      ['2026-11-24 d2 18:44:32.00 dev 0 st 0', 872],
    ]);
  });
});

describe('selective access descriptors', () => {
  it('matches the range_descriptor of the dlms-cosem GET-Request vector', () => {
    const apdu = vectorBytes('GET-Request-Normal profile generic 1.0.99.1.0.255 buffer with range selective access');
    // C0 01 C1 | class 0007 | 0100630100FF | attr 02 | access-selection present 01 | selector 01 | parameters
    expect(apdu[12]).toBe(1);
    expect(apdu[13]).toBe(ACCESS_SELECTOR.range);
    const params = apdu.subarray(14);
    const r = decodeRangeDescriptor(decodeDataExact(params));
    expect(r.restrictingObject).toEqual(clockCol);
    expect(timeText(r.from)).toBe('2017-10-01 d7 00:00:00.00 dev -60 st 128');
    expect(timeText(r.to)).toBe('2017-10-01 d7 01:00:00.00 dev -60 st 128');
    expect(r.selectedValues).toEqual([]);

    const base = { year: 2017, month: 10, dayOfMonth: 1, dayOfWeek: 7, minute: 0, second: 0, hundredths: 0, deviation: -60, clockStatus: 0x80 };
    const built = rangeDescriptor({
      restrictingObject: clockCol,
      from: dlms.dateTimeOctets({ ...base, hour: 0 }),
      to: dlms.dateTimeOctets({ ...base, hour: 1 }),
    });
    expect(toHex(encodeData(built))).toBe(toHex(params));
  });

  it('encodes selected values as capture object definitions', () => {
    const sel: CaptureObject[] = [clockCol, { classId: 3, obis: OBIS.activeEnergyImportTotal, attribute: 2, dataIndex: 0 }];
    const d = rangeDescriptor({ restrictingObject: clockCol, from: dlms.nul, to: dlms.nul, selectedValues: sel });
    expect(decodeRangeDescriptor(decodeDataExact(encodeData(d))).selectedValues).toEqual(sel);
  });

  it('entry_descriptor: hand-encoded bytes and back', () => {
    const d = entryDescriptor({ fromEntry: 1, toEntry: 0 });
    // structure(4){ double-long-unsigned 1, double-long-unsigned 0, long-unsigned 1, long-unsigned 0 }
    expect(toHex(encodeData(d))).toBe('020406000000010600000000120001120000');
    expect(decodeEntryDescriptor(decodeDataExact(encodeData(d)))).toEqual({ fromEntry: 1, toEntry: 0, fromSelectedValue: 1, toSelectedValue: 0 });
    const e = { fromEntry: 10, toEntry: 20, fromSelectedValue: 2, toSelectedValue: 3 };
    expect(decodeEntryDescriptor(entryDescriptor(e))).toEqual(e);
    expect(() => entryDescriptor({ fromEntry: -1, toEntry: 0 })).toThrowError(/from_entry -1/);
  });
});
