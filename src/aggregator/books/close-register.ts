import { consumption } from '../rules/consumption.js';
import { estimateRead, onFailedRead } from '../rules/estimate.js';
import { compare, parseDecimal } from '../rules/decimal.js';

/**
 * Closing one register of one metering point at its book's cutoff (issue: "at cutoff every register of
 * every metering point of the book gets its new index"). The order of preference:
 *   1. the meter's own billing snapshot taken at the period end (exact by construction);
 *   2. otherwise the read nearest the period end within a tolerance, with the gap recorded;
 *   3. otherwise an estimate (tạm tính) from recent consumption × days, marked estimated — at most two
 *      periods in a row; the third goes to the field-read list instead.
 * Consumption then follows the CMIS rules (HSN, rollover, statuses).
 */
export interface RegisterToClose {
  meteringPoint: string;
  meterId: string;
  bcs: string;
  /** CS_CU as exact decimal text, kWh. */
  oldIndex: string;
  multiplier: string;
  /** SLUONG_1..3, most recent first. */
  recentConsumptions: (string | null)[];
  /** Estimated periods just before this one. */
  estimatesInARow: number;
  /** Digits of the register, for rollover (Q); derived from CS_CU when absent. */
  registerDigits?: number;
}

export interface CandidateRead {
  /** kWh as exact decimal text. */
  value: string;
  /** Meter time of the value (capture time for a snapshot). */
  meterTime: number;
  kind: 'billing-snapshot' | 'register';
  readId: string;
}

export interface CloseOptions {
  /** The instant the period ends (00:00 local after the reading day). */
  periodEnd: number;
  /** How far from the period end a plain read may be and still stand for it. */
  toleranceMs: number;
  /** Days the period covers (for estimates). */
  periodDays: number;
}

export type ClosedRegister =
  | {
      outcome: 'read';
      source: 'billing-snapshot' | 'nearest-read';
      newIndex: string;
      status: '' | 'Q';
      consumption: string;
      readId: string;
      /** Meter time minus period end, ms (0 for a snapshot at the boundary). */
      gapMs: number;
    }
  | { outcome: 'estimated'; newIndex: string; status: '' | 'Q'; consumption: string; estimateNumber: number; kwhPerDay: string }
  | { outcome: 'field-read'; reason: { vi: string; en: string } }
  /** A read exists but breaks the billing rules (index went down without a status): an operator decides. */
  | { outcome: 'needs-review'; newIndex: string; reason: { vi: string; en: string }; readId: string };

const SNAPSHOT_SLACK_MS = 2 * 60_000;

function pick(candidates: readonly CandidateRead[], options: CloseOptions): { read: CandidateRead; source: 'billing-snapshot' | 'nearest-read' } | undefined {
  // A snapshot counts when it was captured at the period boundary (the meter's clock may be a little off).
  const snapshot = candidates
    .filter((c) => c.kind === 'billing-snapshot' && Math.abs(c.meterTime - options.periodEnd) <= Math.max(SNAPSHOT_SLACK_MS, Math.min(options.toleranceMs, 3_600_000)))
    .sort((a, b) => Math.abs(a.meterTime - options.periodEnd) - Math.abs(b.meterTime - options.periodEnd))[0];
  if (snapshot) return { read: snapshot, source: 'billing-snapshot' };
  const nearest = candidates
    .filter((c) => c.kind === 'register' && Math.abs(c.meterTime - options.periodEnd) <= options.toleranceMs)
    .sort((a, b) => Math.abs(a.meterTime - options.periodEnd) - Math.abs(b.meterTime - options.periodEnd) || a.meterTime - b.meterTime)[0];
  return nearest ? { read: nearest, source: 'nearest-read' } : undefined;
}

/** Whether old → new looks like a wrap of a register of `digits` digits rather than a meter going back. */
function isRollover(oldIndex: string, newIndex: string, digits: number): boolean {
  const o = Number(oldIndex);
  const n = Number(newIndex);
  const full = 10 ** digits;
  // Wrapped if the advance through the wrap is small compared with the register's range.
  return n < o && full - o + n < full / 10;
}

export function closeRegister(register: RegisterToClose, candidates: readonly CandidateRead[], options: CloseOptions): ClosedRegister {
  const chosen = pick(candidates, options);
  if (chosen) {
    const { read, source } = chosen;
    const digits = register.registerDigits ?? String(Math.trunc(Number(register.oldIndex))).length;
    const lower = compare(parseDecimal(read.value), parseDecimal(register.oldIndex)) < 0;
    const status: '' | 'Q' = lower && isRollover(register.oldIndex, read.value, digits) ? 'Q' : '';
    if (lower && status === '') {
      return {
        outcome: 'needs-review',
        newIndex: read.value,
        readId: read.readId,
        reason: {
          vi: `Chỉ số mới ${read.value} nhỏ hơn chỉ số cũ ${register.oldIndex}: kiểm tra treo tháo hoặc công tơ`,
          en: `new index ${read.value} is below the old index ${register.oldIndex}: check for a meter swap or a faulty meter`,
        },
      };
    }
    const c = consumption({ oldIndex: register.oldIndex, newIndex: read.value, multiplier: register.multiplier, status, registerDigits: digits });
    return { outcome: 'read', source, newIndex: c.newIndex, status, consumption: c.consumption, readId: read.readId, gapMs: read.meterTime - options.periodEnd };
  }
  const action = onFailedRead(register.estimatesInARow);
  if (action.action === 'field-read') return { outcome: 'field-read', reason: action.reason };
  const estimate = estimateRead({
    oldIndex: register.oldIndex,
    multiplier: register.multiplier,
    days: options.periodDays,
    basis: { kind: 'recent', consumptions: register.recentConsumptions },
    ...(register.registerDigits !== undefined ? { registerDigits: register.registerDigits } : {}),
  });
  return { outcome: 'estimated', newIndex: estimate.newIndex, status: estimate.status, consumption: estimate.consumption, estimateNumber: action.estimateNumber, kwhPerDay: estimate.kwhPerDay };
}
