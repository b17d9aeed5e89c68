import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeCellBytes } from './book-bytes.js';
import { writeBookFiles, type CmisBook } from './book-file.js';
import { canonicalCells } from './book-row-fast.js';
import { readsBackExactly } from './book-verify.js';
import { ByteCells, fillFromObject, scanJsonObject } from './byte-cells.js';
import { rowsAccepted } from './byte-canonical.js';
import { CMIS_COLUMNS } from './columns.js';

/**
 * The export's byte path (byte-cells, byte-canonical, book-bytes, book-verify) against the plain one
 * (writeBookFiles on cells as strings): the same bytes whenever the byte path writes, no bytes whenever
 * the plain one refuses, and a one-pass read-back that never vouches for a file the full reader would
 * read differently.
 */
type Cells = Record<string, string>;
const book: CmisBook = { unitCode: 'PD0100', bookCode: 'Q12', year: 2024, month: 7, subPeriod: 2 };

/**
 * Byte cells from rows, the way the export reads them: JSON per line, scanned, or parsed when not plain;
 * undefined when a value has no UTF-8 (a lone surrogate), where the export takes the plain way.
 */
function byteCellsOrNot(rows: readonly Cells[]): ByteCells | undefined {
  const lines = rows.map((r) => JSON.stringify(r));
  const text = Buffer.from(lines.join('\n'), 'utf8');
  const cells = new ByteCells(text, text.length, rows.length);
  let pos = 0;
  for (let row = 0; row < lines.length; row++) {
    const line = lines[row] as string;
    const end = pos + Buffer.byteLength(line);
    if (scanJsonObject(cells, row, pos, end) !== end && !fillFromObject(cells, row, JSON.parse(line) as Record<string, unknown>)) return undefined;
    pos = end + 1;
  }
  return cells;
}

function byteCells(rows: readonly Cells[]): ByteCells {
  const cells = byteCellsOrNot(rows);
  if (cells === undefined) throw new Error('a value without UTF-8');
  return cells;
}

function plain(rows: readonly Cells[]): { ok: { xml: Buffer; csv: Buffer; readsBack: (b: Uint8Array) => string | undefined } } | { error: unknown } {
  try {
    const files = writeBookFiles(book, rows);
    return { ok: { xml: Buffer.from(files.xml, 'utf8'), csv: Buffer.from(files.csv, 'utf8'), readsBack: files.readsBack } };
  } catch (error) {
    return { error };
  }
}

function base(i: number): Cells {
  return {
    MA_DVIQLY: 'PD0100', MA_QUYEN: 'Q12', MA_GC: String(i + 1), MA_TRAM: 'TBA-01', MA_KHANG: `KH${i}`, MA_DDO: `PD0100${i}001`, MA_CTO: `CT${i}`,
    LOAI_BCS: 'KT', LOAI_CS: 'DDK', BOCSO_ID: String(1000 + i), TEN_KHANG: 'Nguyễn Văn Ánh', DIA_CHI: 'Số 5, phố Cầu Giấy, Hà Nội',
    HSN: '1', CS_CU: '10000.5', TTR_CU: '', SL_CU: '212', NGAY_CU: '2024-06-30T00:00:00', CS_MOI: '10215.1', TTR_MOI: '', SL_MOI: '214.6',
    KY: '2', THANG: '7', NAM: '2024', NGAY_MOI: '2024-07-31T00:00:00', KIMUA_CSPK: '0',
  };
}

