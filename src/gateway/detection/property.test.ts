import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RegisterValue } from '../model.js';
import { detectAnomalies } from './anomalies.js';
import { emptyAnomalyState, type AnomalyEvent } from './anomaly-state.js';
import { MS_PER_HOUR } from './local-time.js';
import { assertWireEvent, goodRead, historyOf, testMeter, vn } from './test-fixtures.js';
import { DEFAULT_THRESHOLDS } from './thresholds.js';

const meter = testMeter();
const TARIFFS = ['1.0.1.8.1.255', '1.0.1.8.2.255', '1.0.1.8.3.255'];

/** Truncate exact milli-kWh to `decimals` fraction digits, as a meter display does. */
function shown(milli: bigint, decimals: number): string {
  const unit = 10n ** BigInt(3 - decimals);
  const t = milli / unit;
  const s = t.toString().padStart(decimals + 1, '0');
  return decimals === 0 ? s : `${s.slice(0, -decimals)}.${s.slice(-decimals)}`;
}

describe('healthy monotonic meters (property)', () => {
  it('never produce negative-advance, rollover or tariff-sum anomalies', () => {
    fc.assert(
      fc.property(
        fc.record({
          start: fc.array(fc.bigInt({ min: 0n, max: 30_000_000n }), { minLength: 3, maxLength: 3 }),
          steps: fc.array(
            fc.record({ hours: fc.integer({ min: 1, max: 72 }), add: fc.array(fc.bigInt({ min: 0n, max: 50_000n }), { minLength: 3, maxLength: 3 }) }),
            { minLength: 1, maxLength: 25 },
          ),
          decimals: fc.constantFrom(0, 1, 2, 3),
        }),
        ({ start, steps, decimals }) => {
          const tariffs = [...start];
          let at = vn(2024, 7, 1);
          const kept: [number, string][] = [];
          let state = emptyAnomalyState();
          const events: AnomalyEvent[] = [];
          for (const step of steps) {
            at += step.hours * MS_PER_HOUR;
            step.add.forEach((a, i) => (tariffs[i] = tariffs[i]! + a));
            const total = tariffs.reduce((s, v) => s + v, 0n);
            const registers: RegisterValue[] = [
              { obis: '1.0.1.8.0.255', bcs: 'KT', value: shown(total, decimals), unit: 'kWh' },
              ...tariffs.map((v, i) => ({ obis: TARIFFS[i]!, bcs: null, value: shown(v, decimals), unit: 'kWh' as const })),
            ];
            const r = detectAnomalies({
              meter,
              read: goodRead(meter.id, at, registers),
              history: historyOf(meter.id, '1.0.1.8.0.255', kept.slice(-16)),
              state,
              thresholds: DEFAULT_THRESHOLDS,
            });
            state = r.state;
            events.push(...r.events);
            kept.push([at, registers[0]!.value]);
          }
          events.forEach(assertWireEvent);
          const codes = events.map((e) => e.code);
          expect(codes).not.toContain('negative-advance');
          expect(codes).not.toContain('rollover');
          expect(codes).not.toContain('tariff-sum-mismatch');
        },
      ),
      { numRuns: 300 },
    );
  });
});
