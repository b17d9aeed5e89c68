import type { RegisterRead } from '../../store/read-history.js';
import type { MeterDefinition, MeterReadSuccess } from '../model.js';
import { reconcile, type AnomalyEvent, type AnomalyState, type CheckOutcome } from './anomaly-state.js';
import { checkEventLog } from './event-log-checks.js';
import { checkIndexDrop, checkSpike, checkStuck, type Verdict } from './index-checks.js';
import { checkClock, checkExport, checkSerial, checkStatusWord, checkTariffSum, totalRegister } from './register-checks.js';
import { checkIntermittent } from './link-checks.js';
import { seriesOf } from './series.js';
import type { DetectionThresholds } from './thresholds.js';

/** Cumulative energy registers (OBIS C.8.E: "time integral 1"): these only ever go up, bar a wrap. */
const CUMULATIVE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.8\.\d{1,3}\.255$/;

export interface DetectInput {
  meter: MeterDefinition;
  read: MeterReadSuccess;
  /**
   * Recent good reads of this meter, any registers mixed, as ReadHistory.lastReads returns them (register =
   * OBIS code). The spike check needs about spikeMinBaselineDays + 1 days of them and the stuck check
   * stuckAfterHours: with frequent polls, keep a daily series (or a larger keepPerRegister) for that.
   * Reads not older than `read` are ignored, so it does not matter whether `read` was recorded first.
   */
  history: readonly RegisterRead[];
  state: AnomalyState;
  thresholds: DetectionThresholds;
  /** ReachabilityState.recentPolls after this poll: the unreliable-link check judges it. */
  recentPolls?: string;
}

export interface DetectResult {
  state: AnomalyState;
  /** Raised and cleared anomalies; an anomaly still open is not repeated. */
  events: AnomalyEvent[];
}

/** Every check on one new successful read, then raise/clear against the meter's open anomalies. */
export function detectAnomalies(input: DetectInput): DetectResult {
  const { meter, read, thresholds: t } = input;
  const history = input.history.filter((r) => r.meterId === meter.id);
  const outcome: CheckOutcome = { evaluated: [], findings: [] };
  const merge = (o: CheckOutcome): void => {
    outcome.evaluated.push(...o.evaluated);
    outcome.findings.push(...o.findings);
  };
  const verdict = (key: string, v: Verdict): void => {
    if (v === 'unknown') return;
    outcome.evaluated.push(key);
    if (v !== 'healthy') outcome.findings.push(v);
  };

  const totalObis = totalRegister(meter);
  for (const reg of read.registers) {
    if (!CUMULATIVE.test(reg.obis)) continue;
    const series = seriesOf(reg.obis, { value: reg.value, unit: reg.unit, at: read.receivedAt }, history);
    const drop = checkIndexDrop(reg.obis, series, t);
    verdict(typeof drop === 'object' ? drop.key : `negative-advance@${reg.obis}`, drop);
    if (reg.obis === totalObis) {
      verdict(`no-advance@${reg.obis}`, checkStuck(reg.obis, series, t));
      verdict(`consumption-spike@${reg.obis}`, checkSpike(reg.obis, series, t));
    }
  }
  verdict('intermittent', checkIntermittent(input.recentPolls, t));
  merge(checkTariffSum(meter, read, t));
  merge(checkClock(read, t));
  merge(checkStatusWord(meter, read));
  merge(checkEventLog(meter, read));
  merge(checkExport(meter, read, history));
  merge(checkSerial(meter, read));
  return reconcile(input.state, outcome, { meterId: meter.id, meteringPoint: meter.meteringPoint, now: read.receivedAt });
}
