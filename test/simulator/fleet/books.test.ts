import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBookXml } from '../../../src/aggregator/cmis/book-file.js';
import type { CmisBookRow } from '../../../src/aggregator/cmis/book-row.js';
import { bookXml } from '../../../simulators/fleet/cmis-book.js';
import { bookRows } from '../../../simulators/fleet/book-rows.js';
import { writeBooks } from '../../../simulators/fleet/cmis-book.js';
import { periodContaining, periodEnd } from '../../../simulators/fleet/fleet-time.js';
import { GroundTruth } from '../../../simulators/fleet/ground-truth.js';
import { billedKwh } from '../../../simulators/fleet/kwh.js';
import { planFleet } from '../../../simulators/fleet/layout.js';
import { buildFleetMeters } from '../../../simulators/fleet/meters.js';
import { exampleConfig } from './helpers.js';

describe('CMIS books', () => {
  const plan = planFleet(exampleConfig());
  const truth = new GroundTruth(plan, buildFleetMeters(plan, () => plan.start));
  const dir = mkdtempSync(join(tmpdir(), 'chiso-fleet-books-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const june = { year: 2025, month: 6 };
  const paths = writeBooks(truth, dir, june);
  const parsed = paths.map((p) => parseBookXml(readFileSync(p), p.split('/').pop()));
  const rows = parsed.flatMap((b) => b.rows);
  const prevEnd = periodEnd({ year: 2025, month: 5 }, 'last');

  it('writes one file per book, named <book>-<year>-<month>-<sub-period>.xml, that the aggregator reads', () => {
    expect(readdirSync(dir).sort()).toEqual(plan.books.map((b) => `${b.code}-2025-6-1.xml`).sort());
    expect(parsed.map((b) => b.book)).toEqual(plan.books.map((b) => ({ unitCode: 'PD0100', bookCode: b.code, year: 2025, month: 6, subPeriod: 1 })));
    const text = readFileSync(paths[0]!, 'utf8');
    expect(text.startsWith('<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n<NewDataSet>\r\n  <xs:schema id="NewDataSet"')).toBe(true);
    expect(text).toContain('    <TTR_CU />\r\n');
  });

  it('has one row per register: KT for households, BT/CD/TD/VC for businesses, in route order', () => {
    const book = parsed[0]!;
    const points = plan.books[0]!.meteringPoints;
    const expected = points.flatMap((p) => {
      const m = truth.metersOfPoint(p)[0]!;
      return (m.profile === 'business' ? ['BT', 'CD', 'TD', 'VC'] : ['KT']).map((bcs) => `${m.routeOrder}/${bcs}`);
    });
    const swapped = new Set(plan.meters.filter((m) => m.replaces && m.installedAt <= periodEnd(june, 'last') && m.installedAt > prevEnd).map((m) => m.meteringPoint));
    const got = book.rows.filter((r) => !swapped.has(r.MA_DDO)).map((r) => `${r.MA_GC}/${r.LOAI_BCS}`);
    expect(got).toEqual(expected.filter((_, i) => !swapped.has(points[Number(expected[i]!.split('/')[0]) - 1]!)));
    for (const r of book.rows) {
      expect(r).toMatchObject({ MA_DVIQLY: 'PD0100', KY: 1, THANG: 6, NAM: 2025, CS_MOI: '0', LOAI_CS: expect.stringMatching(/^(DDK|THAO)$/) });
    }
  });

  it('CS_CU is the true index at the previous period end; SL_CU and SLUONG_1..3 the true consumption before it', () => {
    const plain = rows.filter((r) => r.LOAI_CS === 'DDK' && !truth.planned(r.MA_CTO!).replaces);
    expect(plain.length).toBeGreaterThan(300);
    const ends = [2, 3, 4, 5].map((m) => periodEnd({ year: 2025, month: m }, 'last'));
    for (const r of plain) {
      const bcs = r.LOAI_BCS as 'KT';
      expect(r.CS_CU).toBe(truth.truthAtPeriodEnd(r.MA_CTO!, '2025-05').values[bcs]);
      const sl = (a: number, b: number) => billedKwh(truth.pointConsumptionWh(r.MA_DDO, bcs, a, b), 1);
      expect([r.SL_CU, r.SLUONG_1, r.SLUONG_2, r.SLUONG_3]).toEqual([sl(ends[2]!, ends[3]!), sl(ends[2]!, ends[3]!), sl(ends[1]!, ends[2]!), sl(ends[0]!, ends[1]!)]);
      expect(r).toMatchObject({ NGAY_CU: '2025-05-31T00:00:00', NGAY_MOI: '2025-06-30T00:00:00', HSN: String(truth.planned(r.MA_CTO!).multiplier) });
      expect(Number(r.SL_CU)).toBeGreaterThan(0);
    }
  });

  it('an announced swap: the removed meter with its final index, the new one from its first index', () => {
    const olds = plan.meters.filter((m) => m.faults.some((f) => f.kind === 'swap'));
    for (const old of olds) {
      const fresh = plan.meters.find((m) => m.replaces === old.id)!;
      const ym = periodContaining(fresh.installedAt, 'last');
      const book = plan.books.find((b) => b.code === old.bookCode)!;
      const text = bookXml(bookRows(truth, book, ym));
      const pointRows = parseBookXml(text).rows.filter((r: CmisBookRow) => r.MA_DDO === old.meteringPoint);
      const registers = old.profile === 'business' ? 4 : 1;
      expect(pointRows).toHaveLength(2 * registers);
      const removed = pointRows.find((r) => r.LOAI_CS === 'THAO')!;
      const installed = pointRows.find((r) => r.LOAI_CS === 'DDK')!;
      const bcs = removed.LOAI_BCS as 'KT';
      expect(removed).toMatchObject({ MA_CTO: old.id, SERY_CTO: old.serial, CS_MOI: truth.valuesAt(old.id, old.removedAt!).values[bcs] });
      expect(installed).toMatchObject({ MA_CTO: fresh.id, SERY_CTO: fresh.serial, CS_CU: truth.valuesAt(fresh.id, fresh.installedAt).values[bcs], SL_THAO: removed.SL_MOI });
      expect(Number(installed.CS_CU)).toBeLessThan(5);
      expect(installed.NGAY_CU!.slice(0, 10)).toBe(new Date(fresh.installedAt + 7 * 3_600_000).toISOString().slice(0, 10));
      // The month after, the point is read on the new meter alone.
      const after = parseBookXml(bookXml(bookRows(truth, book, { year: ym.month === 12 ? ym.year + 1 : ym.year, month: (ym.month % 12) + 1 }))).rows.filter((r) => r.MA_DDO === old.meteringPoint);
      expect(after.map((r) => r.MA_CTO)).toEqual(new Array(registers).fill(fresh.id));
    }
  });
});
