import { CmisError } from '../cmis/errors.js';

/**
 * The read status (TTR_CU / TTR_MOI) codes of DOMAIN.md and how each one computes consumption:
 * - `difference`: SL = (CS_MOI − CS_CU) × HSN (normal, C, K, H, G, T);
 * - `rollover`:   SL = (10^digits − CS_CU + CS_MOI) × HSN (Q);
 * - `zero`:       SL = 0 and CS_MOI := CS_CU (U, L, D, X, M, V).
 * `explainsLowerIndex` says whether a new index below the old one is accepted under the status: Q by
 * definition; C/H (burnt/broken: the register is not trustworthy) and T (the customer's earlier
 * self-reported index was too high) give a negative SL, i.e. a correction credited on the bill.
 * Normal, K (stuck: the register does not move, let alone back) and G (moving a meter does not change
 * its register) do not, and such a read is refused.
 */
export type StatusCode = '' | 'Q' | 'C' | 'K' | 'H' | 'G' | 'T' | 'U' | 'V' | 'M' | 'D' | 'L' | 'X';

export type ConsumptionRule = 'difference' | 'rollover' | 'zero';

export interface StatusInfo {
  readonly code: StatusCode;
  readonly vi: string;
  readonly en: string;
  readonly rule: ConsumptionRule;
  readonly explainsLowerIndex: boolean;
}

const info = (code: StatusCode, vi: string, en: string, rule: ConsumptionRule, explainsLowerIndex = false): StatusInfo => ({
  code,
  vi,
  en,
  rule,
  explainsLowerIndex,
});

export const STATUS_CODES: Readonly<Record<StatusCode, StatusInfo>> = {
  '': info('', 'Bình thường', 'normal', 'difference'),
  Q: info('Q', 'Công tơ quay vòng (qua số 0)', 'register rolled over', 'rollover', true),
  C: info('C', 'Công tơ cháy', 'meter burnt', 'difference', true),
  K: info('K', 'Công tơ kẹt (đứng)', 'meter stuck', 'difference'),
  H: info('H', 'Công tơ hỏng', 'meter broken', 'difference', true),
  G: info('G', 'Công tơ di chuyển', 'meter moved', 'difference'),
  T: info('T', 'Khách hàng tự báo chỉ số', 'index reported by the customer', 'difference', true),
  U: info('U', 'Không sử dụng điện', 'not used', 'zero'),
  V: info('V', 'Vắng nhà, không ghi được', 'customer absent', 'zero'),
  M: info('M', 'Mất công tơ', 'meter lost', 'zero'),
  D: info('D', 'Ngừng cấp điện', 'disconnected', 'zero'),
  L: info('L', 'Lý do khác (L)', 'other (L)', 'zero'),
  X: info('X', 'Lý do khác (X)', 'other (X)', 'zero'),
};

export function isStatusCode(value: string): value is StatusCode {
  return Object.prototype.hasOwnProperty.call(STATUS_CODES, value);
}

/** A status as CMIS writes it: empty or absent is normal; surrounding blanks are ignored. */
export function parseStatus(value: string | undefined | null): StatusCode {
  const code = (value ?? '').trim();
  if (!isStatusCode(code)) {
    throw new CmisError('CMIS_BAD_STATUS', `status ${JSON.stringify(value)} is not a TTR code (empty, Q, C, K, H, G, T, U, V, M, D, L or X)`);
  }
  return code;
}

export function statusInfo(value: string | undefined | null): StatusInfo {
  return STATUS_CODES[parseStatus(value)];
}