/** Mostly `usual`, now and then `rare`: a book of a dozen rows must be written by the byte path often enough. */
const mostly = <T>(usual: fc.Arbitrary<T>, rare: fc.Arbitrary<T>): fc.Arbitrary<T> => fc.oneof({ arbitrary: usual, weight: 60 }, { arbitrary: rare, weight: 1 });
const awkwardText = fc.oneof(
  fc.constantFrom('', ' ', 'Nguyễn Văn Ánh', 'a & b <c> "d" \'e\'', 'x\r\ny', 'tab\there', 'line\nfeed', ']]>', '😀 Hà Nội', 'comma, "quote"', '\uFEFFbom', '\u0085\u2028'),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  mostly(fc.constant('plain'), fc.oneof(fc.constantFrom('bad \u0001 control', 'bad \uFFFE', 'lone \uD800 surrogate', 'lone \uDC00'), fc.string({ unit: 'binary', maxLength: 8 }))),
);
const decimal = mostly(fc.constantFrom('0', '1', '12.50', '0.5', '99999.125', ''), fc.constantFrom('007', '1.', '.5', ' 12', '12 ', '+3', '-0', '-12.5', '1e3', '１２', '0.0'));
const extraName = mostly(fc.constantFrom('TAM_TINH', 'GHI_CHU', 'Z_X', 'a.b-c', '__proto__'), fc.constantFrom('x:y', 'schema', 'Tên', '1BAD'));
const rowArb = fc.record(
  {
    MA_GC: fc.oneof(fc.integer({ min: 0, max: 3000 }).map(String), fc.constantFrom('007', '7', '10', 'A1', 'B-2', '12345678901234567890', 'Ω1', '\uE000', '😀'), mostly(fc.constant('1'), fc.constant(' 1'))),
    MA_DDO: fc.oneof(fc.constantFrom('P1', 'P2', 'P10', 'PD0100123', 'Ánh'), mostly(fc.constant('P3'), fc.constant('P\u00A0'))),
    LOAI_BCS: mostly(fc.constantFrom('KT', 'BT', 'CD', 'TD', 'VC', 'SG', 'XX'), fc.constantFrom('kt', 'KTXX')),
    MA_CTO: fc.constantFrom('C1', 'C2', '', 'Ω', '😀', '\uE000', 'C10'),
    TEN_KHANG: awkwardText,
    DIA_CHI: awkwardText,
    CS_CU: mostly(fc.constantFrom('0', '1', '12.50', '99999.125'), decimal),
    CS_MOI: decimal,
    SL_MOI: mostly(decimal, fc.constant('-3')),
    TTR_MOI: mostly(fc.constantFrom('', 'Q', 'C'), fc.constantFrom(' Q', 'Z', 'q')),
    NGAY_CU: mostly(fc.constantFrom('2024-06-30T00:00:00', ''), fc.constantFrom('2024-06-30', '2024-06-30T00:00:00+07:00', '2024-02-30T00:00:00', ' 2024-06-30T00:00:00')),
    KIMUA_CSPK: mostly(fc.constantFrom('0', '1', ''), fc.constantFrom('true', '2')),
    HSN: mostly(fc.constantFrom('1', '40', '1.5'), fc.constantFrom('0', '0.0')),
    NAM: mostly(fc.constant('2024'), fc.constantFrom('2023', ' 2024', '02024')),
    extra: fc.dictionary(extraName, awkwardText, { maxKeys: 2 }),
  },
  { requiredKeys: [] },
);

function rowOf(i: number, r: Record<string, unknown>): Cells {
  const { extra, ...own } = r as Cells & { extra?: Cells };
  const cells: Cells = { ...base(i), ...own };
  for (const [name, value] of Object.entries(extra ?? {})) Object.defineProperty(cells, name, { value, enumerable: true, writable: true, configurable: true });
  return cells;
}

