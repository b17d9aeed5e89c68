import { describe, expect, it } from 'vitest';
import { toKiloUnits } from './book-reads.js';
import { screenBook, type ScreenedRow } from './book-screening.js';
import type { ClosingDraft } from './closing-store.js';

const read = (point: string, consumption: string, bcs = 'KT'): ClosingDraft => ({
  meteringPoint: point,
  bcs,
  outcome: 'read',
  source: 'billing-snapshot',
  newIndex: '1',
  status: '',
  consumption,
  readId: `r-${point}`,
  gapMs: 0,
  estimateNumber: null,
  detail: {},
});
const row = (closing: ClosingDraft, previousConsumption: string | undefined): ScreenedRow => ({ closing, previousConsumption, oldIndex: '0' });

describe('screening a closed book', () => {
  it('uses the configured thresholds and leaves estimates and rows without SL_CU alone', () => {
    const rows = [
      row(read('P1', '350'), '300'), // +16.7 %
      row({ ...read('P2', '900'), outcome: 'estimated', source: 'estimate' }, '300'),
      row(read('P3', '900'), undefined),
    ];
    expect(screenBook(rows, [])).toEqual([]);
    const strict = screenBook(rows, [], { upPercent: 15 });
    expect(strict.map((f) => [f.meteringPoint, f.code])).toEqual([['P1', 'consumption-change']]);
    expect(strict[0]?.evidence).toMatchObject({ thresholds: expect.objectContaining({ upPercent: '15' }) });
  });

  it('raises the customer-confirmation flag alone at ≥ 200 % on ≥ 400 kWh, not the ±30 % one besides', () => {
    const flags = screenBook([row(read('P1', '1200'), '400'), row(read('P2', '1199'), '400'), row(read('P3', '1000'), '399')], []);
    expect(flags.map((f) => [f.meteringPoint, f.code, f.blocking])).toEqual([
      ['P1', 'customer-confirmation', true],
      ['P2', 'consumption-change', false],
      ['P3', 'consumption-change', false],
    ]);
  });

  it('groups open anomalies of one code at one point into one flag', () => {
    const anomaly = (eventId: number, meterId: string, severity: string) => ({
      eventId,
      gatewayId: 'GW1',
      anomalyId: `a${eventId}`,
      code: 'meter-event',
      severity,
      meterId,
      meteringPoint: 'P1',
      at: '2026-03-30T00:00:00Z',
      body: { evidence: { event: 'cover-open' }, thresholds: {} },
    });
    const flags = screenBook([], [anomaly(2, 'M2', 'critical'), anomaly(1, 'M1', 'warning')]);
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({ code: 'anomaly:meter-event', bcs: '*', severity: 'critical', blocking: false });
    expect((flags[0]?.evidence.events as { eventId: number }[]).map((e) => e.eventId)).toEqual([1, 2]);
  });
});

describe('read values in kWh', () => {
  it('folds the unit prefix exactly', () => {
    expect(toKiloUnits('1234567', 'Wh')).toBe('1234.567');
    expect(toKiloUnits('1234500', 'Wh')).toBe('1234.5');
    expect(toKiloUnits('12.5', 'kWh')).toBe('12.5');
    expect(toKiloUnits('1.25', 'MWh')).toBe('1250.00');
    expect(toKiloUnits('7', 'varh')).toBe('0.007');
    expect(toKiloUnits('230', 'V')).toBeUndefined();
  });
});
