import type { RegisterRead } from '../../store/read-history.js';
import type { MeterDefinition, MeterReadSuccess } from '../model.js';
import type { CheckOutcome, Finding, Severity } from './anomaly-state.js';
import { abs, add, cmp, formatDec, integerDigits, mul, numberText, parseDec, pow10Dec, shift, sub, type Dec } from './decimal.js';
import { iso } from './local-time.js';
import { kiloExponent, pointOf, seriesOf } from './series.js';
import type { DetectionThresholds } from './thresholds.js';

export const OBIS = {
  importTotal: '1.0.1.8.0.255',
  exportTotal: '1.0.2.8.0.255',
  clock: '0.0.1.0.0.255',
  status: '0.0.96.5.0.255',
  serial: '0.0.96.1.0.255',
} as const;

const IMPORT_TARIFF = /^1\.0\.1\.8\.([1-9]\d*)\.255$/;

/** The total import register (KT): the model's mapping says which it is; the standard code otherwise. */
export function totalRegister(meter: MeterDefinition): string {
  return meter.registers.find((r) => r.bcs === 'KT')?.obis ?? OBIS.importTotal;
}

/**
 * BT + CD + TD should equal KT. Each register is truncated to its last digit independently, so with n
 * tariff registers KT − ΣT lies in [0, n−1] steps even on a healthy meter (the dropped fractions add up);
 * rounding meters stay within the same band. The allowed difference is therefore
 * tariffSumToleranceUnits × max(1, n−1) steps of the coarsest last digit among the registers.
 */
export function checkTariffSum(meter: MeterDefinition, read: MeterReadSuccess, t: DetectionThresholds): CheckOutcome {
  const key = 'tariff-sum-mismatch';
  const totalObis = totalRegister(meter);
  const total = read.registers.find((r) => r.obis === totalObis);
  const tariffs = read.registers.filter((r) => r.obis !== totalObis && (IMPORT_TARIFF.test(r.obis) || r.bcs === 'BT' || r.bcs === 'CD' || r.bcs === 'TD'));
  if (!total || tariffs.length === 0) return { evaluated: [], findings: [] };
  const pts = [total, ...tariffs].map((r) => pointOf(r.value, r.unit, read.receivedAt, `read of ${r.obis}`));
  const [kt, ...parts] = pts as [ReturnType<typeof pointOf>, ...ReturnType<typeof pointOf>[]];
  const sum = parts.reduce<Dec>((s, p) => add(s, p.value), { units: 0n, scale: 0 });
  const step = pts.reduce((coarsest, p) => (cmp(p.step, coarsest) > 0 ? p.step : coarsest), pts[0]!.step);
  const perStep = Math.max(1, tariffs.length - 1) * t.tariffSumToleranceUnits;
  const allowed = mul(parseDec(numberText(perStep, 6), 'tolerance'), step);
  const diff = sub(kt.value, sum);
  if (cmp(abs(diff), allowed) <= 0) return { evaluated: [key], findings: [] };
  if (totalWrapped(kt, sum, allowed)) return { evaluated: [key], findings: [] };
  const finding: Finding = {
    key,
    code: 'tariff-sum-mismatch',
    severity: 'warning',
    obis: totalObis,
    evidence: {
      total: total.value,
      tariffs: Object.fromEntries(tariffs.map((r) => [r.obis, r.value])),
      tariffSumKilo: formatDec(sum),
      differenceKilo: formatDec(diff),
      allowedKilo: formatDec(allowed),
      lastDigitKilo: formatDec(step),
    },
    thresholds: { tariffSumToleranceUnits: t.tariffSumToleranceUnits },
    lifetime: 'condition',
  };
  return { evaluated: [key], findings: [finding] };
}

/**
 * The total register wrapped past its digit count while the smaller tariff registers have not yet: the sum
 * is the total plus 10^digits (in the total's own unit) within the tolerance. That is a rollover — the
 * index-drop check reports it, with status Q for billing — not registers that disagree.
 */
function totalWrapped(kt: ReturnType<typeof pointOf>, sum: Dec, allowed: Dec): boolean {
  const over = sub(sum, kt.value);
  if (over.units <= 0n) return false;
  for (let digits = integerDigits(kt.raw); digits <= 15; digits++) {
    const wrap = shift(pow10Dec(digits), kiloExponent(kt.unit));
    if (cmp(abs(sub(over, wrap)), allowed) <= 0) return true;
    if (cmp(wrap, over) > 0) return false;
  }
  return false;
}

/** Status word bits as the meter simulator sets them (simulators/meter/meter-events.ts STATUS_BITS). */
export const STATUS_FLAGS = [
  { bit: 0, name: 'cover-open', severity: 'critical' },
  { bit: 1, name: 'magnetic-tamper', severity: 'critical' },
  { bit: 2, name: 'power-failure', severity: 'info' },
  { bit: 3, name: 'reverse-flow', severity: 'warning' },
] as const satisfies readonly { bit: number; name: string; severity: Severity }[];
export const CLOCK_INVALID_BIT = 4;

