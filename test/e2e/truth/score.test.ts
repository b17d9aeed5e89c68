import { describe, expect, it } from 'vitest';
import type { GroundTruthFile, MeterTruthRecord } from '../../../simulators/fleet/ground-truth.js';
import { canonicalDecimal, sameDecimal, scoreRun, type ScoreInput } from './score.js';

const END = Date.parse('2026-11-01T00:00:00+07:00');
const CUTOFF = END + 23 * 3_600_000;
const values = (kt: string) => ({ KT: kt, BT: '0', CD: '0', TD: '0', VC: '0', export: '0' });

function meter(id: string, faults: MeterTruthRecord['faults'] = [], kt = '100.5'): MeterTruthRecord {
  return {
    id, serial: id, meteringPoint: `P${id}`, customerCode: `K${id}`, customerName: 'x', bookCode: 'B1', routeOrder: 1, gateway: 'g',
    connection: { kind: 'tcp', host: '127.0.0.1', wrapper: true, wPort: 1 }, authentication: { clientSap: 17, password: 'p' }, model: 'M', scalerWh: 1,
    multiplier: 1, profile: 'household', registers: [], installedAt: '2026-01-01T00:00:00.000+07:00', faults,
    periodEnds: [{ period: '2026-10', at: '2026-11-01T00:00:00.000+07:00', values: values(kt) }],
  };
}
const silent = { kind: 'silent' as const, from: '2026-09-30T06:00:00.000+07:00', until: null, params: {}, expected: ['offline' as const], notExpected: [] };
const stuck = { kind: 'stuck' as const, from: '2026-10-05T06:00:00.000+07:00', until: null, params: {}, expected: ['no-advance' as const], notExpected: [] };

/** Two healthy-ish meters read exactly, one silent meter estimated and flagged offline, one stuck meter flagged. */
function good(): ScoreInput {
  const meters = [meter('A'), meter('B', [stuck], '7'), meter('C', [silent])];
  const truth = { version: 1, seed: 1, start: '', speed: 1, unitCode: 'PD0100', readingDay: 'last', tou: [], gateways: [], meters } as unknown as GroundTruthFile;
  const row = (id: string) => ({ bookId: 1, meteringPoint: `P${id}`, bcs: 'KT', readingType: 'DDK', meterId: id });
  const out = (id: string, idx: string, mark = false) => ({ meteringPoint: `P${id}`, bcs: 'KT', readingType: 'DDK', meterId: id, newIndex: idx, estimateMark: mark });
  return {
    truth,
    books: [{ id: 1, code: 'B1', year: 2026, month: 10, periodEnd: END, cutoffAt: CUTOFF, readingDayStart: END - 86_400_000, exported: [out('A', '100.500'), out('B', '7'), out('C', '55', true)] }],
    bookRows: [row('A'), row('B'), row('C')],
    closings: [
      { bookId: 1, meteringPoint: 'PA', bcs: 'KT', outcome: 'read', source: 'billing-snapshot', newIndex: '100.500', readMeterId: 'A' },
      { bookId: 1, meteringPoint: 'PB', bcs: 'KT', outcome: 'read', source: 'billing-snapshot', newIndex: '7.0', readMeterId: 'B' },
      { bookId: 1, meteringPoint: 'PC', bcs: 'KT', outcome: 'estimated', source: null, newIndex: '55', readMeterId: null },
    ],
    flags: [],
    events: [
      { type: 'meter-offline', gatewayId: 'g', meterId: 'C', meteringPoint: 'PC', code: null, at: Date.parse('2026-10-03T12:00:00+07:00') },
      { type: 'anomaly', gatewayId: 'g', meterId: 'B', meteringPoint: 'PB', code: 'no-advance', anomalyState: 'raised', at: Date.parse('2026-10-08T12:00:00+07:00') },
    ],
    preCutoff: [],
    stream: {
      reads: [1, 2, 3].map((seq) => ({ readId: `r${seq}`, gatewayId: 'g', epoch: 'e1', seq })),
      positions: [{ gatewayId: 'g', epoch: 'e1', lastAcceptedSeq: 3 }],
      outboxLeft: [{ gatewayId: 'g', pending: 0 }],
    },
  };
}

