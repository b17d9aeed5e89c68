import { ANOMALY_CODES, type AnomalyCode } from '../../wire/events.js';
import { isZero, parseDecimal } from '../rules/decimal.js';
import { screenConsumption, type ScreeningOptions } from '../rules/screening.js';
import type { OpenAnomaly } from './book-reads.js';
import type { ClosingDraft, FlagDraft, FlagSeverity } from './closing-store.js';

/**
 * Central screening of a closed book: what an operator must look at before the book goes back to CMIS.
 * Pure: closings, the rows' previous consumption and the gateways' open anomalies in, flags out.
 *
 * | code | raised when | severity | blocks the export |
 * | --- | --- | --- | --- |
 * | `needs-review` | a read broke the billing rules (index went down without a status, a swap without the removed meter's index) | critical | yes |
 * | `customer-confirmation` | KT: SL_CU ≥ 400 kWh and the consumption rose ≥ 200 % (DOMAIN.md) | critical | yes |
 * | `consumption-change` | KT: the consumption moved ≥ 30 % up or down against SL_CU; the band is in the evidence | warning (≥ 100 %: critical) | no |
 * | `zero-base` | KT: SL_CU was 0 and the consumption is above the zero-base threshold | warning | no |
 * | `field-read` | no read, and the point was already estimated twice in a row: read it in the field | warning | no |
 * | `anomaly:<code>` | a gateway anomaly (stuck register, spike, tamper …) still open for the point; bcs `*` | the gateway's | no |
 *
 * Only closings read from the meter are screened: an estimate is an average of the history, so comparing
 * it with that history flags nothing real, and precision of the flags matters as much as recall.
 * Thresholds are the reading tools' defaults unless given (rules/screening.ts).
 */
export type BookScreeningOptions = Omit<ScreeningOptions, 'perDay'>;

export interface ScreenedRow {
  readonly closing: ClosingDraft;
  /** SL_CU of the row; undefined when CMIS sent none (nothing to compare with). */
  readonly previousConsumption: string | undefined;
  /** CS_CU, for the evidence of a needs-review flag. */
  readonly oldIndex: string;
}

const ANOMALY_TEXT: Record<AnomalyCode, { vi: string; en: string }> = {
  'no-advance': { vi: 'công tơ đứng: chỉ số không tăng', en: 'stuck meter: the index does not advance' },
  'negative-advance': { vi: 'chỉ số giảm không có trạng thái giải thích', en: 'the index went backwards without a status explaining it' },
  'consumption-spike': { vi: 'sản lượng tăng đột biến', en: 'consumption spike' },
  'consumption-drop': { vi: 'sản lượng giảm đột biến', en: 'consumption drop' },
  'tariff-sum-mismatch': { vi: 'BT + CD + TD khác KT', en: 'BT + CD + TD does not add up to KT' },
  'clock-drift': { vi: 'đồng hồ công tơ lệch', en: 'meter clock drift' },
  'clock-invalid': { vi: 'đồng hồ công tơ không hợp lệ', en: 'meter clock invalid' },
  'export-on-import-only': { vi: 'có điện năng phát ngược ở khách hàng chỉ mua điện', en: 'export energy on an import-only customer' },
  'meter-event': { vi: 'sự kiện công tơ (mở nắp, từ trường, mất điện …)', en: 'meter event (cover open, magnetic tamper, power failure …)' },
  rollover: { vi: 'thanh ghi quay vòng', en: 'register rollover' },
  'meter-swap-suspected': { vi: 'nghi thay công tơ (treo tháo)', en: 'meter swap suspected' },
  intermittent: { vi: 'kết nối chập chờn: lúc đọc được, lúc không', en: 'unreliable link: some polls answered, some not' },
};

const SEVERITY_RANK: Record<string, number> = { info: 0, warning: 1, critical: 2 };

function closingFlags(row: ScreenedRow): FlagDraft[] {
  const c = row.closing;
  const where = { meteringPoint: c.meteringPoint, bcs: c.bcs };
  const reason = c.detail.reason as { vi: string; en: string } | undefined;
  if (c.outcome === 'needs-review') {
    return [
      {
        ...where,
        code: 'needs-review',
        severity: 'critical',
        blocking: true,
        reason: reason ?? { vi: 'Cần kiểm tra chỉ số', en: 'the read needs review' },
        evidence: { oldIndex: row.oldIndex, newIndex: c.newIndex, readId: c.readId, gapMs: c.gapMs, detail: c.detail },
      },
    ];
  }
  if (c.outcome === 'field-read') {
    return [
      {
        ...where,
        code: 'field-read',
        severity: 'warning',
        blocking: false,
        reason: reason ?? { vi: 'Ghi chỉ số tại hiện trường', en: 'read in the field' },
        evidence: { oldIndex: row.oldIndex, estimatesBefore: c.detail.estimatesBefore ?? null },
      },
    ];
  }
  return [];
}

