import type { z } from 'zod';
import { MAX_ITEMS_PER_BATCH } from '../../wire/batch.js';
import type { BusSilentEventSchema } from '../../wire/events.js';
import type { MeterDefinition, MeterReadResult } from '../model.js';
import { classifyFailure } from './failure-class.js';
import { iso } from './local-time.js';
import { initialReachability, stepReachability, type MeterConfigProblem, type ReachabilityEvent, type ReachabilityState } from './offline.js';
import type { DetectionThresholds } from './thresholds.js';

export type BusSilentEvent = z.output<typeof BusSilentEventSchema>;

/** Per bus, plain JSON: when the current silence began (null while the bus answers). */
export interface BusState {
  silentSince: number | null;
}

export interface BusSilenceStep {
  state: BusState;
  /** This cycle looks like a bus fault (wiring, converter, power to the cabinet). */
  silent: boolean;
  /** The silence ended with this cycle: for the caller's log; the wire has no bus-recovered event. */
  recovered: boolean;
  events: BusSilentEvent[];
}

/**
 * One poll cycle of one bus. When most of its meters fail at once with no-answer codes the fault is the bus,
 * not hundreds of meters: one bus-silent event goes out, once per silence.
 */
export function busSilence(busId: string, state: BusState, results: readonly MeterReadResult[], thresholds: DetectionThresholds): BusSilenceStep {
  const unreachable = results.filter((r) => !r.ok && classifyFailure(r.code) === 'unreachable');
  const silent =
    results.length > 0 &&
    unreachable.length >= thresholds.busSilentMinMeters &&
    unreachable.length / results.length >= thresholds.busSilentShare;
  if (!silent) return { state: { silentSince: null }, silent: false, recovered: state.silentSince !== null, events: [] };
  if (state.silentSince !== null) return { state, silent: true, recovered: false, events: [] };
  const since = Math.min(...unreachable.map((r) => r.receivedAt));
  const last = Math.max(...results.map((r) => r.receivedAt));
  return {
    state: { silentSince: since },
    silent: true,
    recovered: false,
    events: [
      {
        type: 'bus-silent',
        at: iso(last),
        bus: busId.slice(0, 64),
        since: iso(since),
        metersAffected: [...new Set(unreachable.map((r) => r.meterId))].slice(0, MAX_ITEMS_PER_BATCH),
      },
    ],
  };
}

export interface BusCycleInput {
  /** Undefined for meters without a shared bus (TCP): no bus-silence judgement. */
  busId?: string;
  busState: BusState;
  results: readonly MeterReadResult[];
  meters: ReadonlyMap<string, MeterDefinition>;
  states: Readonly<Record<string, ReachabilityState>>;
  thresholds: DetectionThresholds;
}

export interface BusCycleResult {
  busState: BusState;
  /** Only the meters polled in this cycle; merge into the persisted map. */
  states: Record<string, ReachabilityState>;
  events: (BusSilentEvent | ReachabilityEvent)[];
  problems: MeterConfigProblem[];
  busRecovered: boolean;
}

/**
 * Bus silence first, then each meter's reachability with meter-offline held back while the bus is silent.
 * Results for meters missing from `meters` are skipped (a meter removed from the registry mid-cycle).
 */
export function busCycle(input: BusCycleInput): BusCycleResult {
  const bus =
    input.busId === undefined
      ? { state: input.busState, silent: false, recovered: false, events: [] as BusSilentEvent[] }
      : busSilence(input.busId, input.busState, input.results, input.thresholds);
  const states: Record<string, ReachabilityState> = {};
  const events: (BusSilentEvent | ReachabilityEvent)[] = [...bus.events];
  const problems: MeterConfigProblem[] = [];
  for (const result of input.results) {
    const meter = input.meters.get(result.meterId);
    if (!meter) continue;
    const before = states[result.meterId] ?? input.states[result.meterId] ?? initialReachability();
    const step = stepReachability(before, result, meter, input.thresholds, { suppressOffline: bus.silent });
    states[result.meterId] = step.state;
    events.push(...step.events);
    problems.push(...step.problems);
  }
  return { busState: bus.state, states, events, problems, busRecovered: bus.recovered };
}
