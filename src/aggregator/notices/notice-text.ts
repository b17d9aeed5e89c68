import type { LocalDate } from '../rules/local-time.js';

/**
 * The text of a customer notice (B7), in Vietnamese, one per metering point: the period, and per register
 * the old and new index and the consumption, with "tạm tính" on estimated values. Pure. Kept short (an SMS)
 * but with the Vietnamese diacritics: a customer must read the numbers and words without guessing; the
 * SMS gateway that sends it decides the encoding (UCS-2) and the splitting.
 */
export interface NoticeRegister {
  /** LOAI_BCS: KT, BT, CD, TD, VC … */
  bcs: string;
  oldIndex: string;
  newIndex: string;
  /** The billed consumption (HSN applied), exact decimal text. */
  consumption: string;
  estimated: boolean;
}

export interface NoticeContent {
  meteringPoint: string;
  customerCode: string | null;
  /** First and last day of the period the read closes (local dates). */
  periodFirstDay: LocalDate;
  periodLastDay: LocalDate;
  registers: readonly NoticeRegister[];
}

/** Register names as printed on Vietnamese bills; an unknown code is shown as is. */
const BCS_NAMES: Record<string, string> = {
  KT: 'Tổng',
  BT: 'Bình thường',
  CD: 'Cao điểm',
  TD: 'Thấp điểm',
  VC: 'Vô công',
};
/** The order a bill lists them in. */
const BCS_ORDER = ['KT', 'BT', 'CD', 'TD', 'VC'];

const unitOf = (bcs: string) => (bcs === 'VC' ? 'kvarh' : 'kWh');
const day = (d: LocalDate) => `${String(d.day).padStart(2, '0')}/${String(d.month).padStart(2, '0')}/${d.year}`;
const rank = (bcs: string) => (BCS_ORDER.includes(bcs) ? BCS_ORDER.indexOf(bcs) : BCS_ORDER.length);

export function noticeText(c: NoticeContent): string {
  const who = c.customerCode === null ? `Điểm đo ${c.meteringPoint}` : `Khách hàng ${c.customerCode}, điểm đo ${c.meteringPoint}`;
  const parts = [`Thông báo chỉ số điện kỳ ${day(c.periodFirstDay)}-${day(c.periodLastDay)}. ${who}.`];
  const registers = [...c.registers].sort((a, b) => rank(a.bcs) - rank(b.bcs) || a.bcs.localeCompare(b.bcs));
  // A household has the total only: no register names, the shortest text.
  const named = registers.length > 1 || registers[0]?.bcs !== 'KT';
  for (const r of registers) {
    const mark = r.estimated ? ' (tạm tính)' : '';
    const line = `chỉ số cũ ${r.oldIndex}, chỉ số mới ${r.newIndex}${mark}, điện năng tiêu thụ ${r.consumption} ${unitOf(r.bcs)}${mark}.`;
    parts.push(named ? `${BCS_NAMES[r.bcs] ?? r.bcs} (${r.bcs}): ${line}` : capitalize(line));
  }
  if (registers.some((r) => r.estimated)) {
    parts.push('Chỉ số tạm tính do chưa đọc được công tơ; sẽ được điều chỉnh theo chỉ số thực tế kỳ sau.');
  }
  return parts.join(' ');
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