describe('writeCellBytes gives the plain writers’ bytes', () => {
  it('for canonical rows with XML special characters, Vietnamese text, empty cells and unknown columns', () => {
    const rows = [
      { ...base(2), TEN_KHANG: 'Trần & Con <Công ty> "TNHH"', DIA_CHI: 'Số 1\r\nngõ 2, Hà Nội 😀', MA_TRAM: '', GHI_CHU: 'ghi, chú', TAM_TINH: '1' },
      { ...base(1), TEN_KHANG: '', CS_MOI: '', SL_MOI: '', TTR_MOI: 'Q', MA_CTO: '' },
      { ...base(10), LOAI_BCS: 'BT', SL_THAO: '-12.5', PMAX: '3.25', NGAY_PMAX: '2024-07-12T08:30:00' },
      { ...base(10), LOAI_BCS: 'KT', MA_GC: '011', Z_X: '' },
      { ...base(3), MA_GC: 'B-2', LOAI_BCS: 'SG', TEN_KHANG: 'tab\there "quoted", and more' },
    ];
    const cells = byteCells(rows);
    const fast = writeCellBytes(book, cells);
    const slow = plain(rows);
    if (!('ok' in slow)) throw slow.error;
    expect(fast).toBeDefined();
    expect(fast!.xml.toString('utf8')).toBe(slow.ok.xml.toString('utf8'));
    expect(fast!.csv.equals(slow.ok.csv)).toBe(true);
    expect(readsBackExactly(fast!.xml, cells, fast!.order)).toBe(true);
  });

  it('for random books: the same bytes, or no bytes where the plain writers refuse or validate with the schema', () => {
    let written = 0;
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 12 }), (raw) => {
        const rows = raw.map((r, i) => rowOf(i, r));
        const cells = byteCellsOrNot(rows);
        const fast = cells === undefined ? undefined : writeCellBytes(book, cells);
        const slow = plain(rows);
        if (cells === undefined || fast === undefined) {
          // The plain way either refuses, or accepts after the schema (a value not in canonical form),
          // or meets something the byte path leaves to it (a non-ASCII or odd unknown column name).
          return;
        }
        written++;
        if (!('ok' in slow)) throw new Error(`the byte path wrote a book the plain writers refuse: ${String(slow.error)}`);
        expect(fast.xml.equals(slow.ok.xml)).toBe(true);
        expect(fast.csv.equals(slow.ok.csv)).toBe(true);
        expect(readsBackExactly(fast.xml, cells, fast.order)).toBe(true);
      }),
      { numRuns: 400 },
    );
    expect(written).toBeGreaterThan(100);
  });

  it('for texts that grow the most (every byte a reference, every byte a doubled quote)', () => {
    const rows = [
      { ...base(1), TEN_KHANG: '&'.repeat(40_000), DIA_CHI: '"'.repeat(30_000), GHI_CHU: '<>'.repeat(20_000) },
      { ...base(2), TEN_KHANG: '\r'.repeat(10_000) },
    ];
    const cells = byteCells(rows);
    const fast = writeCellBytes(book, cells);
    const slow = plain(rows);
    if (!('ok' in slow)) throw slow.error;
    expect(fast!.xml.equals(slow.ok.xml)).toBe(true);
    expect(fast!.csv.equals(slow.ok.csv)).toBe(true);
    expect(readsBackExactly(fast!.xml, cells, fast!.order)).toBe(true);
  });

  it('writes nothing for a row of another book, a character XML cannot carry, or a value an import refuses', () => {
    const cases: Cells[][] = [
      [{ ...base(1), MA_QUYEN: 'Q13' }],
      [{ ...base(1), NAM: '2023' }],
      [{ ...base(1), TEN_KHANG: 'a\u0001b' }],
      [{ ...base(1), DIA_CHI: 'x\uFFFFy' }],
      [{ ...base(1), CS_MOI: 'abc' }],
      [(({ HSN: _h, ...r }) => r)(base(1))],
    ];
    for (const rows of cases) {
      const cells = byteCellsOrNot(rows);
      expect(cells === undefined ? undefined : writeCellBytes(book, cells)).toBeUndefined();
      expect('error' in plain(rows)).toBe(true);
    }
  });
});

