/**
 * Edge detection for the gateway: offline meters and silent buses per poll cycle, anomalies per read, the
 * daily digest and the pre-cutoff report. Pure functions over plain-JSON state; the caller loads history
 * (src/store ReadHistory), persists the states and sends the events (src/wire events).
 */
export { DetectionError, type DetectionErrorCode } from './errors.js';
export { DEFAULT_THRESHOLDS, resolveThresholds, type DetectionThresholds } from './thresholds.js';
export { classifyFailure, type FailureClass } from './failure-class.js';
export {
  initialReachability,
  stepReachability,
  type MeterConfigProblem,
  type MeterOfflineEvent,
  type MeterOnlineEvent,
  type ReachabilityEvent,
  type ReachabilityState,
  type ReachabilityStep,
} from './offline.js';
export { busCycle, busSilence, type BusCycleInput, type BusCycleResult, type BusSilenceStep, type BusSilentEvent, type BusState } from './bus-silence.js';
export {
  AnomalyStateSchema,
  anomalyIdOf,
  emptyAnomalyState,
  parseAnomalyState,
  reconcile,
  type AnomalyEvent,
  type AnomalyState,
  type CheckOutcome,
  type Finding,
  type Lifetime,
  type OpenAnomaly,
  type Severity,
} from './anomaly-state.js';
export { detectAnomalies, type DetectInput, type DetectResult } from './anomalies.js';
export { checkIndexDrop, checkSpike, checkStuck, type Verdict } from './index-checks.js';
export { checkClock, checkExport, checkSerial, checkStatusWord, checkTariffSum, totalRegister, OBIS, STATUS_FLAGS, CLOCK_INVALID_BIT } from './register-checks.js';
export { checkEventLog, DEFAULT_EVENT_CODES, EVENT_LOG_OBIS, type MeterEventName } from './event-log-checks.js';
export { seriesOf, type Point } from './series.js';
export { cutoffOf, daysToMonthEnd, isPreCutoffDay, periodOf } from './calendar.js';
export { newTally, rollTally, tallyCycle, type DayTally } from './day-tally.js';
export {
  dailyDigest,
  offlinePointsOf,
  openAnomaliesOf,
  preCutoffReport,
  type DailyDigest,
  type DailyDigestEvent,
  type MeterStatus,
  type OfflinePoint,
  type OpenAnomalyItem,
  type PreCutoffReportEvent,
} from './digest.js';