describe('truth scoring', () => {
  it('compares decimals exactly, whatever the trailing zeros', () => {
    expect(canonicalDecimal('0100.500')).toBe('100.5');
    expect(sameDecimal('7', '7.000')).toBe(true);
    expect(sameDecimal('7.001', '7')).toBe(false);
    expect(canonicalDecimal('x')).toBeUndefined();
  });

  it('gives full marks to a run that matches the truth', () => {
    const s = scoreRun(good());
    expect(s.misses).toEqual([]);
    expect([s.coverage.rate, s.exactIndex.rate, s.recall.rate, s.precision.rate, s.offlineBeforeReadingDay.rate]).toEqual([1, 1, 1, 1, 1]);
    expect(s.estimateViolations + s.lossDuplicationProblems).toBe(0);
  });

  it('lowers coverage and names the row when an exported row has no new index', () => {
    const input = good();
    input.books[0]!.exported![1]!.newIndex = '';
    const s = scoreRun(input);
    expect(s.coverage).toMatchObject({ hit: 2, total: 3 });
    expect(s.misses.find((m) => m.figure === 'coverage')?.what).toContain('PB KT');
  });

  it('lowers exact-index when a read differs from the truth', () => {
    const input = good();
    input.closings[0]!.newIndex = '100.499';
    const s = scoreRun(input);
    expect(s.exactIndex).toMatchObject({ hit: 1, total: 2 });
    expect(s.misses.find((m) => m.figure === 'exact-index')?.reason).toContain('≠ truth 100.5');
  });

  it('holds a needs-review closing that carries the meter index to the truth like a read', () => {
    const input = good();
    input.closings[1]!.outcome = 'needs-review';
    expect(scoreRun(input).exactIndex).toMatchObject({ hit: 2, total: 2 });
    input.closings[1]!.newIndex = '6';
    const s = scoreRun(input);
    expect(s.exactIndex).toMatchObject({ hit: 1, total: 2 });
    expect(s.misses.find((m) => m.figure === 'exact-index')?.what).toContain('PB KT');
  });

  it('counts an estimate of a meter that answered, and a missing estimate mark, as violations', () => {
    const input = good();
    input.closings[0]!.outcome = 'estimated';
    input.books[0]!.exported![2]!.estimateMark = false;
    // A estimated while it answered, A exported without the mark, C marked row left unmarked.
    expect(scoreRun(input).estimateViolations).toBe(3);
  });

  it('lowers recall when a fault raised nothing, and precision when a healthy meter is flagged', () => {
    const input = good();
    input.events = input.events.filter((e) => e.code !== 'no-advance');
    input.events.push({ type: 'anomaly', gatewayId: 'g', meterId: 'A', meteringPoint: 'PA', code: 'consumption-spike', anomalyState: 'raised', at: END });
    const s = scoreRun(input);
    expect(s.recall).toMatchObject({ hit: 1, total: 2 });
    expect(s.precision).toMatchObject({ hit: 1, total: 2 });
  });

  it('misses an offline meter reported only on reading day', () => {
    const input = good();
    input.events[0]!.at = END - 3_600_000;
    const s = scoreRun(input);
    expect(s.offlineBeforeReadingDay).toMatchObject({ hit: 0, total: 1 });
  });

  it('finds reads lost, doubled or left in an outbox, and export rows that are not the book rows', () => {
    const input = good();
    input.stream.reads[2] = { readId: 'r1', gatewayId: 'g', epoch: 'e1', seq: 4 };
    input.stream.outboxLeft[0]!.pending = 2;
    input.books[0]!.exported!.push({ ...input.books[0]!.exported![0]! });
    const s = scoreRun(input);
    // r1 twice, a gap 2→4, last seq 4 ≠ position 3, the outbox, the doubled export row.
    expect(s.lossDuplicationProblems).toBe(5);
  });
});
