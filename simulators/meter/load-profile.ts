import { MS_PER_DAY, MS_PER_MINUTE } from './local-time.js';
import type { SimulatedMeter } from './meter-model.js';

/**
 * The load profile (1.0.99.1.0.255): at the end of every capture period of the meter's clock, a row of
 * {clock, status, import total, export total}. Rows are computed, not recorded, but a reading wants
 * ~1 900 of them at once (40 days × 48), so the rows already computed are kept in flat number arrays and
 * each read only computes the intervals that have closed since the previous read and drops those that
 * left the window. The arrays are cleared when faults or clock settings change.
 */

/** Profile status byte per row, as in the IDIS/DSMR "AMR profile status". */
export const PROFILE_STATUS = {
  criticalError: 0x01,
  clockInvalid: 0x02,
  dataNotValid: 0x04,
  daylightSaving: 0x08,
  clockAdjusted: 0x20,
  powerDown: 0x80,
} as const;

export interface LoadProfileRow {
  /** Meter clock of the capture: the end of the interval. */
  stamp: number;
  /** True instant of the capture. */
  capturedAt: number;
  status: number;
  /** Register units, as 1.0.1.8.0.255 / 1.0.2.8.0.255 showed them then. */
  importTotal: number;
  exportTotal: number;
}

export class LoadProfileLog {
  private key = '';
  private stamps: number[] = [];
  private captured: number[] = [];
  private status: number[] = [];
  private imports: number[] = [];
  private exports: number[] = [];
  /** Every stamp up to this one has been considered (rows may be missing during a power failure). */
  private scannedTo = -Infinity;

  constructor(private readonly meter: SimulatedMeter) {}

  rows(t: number): LoadProfileRow[] {
    const m = this.meter;
    const periodMs = m.capturePeriodS * 1000;
    const off = m.utcOffsetMinutes * MS_PER_MINUTE;
    const floorAligned = (x: number): number => Math.floor((x + off) / periodMs) * periodMs - off;
    const clockNow = m.clockAt(t);
    const last = floorAligned(clockNow);
    const first = Math.max(
      floorAligned(clockNow - m.loadProfileDays * MS_PER_DAY) + periodMs,
      floorAligned(m.clockAt(m.installedAt)) + periodMs,
    );
    if (this.key !== m.stateKey || last < this.scannedTo) this.reset(m.stateKey);
    this.dropBefore(first);
    for (let s = Math.max(first, this.scannedTo + periodMs); s <= last; s += periodMs) {
      if (!this.capture(s, periodMs, t)) break; // not yet captured in true time: try again next read
      this.scannedTo = s;
    }
    const out: LoadProfileRow[] = [];
    for (let i = 0; i < this.stamps.length; i++) {
      out.push({
        stamp: this.stamps[i]!,
        capturedAt: this.captured[i]!,
        status: this.status[i]!,
        importTotal: this.imports[i]!,
        exportTotal: this.exports[i]!,
      });
    }
    return out;
  }

  /** Captures the row of `stamp` if there is one; false when its instant is still in the future. */
  private capture(stamp: number, periodMs: number, t: number): boolean {
    const m = this.meter;
    const at = m.clock.captureInstant(stamp);
    if (at > t) return false;
    if (at < m.installedAt) return true;
    const powerFailures = m.faults.enabled('power-failure');
    const inOutage = (x: number): boolean => powerFailures.some((f) => f.from! <= x && x < (f.until ?? Infinity));
    if (inOutage(at)) return true; // no supply, no capture
    const prev = m.clock.captureInstant(stamp - periodMs);
    let status = 0;
    if (powerFailures.some((f) => f.from! <= at && (f.until ?? Infinity) > prev)) status |= PROFILE_STATUS.powerDown;
    if (m.clock.clockSets().some((s) => s.at > prev && s.at <= at)) status |= PROFILE_STATUS.clockAdjusted;
    if (m.clockStatusAt(at) & 0x01) status |= PROFILE_STATUS.clockInvalid;
    const r = m.registersAt(at);
    this.stamps.push(stamp);
    this.captured.push(at);
    this.status.push(status);
    this.imports.push(r.importTotal);
    this.exports.push(r.exportTotal);
    return true;
  }

  private dropBefore(first: number): void {
    let n = 0;
    while (n < this.stamps.length && this.stamps[n]! < first) n++;
    if (n === 0) return;
    for (const a of [this.stamps, this.captured, this.status, this.imports, this.exports]) a.splice(0, n);
  }

  private reset(key: string): void {
    this.key = key;
    this.stamps = [];
    this.captured = [];
    this.status = [];
    this.imports = [];
    this.exports = [];
    this.scannedTo = -Infinity;
  }
}
