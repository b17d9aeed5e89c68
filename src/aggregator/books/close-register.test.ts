import { describe, expect, it } from 'vitest';
import { closeRegister, type CandidateRead, type RegisterToClose } from './close-register.js';

const PERIOD_END = Date.parse('2026-03-31T17:00:00Z'); // 00:00 on 1 April, local time
const options = { periodEnd: PERIOD_END, toleranceMs: 6 * 3_600_000, periodDays: 31 };
const register: RegisterToClose = {
  meteringPoint: 'PD01000012345001',
  meterId: 'CT0001',
  bcs: 'KT',
  oldIndex: '12000',
  multiplier: '1',
  recentConsumptions: ['300', '310', '290'],
  estimatesInARow: 0,
};
const read = (value: string, offsetMs: number, kind: CandidateRead['kind'] = 'register'): CandidateRead => ({ value, meterTime: PERIOD_END + offsetMs, kind, readId: `r${offsetMs}` });

describe('closing a register at cutoff', () => {
  it('takes the billing snapshot at the period end over any nearer plain read', () => {
    const closed = closeRegister(register, [read('12299', -60_000), read('12301.5', 0, 'billing-snapshot'), read('12320', 3_600_000)], options);
    expect(closed).toEqual({ outcome: 'read', source: 'billing-snapshot', newIndex: '12301.5', status: '', consumption: '302', readId: 'r0', gapMs: 0 });
  });

  it('takes the read nearest the period end within the tolerance, recording the gap', () => {
    const closed = closeRegister(register, [read('12250', -5 * 3_600_000), read('12290', -2 * 3_600_000), read('12400', 7 * 3_600_000)], options);
    expect(closed).toMatchObject({ outcome: 'read', source: 'nearest-read', newIndex: '12290', consumption: '290', gapMs: -2 * 3_600_000 });
  });

  it('applies HSN to the consumption', () => {
    const closed = closeRegister({ ...register, multiplier: '40' }, [read('12010.25', 0, 'billing-snapshot')], options);
    expect(closed).toMatchObject({ outcome: 'read', consumption: '410' });
  });

  it('recognises a register rollover (Q) and bills through the wrap', () => {
    const closed = closeRegister({ ...register, oldIndex: '99990' }, [read('00012', 0, 'billing-snapshot')], options);
    expect(closed).toMatchObject({ outcome: 'read', status: 'Q', consumption: '22' });
  });

  it('sends an index that went down without a wrap to an operator, not to billing', () => {
    const closed = closeRegister(register, [read('500', 0, 'billing-snapshot')], options);
    expect(closed.outcome).toBe('needs-review');
  });

  it('estimates from recent consumption when nothing was read, marked as the first estimate', () => {
    const closed = closeRegister(register, [read('12999', -30 * 3_600_000)], options);
    expect(closed).toMatchObject({ outcome: 'estimated', newIndex: '12300', consumption: '300', estimateNumber: 1 });
  });

  it('never estimates a third period in a row: the point goes to the field-read list', () => {
    const closed = closeRegister({ ...register, estimatesInARow: 2 }, [], options);
    expect(closed.outcome).toBe('field-read');
  });
});
