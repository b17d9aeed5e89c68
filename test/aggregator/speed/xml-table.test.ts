import { describe, expect, it } from 'vitest';
import { isCmisError } from '../../../src/aggregator/cmis/index.js';
import { xmlElement, xmlText, writeXml } from '../../../src/aggregator/cmis/xml.js';
import { writeTableXml } from '../../../src/aggregator/cmis/xml-write.js';
import { toCsv } from '../../../src/aggregator/cmis/csv.js';

type Rows = [string, string][][];

function viaTree(rows: Rows, options = {}): string {
  return writeXml(
    xmlElement('NewDataSet', rows.map((cells) => xmlElement('Table1', cells.map(([n, v]) => xmlElement(n, v === '' ? [] : [xmlText(v)]))))),
    options,
  );
}

describe('writeTableXml', () => {
  const cases: Record<string, Rows> = {
    'plain rows': [[['MA_DDO', 'PD01000123456001'], ['CS_MOI', '123.4']], [['MA_DDO', 'PD01000123457001'], ['CS_MOI', '5']]],
    'empty texts and an empty row': [[['TTR_MOI', ''], ['TEN_KHANG', 'Nguyễn Văn Ánh 😀']], []],
    'text to escape': [[['DIA_CHI', 'Số 5 & 7 <ngõ> "12"\r\nCầu Giấy\t']]],
    'no rows': [],
  };
  for (const [name, rows] of Object.entries(cases)) {
    it(`writes what writeXml writes for the same tree: ${name}`, () => {
      const options = { declaration: { encoding: 'utf-8', standalone: 'yes' as const } };
      expect(writeTableXml('NewDataSet', 'Table1', rows, options)).toBe(viaTree(rows, options));
      expect(writeTableXml('NewDataSet', 'Table1', rows, { declaration: false, newline: '\n', indent: '\t' })).toBe(
        viaTree(rows, { declaration: false, newline: '\n', indent: '\t' }),
      );
    });
  }

  it('refuses a character XML 1.0 cannot carry, and a bad column name, as CMIS_XML_UNWRITABLE', () => {
    for (const rows of [[[['TEN_KHANG', 'a\u0001b']]], [[['TEN_KHANG', 'x\uD800y']]], [[['1BAD', 'v']]]] as Rows[]) {
      let error: unknown;
      try {
        writeTableXml('NewDataSet', 'Table1', rows);
      } catch (e) {
        error = e;
      }
      expect(isCmisError(error) && error.code === 'CMIS_XML_UNWRITABLE').toBe(true);
    }
  });

  it('names the code point it refuses, as writeXml does', () => {
    expect(() => writeXml(xmlElement('A', [xmlText('ok\uFFFEz')]))).toThrow(/U\+FFFE/);
    expect(() => writeTableXml('R', 'T', [[['A', 'ok\uFFFEz']]])).toThrow(/U\+FFFE/);
  });
});

describe('toCsv', () => {
  it('quotes only fields that need it and ends every record in CRLF', () => {
    expect(toCsv([['a', 'b,c', 'say "hi"', 'x\ny'], [], ['']])).toBe('a,"b,c","say ""hi""","x\ny"\r\n\r\n\r\n');
  });
});
