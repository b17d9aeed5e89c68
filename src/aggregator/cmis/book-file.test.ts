import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bookFileName, checksum, parseBookFileName, parseBookXml, writeBookCsv, writeBookXml, type CmisBookFile } from './book-file.js';
import type { CmisBookRow } from './book-row.js';
import { CMIS_COLUMNS } from './columns.js';
import { CmisError } from './errors.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/cmis/D018328-2017-7-1.xml', import.meta.url));
const fixtureBytes = readFileSync(FIXTURE);
const fixtureText = fixtureBytes.toString('utf8');
const sample = (): CmisBookFile => parseBookXml(fixtureBytes, 'D018328-2017-7-1.xml');

function failure(f: () => unknown): CmisError {
  try {
    f();
  } catch (e) {
    if (e instanceof CmisError) return e;
    throw e;
  }
  throw new Error('expected a CmisError');
}

const rowOf = (file: CmisBookFile, gc: string, bcs: string): CmisBookRow => {
  const row = file.rows.find((r) => r.MA_GC === gc && r.LOAI_BCS === bcs);
  if (!row) throw new Error(`no row ${gc}/${bcs}`);
  return row;
};

describe('parseBookXml on the sample book D018328-2017-7-1', () => {
  it('reads the book and all 28 register rows (17 households KT, 3 businesses BT/CD/TD[/VC])', () => {
    const file = sample();
    expect(file.book).toEqual({ unitCode: 'PD0100', bookCode: 'D018328', year: 2017, month: 7, subPeriod: 1 });
    expect(file.rows).toHaveLength(28);
    expect(new Set(file.rows.map((r) => r.MA_DDO)).size).toBe(20);
    expect(file.rows.filter((r) => r.LOAI_BCS === 'KT')).toHaveLength(17);
    expect(file.rows.map((r) => r.LOAI_BCS).slice(17)).toEqual(['BT', 'CD', 'TD', 'BT', 'CD', 'TD', 'VC', 'BT', 'CD', 'TD', 'VC']);
  });

  it('gives exact values for a household row with a decimal index and Vietnamese text', () => {
    const r = rowOf(sample(), '1', 'KT');
    expect(r).toEqual({
      MA_DVIQLY: 'PD0100',
      MA_QUYEN: 'D018328',
      MA_GC: '1',
      MA_TRAM: 'PD01T0183',
      MA_KHANG: 'PD0100018301',
      MA_DDO: 'PD0100018301001',
      MA_NVGCS: 'NV0107',
      MA_CTO: 'PD0100CT150001',
      SERY_CTO: '15012301',
      LOAI_BCS: 'KT',
      LOAI_CS: 'DDK',
      BOCSO_ID: '1834001',
      TEN_KHANG: 'Nguyễn Văn An',
      DIA_CHI: 'Số 12 ngõ 45 phố Hàng Bạc, phường Hàng Bạc, quận Hoàn Kiếm',
      MA_NN: 'SHBT',
      SO_HO: '1',
      HSN: '1',
      CS_CU: '12345.6',
      TTR_CU: '',
      SL_CU: '152',
      SL_TTIEP: '0',
      NGAY_CU: '2017-06-14T00:00:00',
      CS_MOI: '0',
      TTR_MOI: '',
      SL_MOI: '0',
      CHUOI_GIA: 'KT: 100%*SHBT',
      KY: 1,
      THANG: 7,
      NAM: 2017,
      NGAY_MOI: '2017-07-14T00:00:00',
      NGUOI_GCS: '',
      SL_THAO: '0',
      KIMUA_CSPK: 0,
      MA_COT: 'T01/01',
      SLUONG_1: '152',
      SLUONG_2: '148',
      SLUONG_3: '160',
      SO_HOM: 'H01',
    });
  });

  it('reads the CT-metered factory (HSN 40) with reactive register, Pmax and its date', () => {
    const file = sample();
    const vc = rowOf(file, '19', 'VC');
    expect(vc).toMatchObject({ TEN_KHANG: 'Công ty TNHH Cơ khí Hồng Hà', HSN: '40', CS_CU: '3107.9', SL_CU: '30240', KIMUA_CSPK: 1, PMAX: '86.4', NGAY_PMAX: '2017-07-03T10:15:00' });
    expect(rowOf(file, '19', 'CD')).toMatchObject({ CS_CU: '1873.05', CHUOI_GIA: 'CD: 100%*SXCD' });
    expect(rowOf(file, '18', 'BT').TEN_KHANG).toBe('Cửa hàng Tạp hóa Minh & Con');
  });

  it('keeps empty elements, missing optional columns, statuses and unknown columns apart', () => {
    const file = sample();
    expect(rowOf(file, '3', 'KT').SO_HOM).toBe('');
    const r14 = rowOf(file, '14', 'KT');
    expect(r14.SO_HOM).toBeUndefined();
    expect('MA_COT' in r14).toBe(false);
    expect(rowOf(file, '9', 'KT')).toMatchObject({ TTR_CU: 'U', SL_CU: '0' });
    expect(rowOf(file, '12', 'KT').SO_HO).toBe('2');
    expect(rowOf(file, '16', 'KT').extra).toEqual({ GHI_CHU: 'Công tơ treo cao, mang thang' });
    expect(rowOf(file, '5', 'KT').CS_CU).toBe('99990');
  });

  it('reads the same book from UTF-16 LE bytes with a BOM', () => {
    const text = fixtureText.replace('encoding="utf-8"', 'encoding="utf-16"');
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect(parseBookXml(bytes, 'D018328-2017-7-1.xml')).toEqual(sample());
  });
});

