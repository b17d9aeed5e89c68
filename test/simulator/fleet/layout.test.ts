import { describe, expect, it } from 'vitest';
import { FleetError } from '../../../simulators/fleet/errors.js';
import { EXPECTED_CODES } from '../../../simulators/fleet/fault-plan.js';
import { FLEET_FAULT_KINDS, validateFleetConfig } from '../../../simulators/fleet/fleet-config.js';
import { planFleet } from '../../../simulators/fleet/layout.js';
import { ANOMALY_CODES } from '../../../src/wire/events.js';
import { MeterIdSchema, CmisCodeSchema } from '../../../src/wire/primitives.js';
import { exampleConfig, smallConfig } from './helpers.js';

/** What identifies the layout: ids, serials, places, books, profiles, faults. */
function fingerprint(plan: ReturnType<typeof planFleet>): string {
  return JSON.stringify(plan.meters.map((m) => [m.id, m.serial, m.place, m.bookCode, m.routeOrder, m.profile, m.multiplier, m.initialIndexWh, m.faults]));
}

describe('fleet layout', () => {
  const example = exampleConfig();
  const plan = planFleet(example);

  it('is the same for the same seed and differs for another', () => {
    expect(fingerprint(planFleet(exampleConfig()))).toBe(fingerprint(plan));
    expect(fingerprint(planFleet({ ...example, seed: example.seed + 1 }))).not.toBe(fingerprint(plan));
  });

  it('names meters CT{gateway}{nnnnn}, points PD0100 + customer + 001, and puts each in a book in route order', () => {
    const base = plan.meters.filter((m) => m.replaces === undefined);
    expect(base).toHaveLength(300);
    expect(base[0]).toMatchObject({ id: 'CTGW100001', place: { gateway: 'gw1', kind: 'bus', bus: 'rs485-1', slot: 1 }, routeOrder: 1 });
    expect(base.find((m) => m.id === 'CTGW200001')!.place).toMatchObject({ gateway: 'gw2', kind: 'bus', bus: 'rs485-1', slot: 1 });
    for (const m of plan.meters) {
      expect(MeterIdSchema.safeParse(m.id).success).toBe(true);
      expect(CmisCodeSchema.safeParse(m.meteringPoint).success).toBe(true);
      expect(m.meteringPoint).toBe(`${m.customerCode}001`);
      expect(m.customerCode).toMatch(/^PD0100\d{6}$/);
      expect(m.serial).toMatch(/^\d{8}$/);
    }
    expect(new Set(plan.meters.map((m) => m.id)).size).toBe(plan.meters.length);
    expect(new Set(plan.meters.map((m) => m.serial)).size).toBe(plan.meters.length);
    // 150 meters per gateway, 50 to a book: 3 books each.
    expect(plan.books.map((b) => [b.code, b.gateway, b.meteringPoints.length])).toEqual([
      ['D010001', 'gw1', 50], ['D010002', 'gw1', 50], ['D010003', 'gw1', 50],
      ['D020001', 'gw2', 50], ['D020002', 'gw2', 50], ['D020003', 'gw2', 50],
    ]);
    expect(plan.meters.filter((m) => m.replaces === undefined && m.bookCode === 'D010002').map((m) => m.routeOrder)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('gives households and businesses their shares, each with its meter model', () => {
    const base = plan.meters.filter((m) => m.replaces === undefined);
    expect(base.filter((m) => m.profile === 'business')).toHaveLength(60);
    for (const m of plan.meters) expect(m.model.name).toBe(m.profile === 'business' ? 'CHISO-SIM-3P' : 'CHISO-SIM-1P');
  });

  it('spreads every fault kind, at most one per meter, each with the codes the system should raise', () => {
    const kinds = new Set(plan.meters.flatMap((m) => m.faults.map((f) => f.kind)));
    expect([...kinds].sort()).toEqual([...FLEET_FAULT_KINDS].sort());
    for (const m of plan.meters) expect(m.faults.length).toBeLessThanOrEqual(1);
    const valid = new Set<string>([...ANOMALY_CODES, 'offline', 'bus-silent']);
    for (const f of plan.meters.flatMap((m) => m.faults)) {
      expect(f.expected).toEqual(EXPECTED_CODES[f.kind].expected);
      for (const code of [...f.expected, ...f.notExpected]) expect(valid.has(code)).toBe(true);
    }
    const count = (kind: string) => plan.meters.filter((m) => m.faults.some((f) => f.kind === kind)).length;
    expect(count('stuck')).toBe(3);
    expect(count('bus-cut')).toBe(30); // the whole of gw2/rs485-2
    expect(plan.meters.filter((m) => m.faults.some((f) => f.kind === 'bus-cut')).every((m) => m.place.kind === 'bus' && m.place.bus === 'rs485-2' && m.place.gateway === 'gw2')).toBe(true);
    // The mapping the issue asks for.
    expect(EXPECTED_CODES.stuck.expected).toEqual(['no-advance']);
    expect(EXPECTED_CODES.backwards.expected).toEqual(['negative-advance']);
    expect(EXPECTED_CODES.rollover.expected).toEqual(['rollover']);
    expect(EXPECTED_CODES.spike.expected).toEqual(['consumption-spike']);
    expect(EXPECTED_CODES['clock-drift'].expected).toEqual(['clock-drift']);
    expect(EXPECTED_CODES.tamper.expected).toEqual(['meter-event']);
    expect(EXPECTED_CODES['reverse-flow'].expected).toEqual(['meter-event']);
    for (const k of ['silent', 'intermittent', 'bus-cut', 'burnt'] as const) expect(EXPECTED_CODES[k].expected).toContain('offline');
  });

  it('windows: given times are exact, the others fall 1 to 8 days after start', () => {
    const cut = plan.meters.find((m) => m.faults[0]?.kind === 'bus-cut')!.faults[0]!;
    expect([cut.from, cut.until]).toEqual([plan.start + 2 * 86_400_000, plan.start + 2 * 86_400_000 + 6 * 3_600_000]);
    for (const f of plan.meters.flatMap((m) => m.faults).filter((x) => x.kind === 'stuck' || x.kind === 'swap')) {
      expect(f.from! - plan.start).toBeGreaterThanOrEqual(86_400_000);
      expect(f.from! - plan.start).toBeLessThanOrEqual(9 * 86_400_000);
    }
  });

  it('an announced swap installs a new meter at the same point, place and route, from the swap on', () => {
    const olds = plan.meters.filter((m) => m.faults.some((f) => f.kind === 'swap'));
    expect(olds).toHaveLength(2);
    for (const old of olds) {
      const swapAt = old.faults[0]!.from!;
      const fresh = plan.meters.find((m) => m.replaces === old.id)!;
      expect(old).toMatchObject({ removedAt: swapAt, replacedBy: fresh.id });
      expect(fresh).toMatchObject({ meteringPoint: old.meteringPoint, bookCode: old.bookCode, routeOrder: old.routeOrder, installedAt: swapAt });
      expect(fresh.serial).not.toBe(old.serial);
      expect(fresh.initialIndexWh).toBeLessThan(5000);
      expect(fresh.place.gateway).toBe(old.place.gateway);
      const list = fresh.place.kind === 'bus' ? plan.gateways.find((g) => g.id === fresh.place.gateway)!.buses.find((b) => b.id === (fresh.place as { bus: string }).bus)!.meterIds : plan.gateways.find((g) => g.id === fresh.place.gateway)!.tcp!.meterIds;
      expect(list[fresh.place.slot - 1]).toBe(fresh.id);
    }
  });

  it('meters listed explicitly may carry several faults; unknown ids and impossible counts name the path', () => {
    const two = planFleet(
      smallConfig({
        faults: [
          { kind: 'stuck', meters: ['CTGWA00002'] },
          { kind: 'tamper', meters: ['CTGWA00002'] },
          { kind: 'silent', count: 3 },
        ],
      }),
    );
    expect(two.meters.find((m) => m.id === 'CTGWA00002')!.faults.map((f) => f.kind)).toEqual(['stuck', 'tamper']);
    expect(two.meters.filter((m) => m.faults.some((f) => f.kind === 'silent')).every((m) => m.id !== 'CTGWA00002')).toBe(true);

    expect(() => planFleet(smallConfig({ faults: [{ kind: 'stuck', meters: ['CTGWA00001', 'CTNOPE00001'] }] }))).toThrow(/faults\[0\]\.meters\[1\]: no meter "CTNOPE00001"/);
    expect(() => planFleet(smallConfig({ faults: [{ kind: 'stuck', count: 13 }] }))).toThrow(/faults\[0\]\.count: 13 meter\(s\)/);
    expect(() => planFleet(smallConfig({ faults: [{ kind: 'bus-cut', buses: ['gwa/bus9'] }] }))).toThrow(FleetError);
    expect(() => planFleet(smallConfig({ faults: [{ kind: 'stuck', count: 1, until: '+1h' }] }))).toThrow(/faults\[0\]\.until: \+1h is not after/);
    expect(() => validateFleetConfig({ ...smallConfig(), faults: [{ kind: 'stuck', count: 0 }] })).toThrow(/faults\[0\]\.count/);
  });

  it('puts corrupt frames only on HDLC meters: the TCP wrapper has no frame check to catch them', () => {
    // gwa: 5 on a bus + 3 wrapper TCP; gwb: 4 wrapper TCP. Only the 5 bus meters speak HDLC.
    const plan = planFleet(smallConfig({ faults: [{ kind: 'corrupt', count: 5 }] }));
    const hit = plan.meters.filter((m) => m.faults.some((f) => f.kind === 'corrupt'));
    expect(hit).toHaveLength(5);
    for (const m of hit) expect(m.place.kind).toBe('bus');
    expect(() => planFleet(smallConfig({ faults: [{ kind: 'corrupt', count: 6 }] }))).toThrow(/6 meter\(s\) for "corrupt" but only 5 .*HDLC framing/);
    const tcpMeter = plan.meters.find((m) => m.place.kind === 'tcp')!.id;
    expect(() => planFleet(smallConfig({ faults: [{ kind: 'corrupt', meters: [tcpMeter] }] }))).toThrow(/faults\[0\]\.meters\[0\]: .*TCP wrapper/);
    // HDLC over TCP (a gateway with tcp.wrapper false) is fair game.
    const hdlcTcp = planFleet(smallConfig({ gateways: [{ id: 'gwa', tcp: { meters: 4, wrapper: false } }], faults: [{ kind: 'corrupt', count: 4 }] }));
    expect(hdlcTcp.meters.filter((m) => m.faults.some((f) => f.kind === 'corrupt'))).toHaveLength(4);
  });
});
