import type { ReadHistory } from '../../store/read-history.js';
import type { Backlog } from '../../store/outbox-types.js';
import type { GatewayEvent } from '../../wire/events.js';
import {
  busCycle,
  dailyDigest,
  detectAnomalies,
  emptyAnomalyState,
  initialReachability,
  isPreCutoffDay,
  newTally,
  parseAnomalyState,
  preCutoffReport,
  rollTally,
  tallyCycle,
  type AnomalyState,
  type BusState,
  type DayTally,
  type DetectionThresholds,
  type MeterConfigProblem,
  type MeterStatus,
  type ReachabilityState,
} from '../detection/index.js';
import type { MeterDefinition, MeterReadResult } from '../model.js';

/** ReadHistory keeps per-"meter" JSON states; these pseudo-ids hold the gateway's and the buses' own. */
const GATEWAY_KEY = '@gateway';
const busKey = (bus: string) => `@bus:${bus}`;
/**
 * Reads kept per register at full resolution for the stuck and index-drop checks: four days of 4-hourly
 * polls, twice the default stuck stretch. Older reads are thinned to one a day (see historyDays).
 */
export const RECENT_READS = 24;

/**
 * Days of daily reads the spike check looks at: its baseline window and the judged interval, plus a day.
 * Kept as every poll, the example config's 4-hourly polls would need 216 reads a register for these 36
 * days (they kept 120, so a 28-day window could never be filled); as one read a day, 36.
 */
export function historyDays(t: DetectionThresholds): number {
  return t.spikeWindowDays + Math.ceil(t.spikeMinIntervalHours / 24) + 1;
}

function parse<T>(text: string | undefined, fallback: T): T {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/**
 * Runs edge detection after each poll cycle and keeps its state across restarts (in the history store):
 * reachability and open anomalies per meter, silence per bus, the day's tally for the digest.
 */
export class DetectionRunner {
  private readonly meters: Map<string, MeterDefinition>;

  constructor(
    private readonly history: ReadHistory,
    meters: readonly MeterDefinition[],
    private readonly thresholds: DetectionThresholds,
  ) {
    this.meters = new Map(meters.map((m) => [m.id, m]));
  }

  reachability(meterId: string): ReachabilityState {
    return parse(this.history.getState(meterId, 'reachability'), initialReachability());
  }

  anomalies(meterId: string): AnomalyState {
    try {
      return parseAnomalyState(this.history.getState(meterId, 'anomalies'), meterId);
    } catch {
      // A state the detection cannot read is rebuilt from the next reads rather than stopping the gateway.
      return emptyAnomalyState();
    }
  }

  private tally(now: number): DayTally {
    return parse(this.history.getState(GATEWAY_KEY, 'tally'), newTally(now));
  }

  /** One cycle's results of one bus (or of the TCP meters, busId undefined) → events to send. */
  afterCycle(busId: string | undefined, results: readonly MeterReadResult[], now: number): { events: GatewayEvent[]; problems: MeterConfigProblem[] } {
    // One transaction for the whole cycle: one commit (one fsync) instead of about four per meter.
    return this.history.batch(() => this.#afterCycle(busId, results, now));
  }

  #afterCycle(busId: string | undefined, results: readonly MeterReadResult[], now: number): { events: GatewayEvent[]; problems: MeterConfigProblem[] } {
    const states: Record<string, ReachabilityState> = {};
    for (const r of results) states[r.meterId] = this.reachability(r.meterId);
    const busState: BusState = busId ? parse(this.history.getState(busKey(busId), 'bus'), { silentSince: null }) : { silentSince: null };
    const cycle = busCycle({ ...(busId ? { busId } : {}), busState, results, meters: this.meters, states, thresholds: this.thresholds });
    const events: GatewayEvent[] = [...cycle.events];
    if (busId) {
      if (cycle.busRecovered && busState.silentSince !== null) {
        events.push({ type: 'bus-recovered', at: new Date(now).toISOString(), bus: busId, silentSince: new Date(busState.silentSince).toISOString() });
      }
      this.history.setState(busKey(busId), 'bus', JSON.stringify(cycle.busState), now);
    }
    for (const [meterId, state] of Object.entries(cycle.states)) this.history.setState(meterId, 'reachability', JSON.stringify(state), now);
    for (const p of cycle.problems) {
      events.push({ type: 'meter-config-problem', at: p.at, meterId: p.meterId, meteringPoint: p.meteringPoint, code: p.code, message: p.message.slice(0, 500), since: p.at });
    }

    for (const r of results) {
      if (r.ok) {
        this.history.recordSuccess(r.meterId, r.receivedAt);
        const meter = this.meters.get(r.meterId);
        if (!meter) continue;
        const meterTime = r.meterTime ?? r.receivedAt;
        const history = meter.registers.flatMap((reg) => this.history.lastReads(meter.id, reg.obis, RECENT_READS + historyDays(this.thresholds)));
        const recentPolls = cycle.states[meter.id]?.recentPolls;
        const detected = detectAnomalies({ meter, read: r, history, state: this.anomalies(meter.id), thresholds: this.thresholds, ...(recentPolls === undefined ? {} : { recentPolls }) });
        this.history.record(...r.registers.map((reg) => ({ meterId: meter.id, register: reg.obis, value: reg.value, unit: reg.unit, meterTime, receivedAt: r.receivedAt })));
        this.history.setState(meter.id, 'anomalies', JSON.stringify(detected.state), now);
        events.push(...detected.events);
      } else if (r.step !== 'back-off') {
        this.history.recordFailure(r.meterId, r.receivedAt, r.code);
      }
    }
    const tally = tallyCycle(rollTally(this.tally(now), now).current, results, events as { type: string; state?: string }[]);
    this.history.setState(GATEWAY_KEY, 'tally', JSON.stringify(tally), now);
    return { events, problems: cycle.problems };
  }

  statuses(): MeterStatus[] {
    return [...this.meters.values()].map((meter) => ({ meter, reachability: this.reachability(meter.id), anomalies: this.anomalies(meter.id) }));
  }

  /**
   * The daily digest (of the day that just ended, or today so far) and, on the days before a month end,
   * the pre-cutoff report: offline points and open anomalies while there is still time to fix them.
   */
  digest(now: number, backlog?: Backlog): GatewayEvent[] {
    const rolled = rollTally(this.tally(now), now);
    this.history.setState(GATEWAY_KEY, 'tally', JSON.stringify(rolled.current), now);
    const meters = this.statuses();
    const digest = dailyDigest({
      now,
      tally: rolled.finished ?? rolled.current,
      meters,
      ...(backlog ? { backlog: { count: backlog.count, bytes: backlog.bytes, oldestAt: backlog.oldestCreatedAt === null ? null : new Date(backlog.oldestCreatedAt).toISOString() } } : {}),
    });
    const events: GatewayEvent[] = [
      {
        ...digest.event,
        offlinePoints: digest.offlinePoints.slice(0, 1000).map(({ routeOrder: _r, lastError: _e, ...p }) => p),
        openAnomalies: digest.openAnomalies.slice(0, 1000),
      },
    ];
    if (isPreCutoffDay(now, this.thresholds.preCutoffDays)) events.push(preCutoffReport({ now, meters }));
    return events;
  }
}
