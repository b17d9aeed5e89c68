import { describe, expect, it } from 'vitest';
import { vectorBytes, vectorsOf, type DlmsVector } from '../../../test/fixtures/vectors.js';
import { fromHex } from '../../shared/bytes.js';
import { asArray, asDateTime, asStructure } from './read.js';
import { cosemDateTimeToDate } from './datetime.js';
import { decodeDataExact } from './decode.js';
import { encodeData } from './encode.js';
import type { CosemDateTime, DlmsData } from './types.js';

/** "0xFF not specified", "0x8000 = not specified …" → undefined; numbers stay. */
function field(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^0x(ff|8000)\b/i.test(v)) return undefined;
  throw new Error(`unexpected decoded field ${JSON.stringify(v)}`);
}

function expectDateFields(dt: Partial<CosemDateTime> | undefined, d: Record<string, unknown>): void {
  expect(dt).toBeDefined();
  const map: Record<string, keyof CosemDateTime> = {
    year: 'year',
    month: 'month',
    day: 'dayOfMonth',
    day_of_week: 'dayOfWeek',
    hour: 'hour',
    minute: 'minute',
    second: 'second',
    hundredths: 'hundredths',
    deviation: 'deviation',
    clock_status: 'clockStatus',
  };
  let checked = 0;
  for (const [k, ours] of Object.entries(map)) {
    if (!(k in d)) continue;
    expect(dt?.[ours], k).toBe(field(d[k]));
    checked++;
  }
  expect(checked).toBeGreaterThanOrEqual(4);
}

/** Values of a flat structure/array of numbers. */
function numbers(d: DlmsData): unknown[] {
  return (d.type === 'array' ? asArray(d) : asStructure(d)).map((e) => ('value' in e ? e.value : e.type));
}

function check(v: DlmsVector, data: DlmsData): void {
  const d = v.decoded;
  const type = String(d.type);
  if (type.startsWith('octet-string(12) COSEM date-time')) {
    expect(data.type).toBe('octet-string');
    expectDateFields(asDateTime(data), d);
  } else if (type.startsWith('structure(2){integer')) {
    expect(data).toEqual({
      type: 'structure',
      value: [
        { type: 'integer', value: d.scaler },
        { type: 'enum', value: d.unit },
      ],
    });
  } else if (type.startsWith('double-long-unsigned')) {
    expect(data).toEqual({ type: 'double-long-unsigned', value: d.value });
  } else if (type.startsWith('long-unsigned')) {
    expect(data).toEqual({ type: 'long-unsigned', value: d.value });
  } else if (type.startsWith('visible-string')) {
    expect(data).toEqual({ type: 'visible-string', value: d.value });
  } else if (type.startsWith('date (tag 0x1A')) {
    expect(data.type).toBe('date');
    if (data.type === 'date') expectDateFields(data.value, d);
  } else if (type.startsWith('time (tag 0x1B')) {
    expect(data.type).toBe('time');
    if (data.type === 'time') expectDateFields(data.value, d);
  } else if (type.startsWith('structure(7)')) {
    expect(numbers(data)).toEqual(d.value);
    expect(asStructure(data).map((e) => e.type)).toEqual([
      'double-long-unsigned',
      'long-unsigned',
      'unsigned',
      'unsigned',
      'long-unsigned',
      'long-unsigned',
      'long-unsigned',
    ]);
  } else if (type.startsWith('array(2) of structure(4)')) {
    // Meaning checked in cosem/profile.test.ts; here the shape.
    const rows = asArray(data).map((e) => asStructure(e).map((x) => x.type));
    expect(rows).toEqual([
      ['long-unsigned', 'octet-string', 'integer', 'long-unsigned'],
      ['long-unsigned', 'octet-string', 'integer', 'long-unsigned'],
    ]);
  } else if (type.startsWith('array(4) of structure(4)')) {
    const rows = asArray(data).map((e) => asStructure(e));
    expect(rows.map((r) => r[0]?.type)).toEqual(['octet-string', 'null-data', 'null-data', 'null-data']);
    expect(rows.map((r) => r.slice(1).map((x) => ('value' in x ? x.value : x.type)))).toEqual(
      (d.rows as unknown[][]).map((r) => r.slice(1)),
    );
  } else {
    throw new Error(`no check written for axdr vector "${v.name}"`);
  }
}

describe('A-XDR vectors', () => {
  const all = vectorsOf('axdr');
  it('has the vectors', () => {
    expect(all.length).toBe(14);
  });
  for (const v of all) {
    it(`decodes and re-encodes: ${v.name}`, () => {
      const bytes = fromHex(v.hex);
      const data = decodeDataExact(bytes);
      check(v, data);
      expect(encodeData(data)).toEqual(bytes);
    });
  }

  it('reads the ISK clock as 13:09:23 UTC (deviation -60 = UTC+01:00)', () => {
    const dt = asDateTime(decodeDataExact(vectorBytes('A-XDR date-time octet-string(12): 2021-06-03')));
    expect(cosemDateTimeToDate(dt!)?.toISOString()).toBe('2021-06-03T13:09:23.000Z');
  });

  it('reads deviation +120 as UTC-02:00', () => {
    const dt = asDateTime(decodeDataExact(vectorBytes('A-XDR date-time with hundredths 0xFF')));
    expect(cosemDateTimeToDate(dt!)?.toISOString()).toBe('2002-12-04T12:06:11.000Z');
  });

  it('needs an assumed deviation when the meter says 0x8000', () => {
    const dt = asDateTime(decodeDataExact(vectorBytes('A-XDR date-time with deviation 0x8000')))!;
    expect(cosemDateTimeToDate(dt)).toBeUndefined();
    expect(cosemDateTimeToDate(dt, -420)?.toISOString()).toBe('2018-02-11T17:00:00.000Z');
  });
});

