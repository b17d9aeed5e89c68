import type { MeterAlarm } from '../../config/field.js';
import type { MeterDefinition, MeterReadSuccess } from '../model.js';
import type { CheckOutcome, Finding, Severity } from './anomaly-state.js';
import { iso } from './local-time.js';
import { STATUS_FLAGS } from './register-checks.js';

export const EVENT_LOG_OBIS = '0.0.99.98.0.255';

/** The meter's own alarms, named as the status word names them (and as a model's `eventCodes` does). */
export type MeterEventName = (typeof STATUS_FLAGS)[number]['name'];
// The config's alarm names and the status word's must be the same set, or a configured code opens nothing.
const SAME_ALARMS: [MeterEventName, MeterAlarm] extends [MeterAlarm, MeterEventName] ? true : never = true;
void SAME_ALARMS;

/**
 * Event codes that open one of those alarms, in the IDIS/DSMR standard-event-log numbering the simulator
 * uses (simulators/meter/meter-events.ts EVENT_CODES). Reverse flow has no common code: 200 is the
 * simulator's, from the manufacturer range — another make gives its own map (the model's `eventCodes` in
 * the config). Codes that only close an alarm (power up, cover closed) and every other event (clock
 * adjusted…) are not flagged.
 */
export const DEFAULT_EVENT_CODES: Readonly<Record<number, MeterEventName>> = {
  1: 'power-failure', // power down
  40: 'cover-open', // terminal cover removed
  42: 'magnetic-tamper', // strong DC field detected
  44: 'cover-open', // meter cover removed
  200: 'reverse-flow', // reverse flow detected (manufacturer specific)
};

/**
 * What the meter logged between two polls: one anomaly per alarm seen in the new event-log entries, kept
 * for the billing month (a logged event is a fact of the period; nothing later undoes it). Its keys are
 * not the status word's, so a status bit that clears does not clear it. An alarm whose status bit is set
 * on this same read is left to the status word, which reports it — and clears it — already.
 */
export function checkEventLog(meter: MeterDefinition, read: MeterReadSuccess, codes: Readonly<Record<number, MeterEventName>> = meter.eventCodes ?? DEFAULT_EVENT_CODES): CheckOutcome {
  if (read.events === undefined) return { evaluated: [], findings: [] };
  const out: CheckOutcome = { evaluated: [], findings: [] };
  for (const flag of STATUS_FLAGS) {
    const key = `meter-event-log:${flag.name}`;
    out.evaluated.push(key);
    const seen = read.events.filter((e) => codes[e.code] === flag.name);
    const first = seen[0];
    if (first === undefined) continue;
    if (read.statusWord !== undefined && (read.statusWord & (1 << flag.bit)) !== 0) continue;
    // Reverse flow on a customer that only imports is the reversed-wiring / bypass pattern.
    const severity: Severity = flag.name === 'reverse-flow' && meter.importOnly ? 'critical' : flag.severity;
    const finding: Finding = {
      key,
      code: 'meter-event',
      severity,
      obis: EVENT_LOG_OBIS,
      evidence: {
        event: flag.name,
        code: String(first.code),
        meterTime: iso(first.at),
        source: 'event log',
        occurrences: String(seen.length),
        ...(seen.length > 1 ? { lastMeterTime: iso(seen.at(-1)!.at) } : {}),
      },
      thresholds: {},
      lifetime: 'period',
    };
    out.findings.push(finding);
  }
  return out;
}