/** Clock drift and the clock-invalid status (from the read or bit 4 of the status word). */
export function checkClock(read: MeterReadSuccess, t: DetectionThresholds): CheckOutcome {
  const out: CheckOutcome = { evaluated: [], findings: [] };
  const bitInvalid = read.statusWord === undefined ? undefined : (read.statusWord & (1 << CLOCK_INVALID_BIT)) !== 0;
  const invalid = read.clockInvalid === true || bitInvalid === true;
  if (read.clockInvalid !== undefined || bitInvalid !== undefined) {
    out.evaluated.push('clock-invalid');
    if (invalid) {
      out.findings.push({
        key: 'clock-invalid',
        code: 'clock-invalid',
        severity: 'warning',
        obis: OBIS.clock,
        evidence: {
          meterTime: read.meterTime === undefined ? null : iso(read.meterTime),
          statusWord: read.statusWord === undefined ? null : String(read.statusWord),
          source: read.clockInvalid ? 'clock status' : 'status word bit 4',
        },
        thresholds: {},
        lifetime: 'condition',
      });
    }
  }
  // An invalid clock's offset means nothing: it is already flagged as invalid.
  if (read.clockOffsetSeconds !== undefined && !invalid) {
    out.evaluated.push('clock-drift');
    // Flag only what the measurement proves: the offset beyond its own uncertainty.
    const uncertainty = read.clockUncertaintySeconds ?? 0;
    if (Math.abs(read.clockOffsetSeconds) - uncertainty > t.clockDriftSeconds) {
      out.findings.push({
        key: 'clock-drift',
        code: 'clock-drift',
        severity: 'warning',
        obis: OBIS.clock,
        evidence: {
          offsetSeconds: numberText(read.clockOffsetSeconds, 3),
          uncertaintySeconds: numberText(uncertainty, 3),
          meterTime: read.meterTime === undefined ? null : iso(read.meterTime),
          gatewayTime: iso(read.receivedAt),
        },
        thresholds: { clockDriftSeconds: t.clockDriftSeconds },
        lifetime: 'condition',
      });
    }
  }
  return out;
}

/** The meter's own alarms: one anomaly per status bit, open while the bit stays set. */
export function checkStatusWord(meter: MeterDefinition, read: MeterReadSuccess): CheckOutcome {
  const word = read.statusWord;
  if (word === undefined) return { evaluated: [], findings: [] };
  const out: CheckOutcome = { evaluated: [], findings: [] };
  for (const flag of STATUS_FLAGS) {
    const key = `meter-event:${flag.name}`;
    out.evaluated.push(key);
    if ((word & (1 << flag.bit)) === 0) continue;
    // Reverse flow on a customer that only imports is the reversed-wiring / bypass pattern.
    const severity: Severity = flag.name === 'reverse-flow' && meter.importOnly ? 'critical' : flag.severity;
    out.findings.push({
      key,
      code: 'meter-event',
      severity,
      obis: OBIS.status,
      evidence: { event: flag.name, bit: String(flag.bit), statusWord: String(word) },
      thresholds: {},
      lifetime: 'condition',
    });
  }
  return out;
}

/** Export energy advancing on an import-only customer (reversed CT, wrong wiring, or a bypass). */
export function checkExport(meter: MeterDefinition, read: MeterReadSuccess, history: readonly RegisterRead[]): CheckOutcome {
  const key = 'export-on-import-only';
  const exp = read.registers.find((r) => r.obis === OBIS.exportTotal);
  if (!meter.importOnly || !exp) return { evaluated: [], findings: [] };
  const series = seriesOf(exp.obis, { value: exp.value, unit: exp.unit, at: read.receivedAt }, history);
  const prev = series[series.length - 2];
  const cur = series[series.length - 1]!;
  if (!prev) return { evaluated: [], findings: [] };
  if (cmp(cur.value, prev.value) <= 0) return { evaluated: [key], findings: [] };
  return {
    evaluated: [key],
    findings: [
      {
        key,
        code: 'export-on-import-only',
        severity: 'warning',
        obis: exp.obis,
        evidence: { previousIndex: prev.text, previousAt: iso(prev.at), newIndex: cur.text, newAt: iso(cur.at), advanceKilo: formatDec(sub(cur.value, prev.value)) },
        thresholds: { importOnly: true },
        lifetime: 'period',
      },
    ],
  };
}

/** The serial read from the meter is not the one in the registry: replaced (treo tháo) without the books knowing. */
export function checkSerial(meter: MeterDefinition, read: MeterReadSuccess): CheckOutcome {
  const key = 'meter-swap-suspected';
  if (!meter.serial || read.serial === undefined) return { evaluated: [], findings: [] };
  if (read.serial.trim() === meter.serial.trim()) return { evaluated: [key], findings: [] };
  return {
    evaluated: [key],
    findings: [
      {
        key,
        code: 'meter-swap-suspected',
        severity: 'critical',
        obis: OBIS.serial,
        evidence: { configuredSerial: meter.serial, readSerial: read.serial },
        thresholds: {},
        lifetime: 'condition',
      },
    ],
  };
}