describe('writeBookXml', () => {
  it('round-trips: write → parse gives the same book and rows', () => {
    const file = sample();
    const again = parseBookXml(writeBookXml(file.book, file.rows), bookFileName(file.book));
    expect(again).toEqual(file);
  });

  it('writes what CMIS sends: the sample file byte for byte, minus its inline schema', () => {
    const file = sample();
    const withoutSchema = fixtureText.replace(/ {2}<xs:schema[\s\S]*?<\/xs:schema>\r\n/, '');
    expect(writeBookXml(file.book, file.rows)).toBe(withoutSchema);
  });

  it('is deterministic: same output twice, and whatever order the rows come in', () => {
    const file = sample();
    const a = writeBookXml(file.book, file.rows);
    const shuffled = [...file.rows].reverse();
    shuffled.push(shuffled.splice(3, 1)[0] as CmisBookRow);
    expect(writeBookXml(file.book, file.rows)).toBe(a);
    expect(writeBookXml(file.book, shuffled)).toBe(a);
    expect(checksum(a)).toBe(checksum(new TextEncoder().encode(a)));
    expect(checksum(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('writes a filled-in book coming back from the field', () => {
    const file = sample();
    const rows = file.rows.map((r) => (r.MA_GC === '1' ? { ...r, CS_MOI: '12497.8', SL_MOI: '152', NGUOI_GCS: 'Nguyễn Văn Hùng' } : r));
    const xml = writeBookXml(file.book, rows);
    expect(xml).toContain('\r\n    <CS_MOI>12497.8</CS_MOI>\r\n');
    expect(rowOf(parseBookXml(xml), '1', 'KT')).toMatchObject({ CS_MOI: '12497.8', SL_MOI: '152', NGUOI_GCS: 'Nguyễn Văn Hùng' });
  });

  it('refuses rows of another book and rows the reader would refuse', () => {
    const file = sample();
    const other = file.rows.map((r, i) => (i === 4 ? { ...r, THANG: 8 } : r));
    expect(failure(() => writeBookXml(file.book, other)).code).toBe('CMIS_BOOK_MISMATCH');
    const bad = file.rows.map((r, i) => (i === 2 ? { ...r, CS_MOI: '1e5' } : r));
    const e = failure(() => writeBookXml(file.book, bad));
    expect(e.code).toBe('CMIS_BAD_ROW');
    expect(e.message).toContain('column CS_MOI');
  });

  it('round-trips random decimal indexes exactly (no float noise)', () => {
    const file = sample();
    const decimalText = fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 0, max: 4 }))
      .map(([units, scale]) => {
        const digits = units.toString().padStart(scale + 1, '0');
        return scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
      });
    fc.assert(
      fc.property(fc.array(decimalText, { minLength: 28, maxLength: 28 }), decimalText, (indexes, hsn) => {
        const rows = file.rows.map((r, i) => ({ ...r, CS_MOI: indexes[i] as string, CS_CU: indexes[27 - i] as string, PMAX: hsn }));
        const back = parseBookXml(writeBookXml(file.book, rows)).rows;
        back.forEach((r) => {
          const original = rows.find((o) => o.MA_DDO === r.MA_DDO && o.LOAI_BCS === r.LOAI_BCS) as CmisBookRow;
          expect(r.CS_MOI).toBe(original.CS_MOI);
          expect(r.CS_CU).toBe(original.CS_CU);
          expect(r.PMAX).toBe(hsn);
        });
      }),
      { numRuns: 50 },
    );
  });
});

describe('row validation errors name the file, the row and the column', () => {
  it('a bad number', () => {
    const text = fixtureText.replace('<CS_CU>4821</CS_CU>', '<CS_CU>4,821</CS_CU>');
    const e = failure(() => parseBookXml(text, 'D018328-2017-7-1.xml'));
    expect(e.code).toBe('CMIS_BAD_ROW');
    expect(e.message).toMatch(/^D018328-2017-7-1\.xml: row 2 \(MA_DDO PD0100018302001, LOAI_BCS KT, line \d+\), column CS_CU: "4,821": not a non-negative decimal number$/);
    expect(e.context).toMatchObject({ file: 'D018328-2017-7-1.xml', row: 2, column: 'CS_CU', maDdo: 'PD0100018302001', loaiBcs: 'KT' });
  });

  it.each([
    ['<KY>1</KY>', '<KY>4</KY>', 'KY', 'must be at most 3'],
    ['<TTR_CU>U</TTR_CU>', '<TTR_CU>Z</TTR_CU>', 'TTR_CU', 'not a TTR status code'],
    ['<NGAY_CU>2017-06-14T00:00:00</NGAY_CU>', '<NGAY_CU>2017-06-31T00:00:00</NGAY_CU>', 'NGAY_CU', 'not a local date/time'],
    ['<HSN>1</HSN>', '<HSN>0</HSN>', 'HSN', 'greater than 0'],
    ['<MA_DVIQLY>PD0100</MA_DVIQLY>', '', 'MA_DVIQLY', 'missing required column'],
  ])('%s → %s names column %s', (from, to, column, message) => {
    const e = failure(() => parseBookXml(fixtureText.replace(from, to)));
    expect(e.code).toBe('CMIS_BAD_ROW');
    expect(e.context.column).toBe(column);
    expect(e.message).toContain(message);
  });

  it('rows that disagree on the book or period: the first disagreeing row is named', () => {
    let n = 0;
    const text = fixtureText.replace(/<THANG>7<\/THANG>/g, (m) => (++n === 5 ? '<THANG>6</THANG>' : m));
    const e = failure(() => parseBookXml(text, 'D018328-2017-7-1.xml'));
    expect(e.code).toBe('CMIS_BOOK_MISMATCH');
    expect(e.message).toContain('row 5 (MA_DDO PD0100018305001, LOAI_BCS KT');
    expect(e.message).toContain('THANG 6 ≠ 7');
  });

  it('a file name that disagrees with the rows', () => {
    expect(failure(() => parseBookXml(fixtureText, 'D018328-2017-8-1.xml')).code).toBe('CMIS_BOOK_MISMATCH');
    expect(parseBookXml(fixtureText, 'upload.xml').book.bookCode).toBe('D018328');
  });

  it('layout errors: wrong root, foreign row element, no rows', () => {
    expect(failure(() => parseBookXml('<DataSet/>')).code).toBe('CMIS_BAD_LAYOUT');
    expect(failure(() => parseBookXml('<NewDataSet><Table2/></NewDataSet>')).message).toContain('line 1, column 13: unexpected <Table2>');
    expect(failure(() => parseBookXml('<NewDataSet>\r\n</NewDataSet>')).code).toBe('CMIS_EMPTY_BOOK');
  });
});

describe('file names, CSV', () => {
  it('names and parses book file names', () => {
    expect(bookFileName({ bookCode: 'D018328', year: 2017, month: 7, subPeriod: 1 })).toBe('D018328-2017-7-1.xml');
    expect(parseBookFileName('C:\\cmis\\out\\D018328-2017-12-3.xml')).toEqual({ bookCode: 'D018328', year: 2017, month: 12, subPeriod: 3 });
    expect(parseBookFileName('book.xml')).toBeUndefined();
  });

  it('writes RFC 4180 CSV with a BOM, the CMIS header and quoted fields', () => {
    const file = sample();
    const csv = writeBookCsv(file.book, file.rows);
    expect(csv.startsWith('\uFEFFMA_DVIQLY,MA_QUYEN,MA_GC,')).toBe(true);
    const lines = csv.slice(1).split('\r\n');
    expect(lines).toHaveLength(30); // header + 28 rows + the empty string after the last CRLF
    expect(lines[0]).toBe([...CMIS_COLUMNS, 'GHI_CHU'].join(','));
    expect(lines[1]).toBe(
      'PD0100,D018328,1,PD01T0183,PD0100018301,PD0100018301001,NV0107,PD0100CT150001,15012301,KT,DDK,1834001,Nguyễn Văn An,' +
        '"Số 12 ngõ 45 phố Hàng Bạc, phường Hàng Bạc, quận Hoàn Kiếm",SHBT,1,1,12345.6,,152,0,2017-06-14T00:00:00,0,,0,KT: 100%*SHBT,' +
        '1,7,2017,2017-07-14T00:00:00,,0,0,T01/01,152,148,160,H01,,,',
    );
    const quoted = writeBookCsv(file.book, [{ ...(file.rows[0] as CmisBookRow), TEN_KHANG: 'Nhà "Hoa Mai"\r\nlầu 2' }]);
    expect(quoted).toContain(',"Nhà ""Hoa Mai""\r\nlầu 2",');
    expect(writeBookCsv(file.book, [...file.rows].reverse())).toBe(csv);
  });
});