describe('rowsAccepted is canonicalCells and the book check, on bytes', () => {
  const tricky = fc.constantFrom(
    '', ' ', '0', '00', '1', '-1', '-0', '-0.0', '1.0', '1.', '.1', '12345678901234567890123456789012', '1'.repeat(31), '0.' + '1'.repeat(31), '9'.repeat(30) + '.' + '9'.repeat(30),
    '2024-07-31T00:00:00', '2024-07-31', '2024-07-31T00:00:00Z', '2024-13-01T00:00:00', '\u00A02024-07-31T00:00:00', 'Q', 'q', 'QQ', 'X', '0', '1', 'true',
    'PD0100', 'pd0100', 'PD010', 'PD01000', 'Q12', 'Q.1-_x', 'Q 1', 'KT', 'KTX', 'K', 'ABCD', '999999999', '1000000000', '3', '4', '12', '13', '1899', '1900', '2999', '3000',
    '１', 'Ánh', 'a\u2003b', '\t', '😀', '123456789012345678', '1234567890123456789',
  );
  it('for any value in any column of an otherwise canonical row', () => {
    fc.assert(
      fc.property(fc.nat(CMIS_COLUMNS.length - 1), fc.option(tricky, { nil: undefined }), (i, v) => {
        const row: Cells = { ...base(1), SLUONG_1: '300', PMAX: '2', NGAY_PMAX: '2024-07-01T10:00:00', SL_THAO: '1', SO_HO: '1', MA_COT: 'c', SO_HOM: 's' };
        const column = CMIS_COLUMNS[i] as string;
        if (v === undefined) delete row[column];
        else row[column] = v;
        const values = CMIS_COLUMNS.map((c) => row[c]);
        const own = row['MA_DVIQLY'] === book.unitCode && row['MA_QUYEN'] === book.bookCode && row['NAM'] === '2024' && row['THANG'] === '7' && row['KY'] === '2';
        expect(rowsAccepted(book, byteCells([row]))).toBe(canonicalCells(values) && own);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('byte cells read a row as JSON.parse does', () => {
  it('scanned or parsed, for any object of strings', () => {
    const value = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom('"', '\\', '\n', '\u001f', '{}', ''));
    const name = fc.oneof(fc.constantFrom(...CMIS_COLUMNS), fc.constantFrom('TAM_TINH', 'X"Y', 'a\\b', 'Tên', ''));
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { maxLength: 10 }), (pairs) => {
        const object: Cells = {};
        for (const [n, v] of pairs) Object.defineProperty(object, n, { value: v, enumerable: true, writable: true, configurable: true });
        const line = JSON.stringify(object);
        const text = Buffer.from(line, 'utf8');
        const cells = new ByteCells(text, text.length, 1);
        const scanned = scanJsonObject(cells, 0, 0, text.length);
        let ok = true;
        if (scanned !== text.length) ok = fillFromObject(cells, 0, JSON.parse(line) as Record<string, unknown>);
        if (!ok) {
          // only a lone surrogate has no UTF-8
          expect(Object.values(object).some((v) => /[\uD800-\uDFFF]/.test(v))).toBe(true);
          return;
        }
        expect({ ...cells.cellsOf(0) }).toEqual(JSON.parse(line));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('readsBackExactly', () => {
  const rows = [
    { ...base(2), TEN_KHANG: 'Trần & Con <Công ty>', DIA_CHI: 'Số 1\r\nngõ 2 😀', GHI_CHU: 'ghi chú' },
    { ...base(1), TEN_KHANG: '', CS_MOI: '', TTR_MOI: 'Q' },
    { ...base(3), MA_GC: 'B-2' },
  ];
  const cells = byteCells(rows);
  const fast = writeCellBytes(book, cells)!;
  const slow = plain(rows);
  if (!('ok' in slow)) throw slow.error;
  const text = fast.xml.toString('utf8');
  const check = (t: string | Buffer): boolean => readsBackExactly(typeof t === 'string' ? Buffer.from(t, 'utf8') : t, cells, fast.order);

  it('vouches for the file written, and for nothing that reads back otherwise', () => {
    expect(check(fast.xml)).toBe(true);
    expect(check(text.replace('<CS_CU>10000.5', '<CS_CU>10000.6'))).toBe(false);
    expect(check(text.replace(/ {4}<TEN_KHANG \/>\r\n/, ''))).toBe(false);
    expect(check(text.replace('&amp;', '&'))).toBe(false);
    expect(check(text.replace('&lt;', '<'))).toBe(false);
    expect(check(text.replace('&#xD;', '\r'))).toBe(false);
    expect(check(text.replace('&gt;', '>'))).toBe(false); // well-formed, reads the same: not vouched for here, the full reader decides
    expect(slow.ok.readsBack(Buffer.from(text.replace('&gt;', '>'), 'utf8'))).toBeUndefined();
    expect(check(text + '\r\n')).toBe(false);
    expect(check(text.replace('</NewDataSet>', ''))).toBe(false);
    expect(check(Buffer.concat([fast.xml.subarray(0, 200), Buffer.from([0xc3]), fast.xml.subarray(201)]))).toBe(false);
  });

  it('never vouches for a damaged file that the full reader refuses or reads otherwise', () => {
    const pieces = ['<', '>', '&', '&amp;', '&#xD;', '&#x41;', '</Table1>', '<Table1>', ' ', '\r', '\n', '\t', ']]>', '\u0001', '\uFFFE', 'x', 'Ánh', '<!-- c -->', '<![CDATA[x]]>', '"'];
    let vouched = 0;
    fc.assert(
      fc.property(fc.nat(text.length), fc.nat(6), fc.constantFrom(...pieces), (at, cut, piece) => {
        const damaged = Buffer.from(text.slice(0, at) + piece + text.slice(Math.min(text.length, at + cut)), 'utf8');
        if (!check(damaged)) return;
        vouched++;
        expect(slow.ok.readsBack(damaged)).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
    // Some damage leaves the same document (a piece put back where it was cut): those are vouched for.
    expect(vouched).toBeLessThan(2000);
  });

  it('never vouches for bytes damaged at random', () => {
    fc.assert(
      fc.property(fc.nat(fast.xml.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const damaged = Buffer.from(fast.xml);
        damaged[at] = byte;
        if (check(damaged)) expect(damaged.equals(fast.xml)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
