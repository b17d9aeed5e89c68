import { describe, expect, it } from 'vitest';
import { constantProfile } from './consumption.js';
import { FaultSet } from './faults.js';
import { MS_PER_DAY, MS_PER_HOUR } from './local-time.js';
import { EVENT_CODES, STATUS_BITS } from './meter-events.js';
import { PROFILE_STATUS } from './load-profile.js';
import { meterWithClock, vn } from './test-helpers.js';

const INSTALLED = vn(2025, 1, 6);
const T = INSTALLED + 3 * MS_PER_DAY + 5 * MS_PER_HOUR; // Thursday 05:00
const flat = (): { now: number; profile: ReturnType<typeof constantProfile> } => ({ now: T + 10 * MS_PER_DAY, profile: constantProfile(1000) });

describe('register faults (applied by the model, part of the truth)', () => {
  it('stuck: no advance after T, the truth is the stuck value', () => {
    const { meter } = meterWithClock({ ...flat(), faults: [{ kind: 'stuck', from: T }] });
    const atT = meter.registersAt(T);
    expect(atT.importTotal).toBe(3 * 24_000 + 5_000);
    expect(meter.registersAt(T + 5 * MS_PER_DAY)).toEqual(atT);
    expect(meter.truthAt(T + 9 * MS_PER_DAY).registers).toEqual(atT);
    expect(meter.registersAt(T - MS_PER_HOUR).importTotal).toBe(atT.importTotal - 1_000);
  });

  it('stuck for a window: resumes afterwards without the missed energy', () => {
    const { meter } = meterWithClock({ ...flat(), faults: [{ kind: 'stuck', from: T, until: T + 2 * MS_PER_HOUR }] });
    expect(meter.registersAt(T + 3 * MS_PER_HOUR).importTotal).toBe(3 * 24_000 + 5_000 + 1_000);
  });

  it('backwards: the index jumps down at T (an unannounced swap), then advances again', () => {
    const { meter } = meterWithClock({ ...flat(), initialIndexWh: 5_000_000, faults: [{ kind: 'backwards', from: T, toWh: 1_000 }] });
    const before = meter.registersAt(T - 1);
    const after = meter.registersAt(T);
    expect(before.importTotal).toBe(5_000_000 + 77_000 - 1);
    expect(after.importTotal).toBe(1_000);
    expect(after.T1 + after.T2 + after.T3).toBe(1_000);
    expect(meter.registersAt(T + MS_PER_HOUR).importTotal).toBe(2_000);
  });

  it('rollover: registers wrap at 10^digits', () => {
    const { meter } = meterWithClock({ ...flat(), initialIndexWh: 99_990_000, faults: [{ kind: 'rollover', digits: 8 }] });
    expect(meter.registersAt(INSTALLED + 9 * MS_PER_HOUR).importTotal).toBe(99_999_000);
    expect(meter.registersAt(INSTALLED + 11 * MS_PER_HOUR).importTotal).toBe(1_000);
    expect(meter.registersAt(INSTALLED + 11 * MS_PER_HOUR).T1).toBeLessThan(100_000_000);
  });

  it('spike: consumption × factor inside its window only', () => {
    const window = { from: T, until: T + 2 * MS_PER_HOUR };
    const { meter: plain } = meterWithClock(flat());
    const { meter } = meterWithClock({ ...flat(), faults: [{ kind: 'spike', factor: 4, ...window }] });
    const used = (m: typeof meter, a: number, b: number): number => m.registersAt(b).importTotal - m.registersAt(a).importTotal;
    expect(used(meter, T, T + 2 * MS_PER_HOUR)).toBe(8_000);
    expect(used(plain, T, T + 2 * MS_PER_HOUR)).toBe(2_000);
    expect(used(meter, T - 5 * MS_PER_HOUR, T)).toBe(5_000);
    expect(used(meter, T + 2 * MS_PER_HOUR, T + 7 * MS_PER_HOUR)).toBe(5_000);
    expect(meter.registersAt(T - 1)).toEqual(plain.registersAt(T - 1));
  });

  it('burnt: garbage answers, then silence; the registers stop', () => {
    const { meter } = meterWithClock({ ...flat(), faults: [{ kind: 'burnt', from: T, garbageMs: 60_000 }] });
    expect(meter.faults.answersGarbage(T - 1)).toBe(false);
    expect(meter.faults.answersGarbage(T)).toBe(true);
    expect(meter.faults.isSilent(T + 59_999)).toBe(false);
    expect(meter.faults.isSilent(T + 60_000)).toBe(true);
    expect(meter.registersAt(T + MS_PER_DAY)).toEqual(meter.registersAt(T));
  });

  it('clock-drift fault moves the clock while on', () => {
    const { meter } = meterWithClock({ ...flat(), faults: [{ kind: 'clock-drift', msPerDay: 60_000, from: T, until: T + 2 * MS_PER_DAY }] });
    expect(meter.clockAt(T)).toBe(T);
    expect(meter.clockAt(T + MS_PER_DAY) - (T + MS_PER_DAY)).toBe(60_000);
    expect(meter.clockAt(T + 5 * MS_PER_DAY) - (T + 5 * MS_PER_DAY)).toBe(120_000);
  });

  it('switching a fault off at runtime restores the plain meter', () => {
    const { meter } = meterWithClock(flat());
    const plain = meter.registersAt(T + MS_PER_DAY);
    const id = meter.faults.add({ kind: 'stuck', from: T });
    expect(meter.registersAt(T + MS_PER_DAY).importTotal).toBeLessThan(plain.importTotal);
    meter.faults.setEnabled(id, false);
    expect(meter.registersAt(T + MS_PER_DAY)).toEqual(plain);
    meter.faults.setEnabled(id, true);
    expect(meter.faults.remove(id)).toBe(true);
    expect(meter.registersAt(T + MS_PER_DAY)).toEqual(plain);
  });
});

