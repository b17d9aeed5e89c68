import { describe, it, expect } from 'vitest';
import { screenConsumption } from './screening.js';
import { CmisError } from '../cmis/errors.js';

const screen = (sl: string, slCu: string, options = {}) => screenConsumption({ consumption: sl, previousConsumption: slCu }, options);

describe('screening against SL_CU (default ±30 %)', () => {
  it.each([
    ['1299', false, 'under-30', 'up', '29.9'],
    ['1300', true, '30-50', 'up', '30.0'],
    ['1499', true, '30-50', 'up', '49.9'],
    ['1500', true, '50-100', 'up', '50.0'],
    ['1999', true, '50-100', 'up', '99.9'],
    ['2000', true, '100-plus', 'up', '100.0'],
    ['701', false, 'under-30', 'down', '-29.9'],
    ['700', true, '30-50', 'down', '-30.0'],
    ['500', true, '50-100', 'down', '-50.0'],
    ['0', true, '100-plus', 'down', '-100.0'],
    ['1000', false, 'under-30', 'same', '0.0'],
  ])('SL %s against SL_CU 1000 → flagged %s, band %s', (sl, flagged, band, direction, change) => {
    const r = screen(sl, '1000');
    expect(r).toMatchObject({ screened: true, flagged, band, direction, requiresCustomerConfirmation: false });
    expect(r.evidence.changePercent).toBe(change);
  });

  it('is exact at the boundary: 29.9 % never rounds into the 30 % band', () => {
    expect(screen('129.99', '100')).toMatchObject({ flagged: false, band: 'under-30' });
    expect(screen('130', '100')).toMatchObject({ flagged: true, band: '30-50', ratio: 1.3 });
  });

  it('explains itself in Vietnamese and English, with the evidence and thresholds used', () => {
    const r = screen('1300', '1000');
    expect(r.reason.en).toBe('KT consumption 1300 kWh is up 30.0 % against 1000.00 kWh in the previous period — band 30–50 %, abnormal');
    expect(r.reason.vi).toBe('Sản lượng KT 1300 kWh tăng 30,0 % so với 1000,00 kWh kỳ trước — mức 30–50 %, bất thường');
    expect(r.evidence).toEqual({ register: 'KT', consumption: '1300', previousConsumption: '1000', expectedConsumption: '1000.00', changePercent: '30.0' });
    expect(r.thresholds).toEqual({
      mode: 'percent',
      upPercent: '30',
      downPercent: '30',
      zeroBaseKwh: '0',
      perDay: false,
      confirmationBaseKwh: '400',
      confirmationIncreasePercent: '200',
    });
  });

  it('takes the up and down thresholds separately', () => {
    const options = { upPercent: 20, downPercent: '40' };
    expect(screen('1200', '1000', options)).toMatchObject({ flagged: true, band: 'under-30' });
    expect(screen('1199', '1000', options).flagged).toBe(false);
    expect(screen('650', '1000', options)).toMatchObject({ flagged: false, band: '30-50' });
    expect(screen('600', '1000', options).flagged).toBe(true);
  });

  it('or an absolute kWh band', () => {
    const options = { mode: 'absolute' as const, upKwh: 100, downKwh: 50 };
    expect(screen('1099', '1000', options).flagged).toBe(false);
    expect(screen('1100', '1000', options).flagged).toBe(true);
    expect(screen('951', '1000', options).flagged).toBe(false);
    expect(screen('950', '1000', options).flagged).toBe(true);
    expect(screen('60', '0', options).flagged).toBe(false); // SL_CU 0: the up band is the threshold
    expect(screen('101', '0', options).flagged).toBe(true);
    expect(() => screen('1', '1', { mode: 'absolute' })).toThrow(CmisError);
  });
});

describe('SL_CU = 0', () => {
  it('flags any consumption above the threshold', () => {
    expect(screen('0', '0')).toMatchObject({ flagged: false, band: 'under-30', ratio: null });
    const r = screen('50', '0');
    expect(r).toMatchObject({ flagged: true, band: '100-plus', ratio: null, direction: 'up' });
    expect(r.reason.en).toBe("previous period's consumption was 0, this period 50 kWh (above the 0 kWh threshold)");
    expect(screen('50', '0', { zeroBaseKwh: 100 }).flagged).toBe(false);
    expect(screen('101', '0', { zeroBaseKwh: 100 }).flagged).toBe(true);
  });
});

describe('SL_CU ≥ 400 kWh and increase ≥ 200 % → the customer confirms', () => {
  it.each([
    ['1200', '400', true],
    ['1199', '400', false],
    ['1500', '399', false],
    ['3000', '1000', true],
    ['2999', '1000', false],
  ])('SL %s against SL_CU %s → %s', (sl, slCu, confirm) => {
    const r = screen(sl, slCu);
    expect(r.requiresCustomerConfirmation).toBe(confirm);
    expect(r.flagged).toBe(true);
    if (confirm) expect(r.reason.vi).toContain('cần khách hàng xác nhận chỉ số');
  });
});

describe('per-day normalisation', () => {
  it('does not flag the longer first month-end period when the daily rate is unchanged', () => {
    // Read on 14 June, then on 31 July (the move to month-end): 47 days against the usual 30.
    const input = { consumption: '470', previousConsumption: '300', days: 47, previousDays: 30 };
    expect(screenConsumption(input)).toMatchObject({ flagged: true, band: '50-100' });
    const r = screenConsumption(input, { perDay: true });
    expect(r).toMatchObject({ flagged: false, band: 'under-30', ratio: 1, direction: 'same' });
    expect(r.evidence).toMatchObject({ expectedConsumption: '470.00', changePercent: '0.0', days: 47, previousDays: 30 });
    expect(screenConsumption({ ...input, consumption: '611' }, { perDay: true })).toMatchObject({ flagged: true, band: '30-50' });
    expect(screenConsumption({ ...input, consumption: '610' }, { perDay: true }).flagged).toBe(false); // 610/47 vs 10/day: 29.79 %
  });

  it('needs both period lengths', () => {
    expect(() => screenConsumption({ consumption: '1', previousConsumption: '1', days: 30 }, { perDay: true })).toThrow(/previousDays/);
  });
});

describe('registers other than KT', () => {
  it('are not screened', () => {
    const r = screenConsumption({ register: 'CD', consumption: '5000', previousConsumption: '100' });
    expect(r).toMatchObject({ screened: false, flagged: false, requiresCustomerConfirmation: false });
    expect(r.reason.en).toBe('register CD is not screened (KT only)');
  });
});
