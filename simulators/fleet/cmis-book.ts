import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bookRows, type BookRow } from './book-rows.js';
import type { YearMonth } from './fleet-time.js';
import type { GroundTruth } from './ground-truth.js';

/**
 * CMIS book files as CMIS hands them out (DOMAIN.md "CMIS exchange"): the .NET DataSet layout written by
 * DataSet.WriteXml with its inline schema — `<NewDataSet>`, the `xs:schema`, then one `<Table1>` per meter
 * register — UTF-8, CRLF line ends, two-space indentation, an empty value as `<X />`, named
 * `<book>-<year>-<month>-<sub-period>.xml`. Written here by hand, not with the aggregator's writer: the
 * simulator plays CMIS, and the aggregator's reader must accept what CMIS sends.
 */

/** Columns in the order CMIS sends them, with their DataSet schema types. */
const COLUMNS: [string, string][] = [
  ['MA_DVIQLY', 'string'], ['MA_QUYEN', 'string'], ['MA_GC', 'string'], ['MA_TRAM', 'string'], ['MA_KHANG', 'string'],
  ['MA_DDO', 'string'], ['MA_NVGCS', 'string'], ['MA_CTO', 'string'], ['SERY_CTO', 'string'], ['LOAI_BCS', 'string'],
  ['LOAI_CS', 'string'], ['BOCSO_ID', 'long'], ['TEN_KHANG', 'string'], ['DIA_CHI', 'string'], ['MA_NN', 'string'],
  ['SO_HO', 'decimal'], ['HSN', 'decimal'], ['CS_CU', 'decimal'], ['TTR_CU', 'string'], ['SL_CU', 'decimal'],
  ['SL_TTIEP', 'decimal'], ['NGAY_CU', 'dateTime'], ['CS_MOI', 'decimal'], ['TTR_MOI', 'string'], ['SL_MOI', 'decimal'],
  ['CHUOI_GIA', 'string'], ['KY', 'short'], ['THANG', 'short'], ['NAM', 'int'], ['NGAY_MOI', 'dateTime'],
  ['NGUOI_GCS', 'string'], ['SL_THAO', 'decimal'], ['KIMUA_CSPK', 'short'], ['MA_COT', 'string'], ['SLUONG_1', 'decimal'],
  ['SLUONG_2', 'decimal'], ['SLUONG_3', 'decimal'], ['SO_HOM', 'string'], ['PMAX', 'decimal'], ['NGAY_PMAX', 'dateTime'],
];

const CRLF = '\r\n';

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function schemaLines(): string[] {
  return [
    '  <xs:schema id="NewDataSet" xmlns="" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:msdata="urn:schemas-microsoft-com:xml-msdata">',
    '    <xs:element name="NewDataSet" msdata:IsDataSet="true" msdata:UseCurrentLocale="true">',
    '      <xs:complexType>',
    '        <xs:choice minOccurs="0" maxOccurs="unbounded">',
    '          <xs:element name="Table1">',
    '            <xs:complexType>',
    '              <xs:sequence>',
    ...COLUMNS.map(([name, type]) => `                <xs:element name="${name}" type="xs:${type}" minOccurs="0" />`),
    '              </xs:sequence>',
    '            </xs:complexType>',
    '          </xs:element>',
    '        </xs:choice>',
    '      </xs:complexType>',
    '    </xs:element>',
    '  </xs:schema>',
  ];
}

/** One book's XML text (encode as UTF-8). Columns absent from a row are left out, as CMIS does. */
export function bookXml(rows: readonly BookRow[]): string {
  const lines = ['<?xml version="1.0" encoding="utf-8" standalone="yes"?>', '<NewDataSet>', ...schemaLines()];
  for (const row of rows) {
    const values = new Map(row);
    lines.push('  <Table1>');
    for (const [name] of COLUMNS) {
      const v = values.get(name);
      if (v === undefined) continue;
      lines.push(v === '' ? `    <${name} />` : `    <${name}>${escapeText(v)}</${name}>`);
    }
    lines.push('  </Table1>');
  }
  lines.push('</NewDataSet>');
  return lines.join(CRLF) + CRLF;
}

export function bookFileNameOf(bookCode: string, ym: YearMonth, subPeriod = 1): string {
  return `${bookCode}-${ym.year}-${ym.month}-${subPeriod}.xml`;
}

/** Writes every book of the fleet for one month into `dir`; returns the paths written. */
export function writeBooks(truth: GroundTruth, dir: string, ym: YearMonth): string[] {
  mkdirSync(dir, { recursive: true });
  return truth.plan.books.map((book) => {
    const path = join(dir, bookFileNameOf(book.code, ym));
    writeFileSync(path, bookXml(bookRows(truth, book, ym)), 'utf8');
    return path;
  });
}
