import { describe, expect, it } from 'vitest';
import type { CmisBookRow } from '../cmis/book-row.js';
import { BookError } from './errors.js';
import { diffRows, readingTypeOf, rowRecord, rowRecords, type StoredRowRecord } from './import-rows.js';

const row = (over: Partial<CmisBookRow> = {}): CmisBookRow => ({
  MA_DVIQLY: 'PD0100',
  MA_QUYEN: 'B1',
  MA_GC: '1',
  MA_DDO: 'P1',
  LOAI_BCS: 'KT',
  HSN: '1',
  CS_CU: '100',
  KY: 1,
  THANG: 7,
  NAM: 2017,
  ...over,
});
const stored = (r: CmisBookRow, rowNo: number, present = true): StoredRowRecord => ({ ...rowRecord(r, rowNo), present });

describe('rowRecords', () => {
  it('reads an absent or blank LOAI_CS as DDK and keeps other reading types', () => {
    expect([readingTypeOf({}), readingTypeOf({ LOAI_CS: ' ' }), readingTypeOf({ LOAI_CS: 'THAO' })]).toEqual(['DDK', 'DDK', 'THAO']);
  });

  it('maps the columns and keeps the whole row, extras included, as JSON', () => {
    const r = rowRecord(row({ MA_CTO: 'M1', TEN_KHANG: '  Lê Văn C ', MA_KHANG: '', extra: { GHI_CHU: 'x' } }), 3);
    expect(r).toMatchObject({ meteringPoint: 'P1', bcs: 'KT', readingType: 'DDK', rowNo: 3, routePosition: '1', meterId: 'M1', customerCode: null, customerName: '  Lê Văn C ', multiplier: '1', oldIndex: '100' });
    expect(JSON.parse(r.rowJson)).toMatchObject({ MA_DDO: 'P1', KY: '1', GHI_CHU: 'x' });
  });

  it('refuses a repeated non-periodic row too, naming both rows', () => {
    const e = (() => {
      try {
        rowRecords('f.xml', [row({ LOAI_CS: 'THAO' }), row(), row({ LOAI_CS: 'THAO', MA_GC: '7' })]);
      } catch (err) {
        return err as BookError;
      }
    })();
    expect(e).toBeInstanceOf(BookError);
    expect(e!.message).toBe('f.xml: row 3 (MA_GC 7, MA_DDO P1, LOAI_BCS KT, LOAI_CS THAO) repeats row 1 (MA_GC 1, MA_DDO P1, LOAI_BCS KT, LOAI_CS THAO): two THAO rows for one metering point and register');
  });
});

describe('diffRows', () => {
  it('counts new, returning, changed and gone rows; a row only moved is rewritten but not counted', () => {
    const a = row({ MA_DDO: 'A' });
    const b = row({ MA_DDO: 'B' });
    const c = row({ MA_DDO: 'C' });
    const d = row({ MA_DDO: 'D' });
    const before = [stored(a, 1), stored(b, 2), stored(c, 3), stored(d, 4, false)];
    const diff = diffRows(before, [rowRecord(b, 1), rowRecord({ ...c, CS_CU: '101' }, 2), rowRecord(d, 3), rowRecord(row({ MA_DDO: 'E' }), 4)]);
    expect({ added: diff.added, changed: diff.changed, removed: diff.removed }).toEqual({ added: 2, changed: 1, removed: 1 });
    expect(diff.inserts.map((r) => r.meteringPoint)).toEqual(['E']);
    expect(diff.updates.map((r) => r.meteringPoint)).toEqual(['B', 'C', 'D']);
    expect(diff.removals.map((r) => r.meteringPoint)).toEqual(['A']);
    expect(diffRows(before, before.filter((r) => r.present))).toMatchObject({ inserts: [], updates: [], removals: [], added: 0, changed: 0, removed: 0 });
  });
});
