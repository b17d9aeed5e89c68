import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBookXml } from '../../../src/aggregator/cmis/book-file.js';
import type { CmisBookRow } from '../../../src/aggregator/cmis/book-row.js';
import { add, formatDecimal, parseDecimal } from '../../../src/aggregator/rules/decimal.js';
import type { ReadRecord } from '../../../src/wire/index.js';
import { sampleRead } from '../../../src/wire/test-helpers.js';
import { root } from '../../support/processes.js';

/**
 * The book of the page's book test: CMIS's sample DataSet file (D018328, July 2017, read on the 14th: 27
 * periodic rows over 20 metering points, one with HSN 40, one about to roll over) and what its meters sent
 * at the period end. Most registers send their billing snapshot; three send nothing (estimated at the
 * close), two send an index below CS_CU (needs review: a blocking flag each).
 */
export const BOOK_FILE = 'D018328-2017-7-1.xml';
export const BOOK_CODE = 'D018328';
export const bookBytes = (): Buffer => readFileSync(join(root, 'test/fixtures/cmis', BOOK_FILE));

/** Reading day 14: the period ends at 00:00 local on 15 July (17:00 UTC on the 14th), cutoff at 06:00 local. */
export const PERIOD_END_ISO = '2017-07-15T00:00:00+07:00';
export const PERIOD_END = Date.parse(PERIOD_END_ISO);
/** NGAY_MOI of the export: the period's last day. */
export const READ_DATE = '2017-07-14T00:00:00';

const key = (point: string, bcs: string): string => `${point}/${bcs}`;
export const rowKey = (r: Pick<CmisBookRow, 'MA_DDO' | 'LOAI_BCS'>): string => key(r.MA_DDO, r.LOAI_BCS);

/** No read at all: estimated at the close. */
export const UNREAD = [key('PD0100018303001', 'KT'), key('PD0100018311001', 'KT'), key('PD0100018319001', 'TD')];
/** An index below CS_CU, no rollover: needs review. */
export const LOWER: Record<string, string> = { [key('PD0100018301001', 'KT')]: '12000', [key('PD0100018302001', 'KT')]: '4700' };
export const REVIEW_POINT_DISMISSED = 'PD0100018302001';
export const REVIEW_POINT_KEPT = 'PD0100018301001';
/** CS_CU 99990 on a 5-digit register: 150 is a rollover (status Q), 160 kWh. */
export const ROLLOVER = { key: key('PD0100018305001', 'KT'), value: '150', consumption: '160' };

const OBIS: Record<string, string> = { KT: '1.0.1.8.0.255', BT: '1.0.1.8.1.255', CD: '1.0.1.8.2.255', TD: '1.0.1.8.3.255', VC: '1.0.3.8.0.255' };

export interface Planned {
  readonly row: CmisBookRow;
  /** The value the meter sent, or undefined when it sent nothing. */
  readonly value: string | undefined;
  readonly outcome: 'read' | 'estimated' | 'needs-review';
  /** SL_MOI of a read row. */
  readonly consumption?: string;
}

/** Every periodic row of the book with what its meter sends and what the close must make of it. */
export function plan(): Planned[] {
  const { rows } = parseBookXml(bookBytes(), BOOK_FILE);
  return rows
    .filter((r) => (r.LOAI_CS ?? 'DDK') === 'DDK')
    .map((row): Planned => {
      const k = rowKey(row);
      if (UNREAD.includes(k)) return { row, value: undefined, outcome: 'estimated' };
      if (LOWER[k] !== undefined) return { row, value: LOWER[k], outcome: 'needs-review' };
      if (k === ROLLOVER.key) return { row, value: ROLLOVER.value, outcome: 'read', consumption: ROLLOVER.consumption };
      // The same consumption as last period (SL_CU): no screening flag; the index advances SL_CU / HSN.
      const previous = row.SL_CU ?? '0';
      const advance = String(Number(previous) / Number(row.HSN ?? '1'));
      return { row, value: formatDecimal(add(parseDecimal(row.CS_CU), parseDecimal(advance))), outcome: 'read', consumption: formatDecimal(parseDecimal(previous)) };
    });
}

/** The billing snapshots the gateway sends for the planned rows that have a value (kWh, kvarh for VC). */
export function snapshots(gatewayId: string, rows: readonly Planned[]): ReadRecord[] {
  return rows
    .filter((p) => p.value !== undefined)
    .map((p, i) =>
      sampleRead(gatewayId, {
        meterId: p.row.MA_CTO,
        meteringPoint: p.row.MA_DDO,
        customerCode: p.row.MA_DDO.slice(0, 13),
        bookCode: BOOK_CODE,
        routeOrder: i + 1,
        obis: OBIS[p.row.LOAI_BCS]!,
        bcs: p.row.LOAI_BCS as ReadRecord['bcs'],
        kind: 'billing-snapshot',
        meterTime: PERIOD_END_ISO,
        receivedAt: '2017-07-15T00:02:10+07:00',
        value: p.value!,
        unit: p.row.LOAI_BCS === 'VC' ? 'kvarh' : 'kWh',
        scaler: 0,
        quality: ['billing-snapshot'],
        periodStart: '2017-06-15',
        periodEnd: '2017-07-14',
        multiplier: p.row.HSN ?? '1',
      }),
    );
}

/** An aggregator file: reading day 14, no automatic export (the operator exports), books kept in the temp folder. */
export function bookConfigText(dir: string, adminToken: string): string {
  return `aggregator:
  name: book page test
broker:
  embedded: true
  host: 127.0.0.1
  port: 0
topicRoot: chiso/v1
dataDir: ${dir}/data
http:
  host: 127.0.0.1
  port: 0
  adminToken: ${adminToken}
keys:
  privateKeyFile: ${dir}/aggregator.key
  generate: true
calendar:
  readingDays:
    default: 14
books:
  exportDir: ${dir}/books
  autoExport: false
notices:
  enabled: false
metrics: false
logLevel: silent
`;
}