function consumptionFlag(row: ScreenedRow, options: BookScreeningOptions): FlagDraft | undefined {
  const c = row.closing;
  if (c.outcome !== 'read' || c.bcs !== 'KT' || c.consumption === null || row.previousConsumption === undefined) return undefined;
  const previous = row.previousConsumption.startsWith('-') ? undefined : row.previousConsumption;
  if (previous === undefined) return undefined; // a negative SL_CU is a correction in CMIS, not a history to compare with
  const r = screenConsumption({ register: 'KT', consumption: c.consumption, previousConsumption: previous }, options);
  if (!r.flagged) return undefined;
  const evidence = {
    ...r.evidence,
    band: r.band,
    direction: r.direction,
    ratio: r.ratio,
    thresholds: r.thresholds,
    read: { readId: c.readId, newIndex: c.newIndex, oldIndex: row.oldIndex, source: c.source, gapMs: c.gapMs },
    ...(c.detail.swap === undefined ? {} : { swap: c.detail.swap }),
  };
  const base = { meteringPoint: c.meteringPoint, bcs: c.bcs, reason: r.reason, evidence };
  if (r.requiresCustomerConfirmation) return { ...base, code: 'customer-confirmation', severity: 'critical', blocking: true };
  if (isZero(parseDecimal(previous))) return { ...base, code: 'zero-base', severity: 'warning', blocking: false };
  return { ...base, code: 'consumption-change', severity: r.band === '100-plus' ? 'critical' : 'warning', blocking: false };
}

/** One flag per point and anomaly code; several open anomalies of one code (two meters, two OBIS) go into its evidence. */
function anomalyFlags(anomalies: readonly OpenAnomaly[]): FlagDraft[] {
  const groups = new Map<string, OpenAnomaly[]>();
  for (const a of [...anomalies].sort((x, y) => x.eventId - y.eventId)) {
    const k = `${a.meteringPoint}\u0000${a.code}`;
    groups.set(k, [...(groups.get(k) ?? []), a]);
  }
  const flags: FlagDraft[] = [];
  for (const list of groups.values()) {
    const first = list[0] as OpenAnomaly;
    const text = (ANOMALY_CODES as readonly string[]).includes(first.code) ? ANOMALY_TEXT[first.code as AnomalyCode] : { vi: first.code, en: first.code };
    const severity = list.map((a) => a.severity).reduce((a, b) => ((SEVERITY_RANK[b] ?? 0) > (SEVERITY_RANK[a] ?? 0) ? b : a));
    const meters = [...new Set(list.map((a) => a.meterId ?? '?'))].join(', ');
    flags.push({
      meteringPoint: first.meteringPoint,
      bcs: '*',
      code: `anomaly:${first.code}`,
      severity: (severity in SEVERITY_RANK ? severity : 'warning') as FlagSeverity,
      blocking: false,
      reason: { vi: `Cảnh báo từ gateway: ${text.vi} (công tơ ${meters})`, en: `gateway anomaly: ${text.en} (meter ${meters})` },
      evidence: {
        events: list.map((a) => ({
          eventId: a.eventId,
          gatewayId: a.gatewayId,
          anomalyId: a.anomalyId,
          meterId: a.meterId,
          at: a.at,
          obis: a.body.obis ?? null,
          evidence: a.body.evidence ?? {},
          thresholds: a.body.thresholds ?? {},
        })),
      },
    });
  }
  return flags;
}

/** Every flag of a closed book, in a stable order (rows as given, then anomalies by point and code). */
export function screenBook(rows: readonly ScreenedRow[], anomalies: readonly OpenAnomaly[], options: BookScreeningOptions = {}): FlagDraft[] {
  const flags: FlagDraft[] = [];
  for (const row of rows) {
    flags.push(...closingFlags(row));
    const f = consumptionFlag(row, options);
    if (f !== undefined) flags.push(f);
  }
  flags.push(...anomalyFlags(anomalies).sort((a, b) => (a.meteringPoint < b.meteringPoint ? -1 : a.meteringPoint > b.meteringPoint ? 1 : a.code < b.code ? -1 : a.code > b.code ? 1 : 0)));
  return flags;
}
