import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bookRowToRaw, type CmisBookRow } from '../../../src/aggregator/cmis/book-row.js';
import { parseBookXml, writeBookCsv, writeBookFiles, writeBookXml, type CmisBook } from '../../../src/aggregator/cmis/book-file.js';
import { readXml } from '../../../src/aggregator/cmis/xml-read.js';
import * as legacy from './legacy/book-file.js';
import { readXml as legacyReadXml } from './legacy/xml-read.js';

/**
 * The fast writers and readers against the code they replaced (copied under ./legacy): the same bytes
 * out, the same rows or the same error in, for the sample CMIS book and for random ones.
 */
const FIXTURE = readFileSync(fileURLToPath(new URL('../../fixtures/cmis/D018328-2017-7-1.xml', import.meta.url)));
const NAME = 'D018328-2017-7-1.xml';

function outcome(f: () => unknown): unknown {
  try {
    return { ok: JSON.parse(JSON.stringify(f())) };
  } catch (e) {
    const err = e as { code?: string; message?: string; context?: unknown };
    return { code: err.code, message: err.message, context: err.context };
  }
}

const book: CmisBook = { unitCode: 'PD0100', bookCode: 'Q12', year: 2024, month: 7, subPeriod: 2 };
const registers = ['KT', 'BT', 'CD', 'TD', 'VC', 'SG', 'XX'];
const decimal = fc.oneof(fc.constantFrom('0', '1', '12.50', '0.5', '99999.125'), fc.integer({ min: 0, max: 1e9 }).map(String));
const freeText = fc.oneof(fc.string(), fc.constantFrom('Nguyễn Văn Ánh', 'a & b <c> "d"', 'x\r\ny', ' spaced ', ''));
const rowArb = fc.record(
  {
    MA_GC: fc.oneof(fc.integer({ min: 0, max: 3000 }).map(String), fc.constantFrom('007', '7', '10', 'A1', 'B-2', '12345678901234567890')),
    MA_DDO: fc.constantFrom('P1', 'P2', 'P10', 'PD0100123'),
    LOAI_BCS: fc.constantFrom(...registers),
    MA_CTO: fc.option(fc.constantFrom('C1', 'C2', ''), { nil: undefined }),
    TEN_KHANG: fc.option(freeText, { nil: undefined }),
    DIA_CHI: fc.option(freeText, { nil: undefined }),
    CS_CU: decimal,
    CS_MOI: fc.option(decimal, { nil: undefined }),
    SL_MOI: fc.option(fc.oneof(decimal, fc.constant('-12.5')), { nil: undefined }),
    TTR_MOI: fc.option(fc.constantFrom('', 'Q'), { nil: undefined }),
    NGAY_MOI: fc.option(fc.constant('2024-07-31T00:00:00'), { nil: undefined }),
    KIMUA_CSPK: fc.option(fc.constantFrom(0 as const, 1 as const), { nil: undefined }),
    extra: fc.option(fc.dictionary(fc.constantFrom('TAM_TINH', 'GHI_CHU', 'Z_X'), freeText, { maxKeys: 2 }), { nil: undefined }),
  },
  { requiredKeys: ['MA_GC', 'MA_DDO', 'LOAI_BCS', 'CS_CU'] },
);
const typedRow = (r: Record<string, unknown>): CmisBookRow => {
  const row = { MA_DVIQLY: book.unitCode, MA_QUYEN: book.bookCode, HSN: '1', KY: book.subPeriod, THANG: book.month, NAM: book.year, ...r } as CmisBookRow & { extra?: Record<string, string> };
  if (row.extra !== undefined && Object.keys(row.extra).length === 0) delete row.extra;
  return row;
};