describe('events and status', () => {
  it('tamper (cover) and magnetic set their bits and log start/end events', () => {
    const { meter } = meterWithClock({
      ...flat(),
      faults: [
        { kind: 'tamper', from: T, until: T + MS_PER_HOUR },
        { kind: 'tamper', tamper: 'magnetic', from: T + 2 * MS_PER_HOUR },
      ],
    });
    expect(meter.statusAt(T - 1)).toBe(0);
    expect(meter.statusAt(T)).toBe(STATUS_BITS.coverOpen);
    expect(meter.statusAt(T + 3 * MS_PER_HOUR)).toBe(STATUS_BITS.magneticTamper);
    expect(meter.events().map((e) => [e.code, e.at])).toEqual([
      [EVENT_CODES.meterCoverRemoved, T],
      [EVENT_CODES.meterCoverClosed, T + MS_PER_HOUR],
      [EVENT_CODES.strongDcFieldDetected, T + 2 * MS_PER_HOUR],
    ]);
    expect(meter.events(T + 30 * 60_000).length).toBe(1);
  });

  it('reverse flow sets bit 3 and logs', () => {
    const { meter } = meterWithClock({ ...flat(), faults: [{ kind: 'reverse-flow', from: T }] });
    expect(meter.statusAt(T) & STATUS_BITS.reverseFlow).toBe(STATUS_BITS.reverseFlow);
    expect(meter.events().map((e) => e.name)).toEqual(['reverseFlowDetected']);
  });

  it('power failure: silent, no counting, no load-profile rows, power-down flags and events', () => {
    const from = T + 10 * 60_000;
    const { meter } = meterWithClock({ ...flat(), faults: [{ kind: 'power-failure', from, until: from + 2 * MS_PER_HOUR }] });
    expect(meter.faults.isSilent(from + MS_PER_HOUR)).toBe(true);
    expect(meter.faults.isSilent(from + 2 * MS_PER_HOUR)).toBe(false);
    expect(meter.registersAt(from + 2 * MS_PER_HOUR).importTotal - meter.registersAt(from).importTotal).toBe(0);
    expect(meter.statusAt(from + 3 * MS_PER_HOUR) & STATUS_BITS.powerFailure).toBe(STATUS_BITS.powerFailure);
    expect(meter.events().map((e) => e.code)).toEqual([EVENT_CODES.powerDown, EVENT_CODES.powerUp]);
    const rows = meter.loadProfileRows().filter((r) => r.stamp >= T && r.stamp <= T + 3 * MS_PER_HOUR);
    expect(rows.map((r) => [(r.stamp - T) / 60_000, r.status])).toEqual([
      [0, 0], // 05:00; down at 05:10, so the captures of 05:30 … 07:00 are lost
      [150, PROFILE_STATUS.powerDown], // 07:30, the first capture after power returned at 07:10
      [180, 0],
    ]);
  });

  it('clock-invalid marks the clock status and the status word', () => {
    const { meter } = meterWithClock({ ...flat(), faults: [{ kind: 'clock-invalid', from: T }] });
    expect(meter.clockStatusAt(T)).toBe(1);
    expect(meter.statusAt(T) & STATUS_BITS.clockInvalid).toBe(STATUS_BITS.clockInvalid);
  });
});

