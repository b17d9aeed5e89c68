import { addMonths, cmisDate, periodEnd, readingDateOf, type YearMonth } from './fleet-time.js';
import type { GroundTruth, TruthBcs } from './ground-truth.js';
import { billedKwh, formatKwh } from './kwh.js';
import type { PlannedBook, PlannedMeter } from './layout.js';

/**
 * The rows CMIS would send for one book and month, from the ground truth: what CMIS knows when it hands
 * the book out — the indexes read at the previous period end (CS_CU), the consumptions of the last three
 * periods (SL_CU, SLUONG_1..3), the meter and customer data — and an empty new index (CS_MOI 0).
 *
 * A swap announced for the period (treo tháo) shows as two sets of rows for the metering point: the
 * removed meter's, LOAI_CS "THAO", carrying its final index (CS_MOI) and its consumption since the last
 * read (SL_MOI); and the installed meter's, the periodic rows (LOAI_CS "DDK"), carrying its first index as
 * CS_CU from the swap date (NGAY_CU) and the removed meter's consumption as SL_THAO. Only one periodic
 * (DDK) row per point and register, as billing requires.
 */

export type BookRow = [column: string, value: string][];

const HOUSEHOLD_BCS: TruthBcs[] = ['KT'];
const BUSINESS_BCS: TruthBcs[] = ['BT', 'CD', 'TD', 'VC'];

function tariffGroup(m: PlannedMeter): string {
  if (m.profile === 'household') return 'SHBT';
  return m.multiplier > 1 ? 'SXBT' : 'KDDV';
}

function priceString(m: PlannedMeter, bcs: TruthBcs): string {
  if (bcs === 'KT') return 'KT: 100%*SHBT';
  if (bcs === 'VC') return 'VC: 100%*CSPK';
  return `${bcs}: 100%*${m.multiplier > 1 ? 'SX' : 'KD'}${bcs}`;
}

const dateOf = (d: { year: number; month: number; day: number }): string => cmisDate(d.year, d.month, d.day);

function localDate(t: number): string {
  const d = new Date(t + 7 * 3_600_000);
  return cmisDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/** Whether the meter's register wrapped inside (from, to]. */
function wrapped(m: PlannedMeter, from: number, to: number): boolean {
  return m.faults.some((f) => f.kind === 'rollover' && f.from !== undefined && f.from > from && f.from <= to);
}

export function bookRows(truth: GroundTruth, book: PlannedBook, ym: YearMonth): BookRow[] {
  const config = truth.plan.config;
  const rd = config.books.readingDay;
  const ends = [0, 1, 2, 3, 4].map((k) => periodEnd(addMonths(ym, -k), rd));
  const [end, prevEnd, end2, end3, end4] = ends as [number, number, number, number, number];
  const rows: BookRow[] = [];
  const sl = (point: string, bcs: TruthBcs, a: number, b: number): string => billedKwh(truth.pointConsumptionWh(point, bcs, a, b), 1);

  for (const point of book.meteringPoints) {
    const meters = truth.metersOfPoint(point);
    // The meter on the line at the previous period end, and one installed during this period.
    const current = meters.filter((m) => m.installedAt <= prevEnd).pop() ?? meters[0]!;
    const incoming = meters.find((m) => m.installedAt > prevEnd && m.installedAt <= end && m.replaces !== undefined);
    const bcsList = current.profile === 'business' ? BUSINESS_BCS : HOUSEHOLD_BCS;

    for (const bcs of bcsList) {
      const base = (m: PlannedMeter): Record<string, string> => ({
        MA_DVIQLY: config.unitCode,
        MA_QUYEN: book.code,
        MA_GC: String(m.routeOrder),
        MA_TRAM: m.station,
        MA_KHANG: m.customerCode,
        MA_DDO: m.meteringPoint,
        MA_NVGCS: `NV${book.code.slice(1, 3)}01`,
        MA_CTO: m.id,
        SERY_CTO: m.serial,
        LOAI_BCS: bcs,
        LOAI_CS: 'DDK',
        BOCSO_ID: String(m.ordinal * 10 + BUSINESS_BCS.concat(HOUSEHOLD_BCS).indexOf(bcs)),
        TEN_KHANG: m.customerName,
        DIA_CHI: m.address,
        MA_NN: tariffGroup(m),
        SO_HO: '1',
        HSN: String(m.multiplier),
        CS_CU: formatKwh(truth.whAt(m.id, prevEnd)[bcs]),
        TTR_CU: wrapped(m, end2, prevEnd) ? 'Q' : '',
        SL_CU: sl(point, bcs, end2, prevEnd),
        SL_TTIEP: '0',
        NGAY_CU: dateOf(readingDateOf(addMonths(ym, -1), rd)),
        CS_MOI: '0',
        TTR_MOI: '',
        SL_MOI: '0',
        CHUOI_GIA: priceString(m, bcs),
        KY: '1',
        THANG: String(ym.month),
        NAM: String(ym.year),
        NGAY_MOI: dateOf(readingDateOf(ym, rd)),
        NGUOI_GCS: '',
        SL_THAO: '0',
        KIMUA_CSPK: m.profile === 'business' ? '1' : '0',
        MA_COT: m.pole,
        SLUONG_1: sl(point, bcs, end2, prevEnd),
        SLUONG_2: sl(point, bcs, end3, end2),
        SLUONG_3: sl(point, bcs, end4, end3),
        SO_HOM: `H${String(Math.ceil(m.routeOrder / 4)).padStart(2, '0')}`,
      });
      if (!incoming) {
        rows.push(Object.entries(base(current)));
        continue;
      }
      const removedAt = current.removedAt ?? incoming.installedAt;
      const removedSl = billedKwh(truth.meterConsumptionWh(current.id, bcs, prevEnd, removedAt) * current.multiplier, 1);
      rows.push(
        Object.entries({
          ...base(current),
          LOAI_CS: 'THAO',
          CS_MOI: formatKwh(truth.whAt(current.id, removedAt)[bcs]),
          SL_MOI: removedSl,
          NGAY_MOI: localDate(removedAt),
        }),
      );
      rows.push(
        Object.entries({
          ...base(incoming),
          CS_CU: formatKwh(truth.whAt(incoming.id, incoming.installedAt)[bcs]),
          TTR_CU: '',
          NGAY_CU: localDate(incoming.installedAt),
          SL_THAO: removedSl,
        }),
      );
    }
  }
  return rows;
}