describe('fast CMIS book writers give the bytes the tree writer gave', () => {
  it('for the sample CMIS book', () => {
    const { book: b, rows } = legacy.parseBookXml(FIXTURE, NAME);
    expect(writeBookXml(b, rows)).toBe(legacy.writeBookXml(b, rows));
    expect(writeBookCsv(b, rows)).toBe(legacy.writeBookCsv(b, rows));
    const files = writeBookFiles(b, rows.map((r) => Object.fromEntries(bookRowToRaw(r))));
    expect(files.xml).toBe(legacy.writeBookXml(b, rows));
    expect(files.csv).toBe(legacy.writeBookCsv(b, rows));
    expect(files.readsBack(Buffer.from(files.xml, 'utf8'))).toBeUndefined();
  });

  it('for random books (route order, registers, extras, escaping)', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 30 }), (raw) => {
        const rows = raw.map(typedRow);
        const old = outcome(() => legacy.writeBookXml(book, rows));
        expect(outcome(() => writeBookXml(book, rows))).toEqual(old);
        expect(outcome(() => writeBookCsv(book, rows))).toEqual(outcome(() => legacy.writeBookCsv(book, rows)));
        if (typeof old === 'object' && old !== null && 'ok' in old) {
          const files = writeBookFiles(book, rows.map((r) => Object.fromEntries(bookRowToRaw(r))));
          expect(files.xml).toBe(old.ok);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('readsBack names a cell that does not read back', () => {
    const { book: b, rows } = legacy.parseBookXml(FIXTURE, NAME);
    const files = writeBookFiles(b, rows.map((r) => Object.fromEntries(bookRowToRaw(r))));
    const tampered = files.xml.replace(/<CS_CU>(\d+)/, '<CS_CU>9$1');
    expect(files.readsBack(tampered)).toMatch(/^row 1 \(line \d+\): column CS_CU reads back "9/);
    expect(files.readsBack(files.xml.replace(/ {4}<TEN_KHANG>[^\r]*\r\n/, ''))).toMatch(/column TEN_KHANG reads back absent/);
  });
});

describe('fast readers read what the tree reader read', () => {
  it('the sample book, as bytes and as UTF-16', () => {
    expect(outcome(() => parseBookXml(FIXTURE, NAME))).toEqual(outcome(() => legacy.parseBookXml(FIXTURE, NAME)));
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(FIXTURE.toString('utf8').replace('utf-8', 'utf-16'), 'utf16le')]);
    expect(outcome(() => parseBookXml(utf16, NAME))).toEqual(outcome(() => legacy.parseBookXml(utf16, NAME)));
  });

  it('books damaged at random: the same rows or the same error', () => {
    const text = FIXTURE.toString('utf8');
    const pieces = ['<', '>', '&', '&amp;', '</Table1>', '<Table1>', '<X>', 'x', ' ', '\r', ']]>', '<!DOCTYPE r>', '<CS_CU>abc</CS_CU>', '<!-- c -->', '<![CDATA[q]]>', '\u0001', '<NAM>2016</NAM>'];
    fc.assert(
      fc.property(fc.nat(text.length), fc.nat(40), fc.constantFrom(...pieces), (at, cut, piece) => {
        const damaged = text.slice(0, at) + piece + text.slice(Math.min(text.length, at + (cut % 4)));
        expect(outcome(() => parseBookXml(damaged, NAME))).toEqual(outcome(() => legacy.parseBookXml(damaged, NAME)));
      }),
      { numRuns: 400 },
    );
  });

  it('random XML: the same tree or the same error', () => {
    const token = fc.constantFrom('<a>', '</a>', '<b x="1">', '</b>', '<c/>', 'text', '&amp;', '&#x1EC7;', '&bad;', '<!-- c -->', '<?pi x?>', '<![CDATA[<]]>', ' ', '\n', '\r\n', '<a y=\'\t&#9;\'>', '<xs:schema>', '</xs:schema>');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 12 }), (tokens) => {
        const doc = '<r>' + tokens.join('') + '</r>';
        const opts = { source: 'f.xml', skipElement: (n: string) => n === 'xs:schema' };
        expect(outcome(() => readXml(doc, opts))).toEqual(outcome(() => legacyReadXml(doc, opts)));
      }),
      { numRuns: 1000 },
    );
  });
});