describe('protocol-facing faults', () => {
  it('silent, within its window', () => {
    const f = new FaultSet(1, [{ kind: 'silent', from: 100, until: 200 }]);
    expect([99, 100, 199, 200].map((t) => f.isSilent(t))).toEqual([false, true, true, false]);
  });

  it('slow adds the largest active delay', () => {
    const f = new FaultSet(1, [{ kind: 'slow', delayMs: 300 }, { kind: 'slow', delayMs: 800, from: 50 }]);
    expect(f.responseDelayMs(0)).toBe(300);
    expect(f.responseDelayMs(60)).toBe(800);
  });

  it('corrupt every Nth frame exactly', () => {
    const f = new FaultSet(1, [{ kind: 'corrupt', everyNth: 3 }]);
    expect(Array.from({ length: 9 }, () => f.shouldCorrupt(0))).toEqual([false, false, true, false, false, true, false, false, true]);
  });

  it('corrupt with a probability is seeded: same seed, same frames', () => {
    const run = (): boolean[] => {
      const f = new FaultSet(7, [{ kind: 'corrupt', probability: 0.2 }]);
      return Array.from({ length: 2000 }, () => f.shouldCorrupt(0));
    };
    const a = run();
    expect(run()).toEqual(a);
    const share = a.filter(Boolean).length / a.length;
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.25);
  });

  it('intermittent is a seeded pattern of slots, off about offlineRatio of the time', () => {
    const f = new FaultSet(3, [{ kind: 'intermittent', offlineRatio: 0.3, slotMs: 1000 }]);
    const g = new FaultSet(3, [{ kind: 'intermittent', offlineRatio: 0.3, slotMs: 1000 }]);
    const pattern = Array.from({ length: 5000 }, (_, i) => f.isSilent(i * 1000 + 500));
    expect(Array.from({ length: 5000 }, (_, i) => g.isSilent(i * 1000 + 1))).toEqual(pattern);
    const share = pattern.filter(Boolean).length / pattern.length;
    expect(share).toBeGreaterThan(0.27);
    expect(share).toBeLessThan(0.33);
  });

  it('refuses faults that cannot happen', () => {
    const f = new FaultSet();
    expect(() => f.add({ kind: 'backwards' })).toThrow(/needs from/);
    expect(() => f.add({ kind: 'corrupt' })).toThrow(/probability or everyNth/);
    expect(() => f.add({ kind: 'spike', factor: -1 })).toThrow(/factor/);
    expect(() => f.add({ kind: 'stuck', from: 10, until: 5 })).toThrow(/after from/);
    expect(() => f.add({ kind: 'rollover', digits: 0 })).toThrow(/digits/);
    expect(f.version).toBe(0);
  });
});
