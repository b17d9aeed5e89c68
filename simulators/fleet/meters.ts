import { SimulatedMeter } from '../meter/meter-model.js';
import type { FleetPlan, PlannedMeter } from './layout.js';

/** The simulated meter of a planned one; every meter of a fleet reads one shared time source. */
export function buildMeter(m: PlannedMeter, plan: FleetPlan, timeSource: () => number): SimulatedMeter {
  return new SimulatedMeter({
    serial: m.serial,
    seed: m.seed,
    profile: { kind: m.profile, seed: m.profileSeed, scale: m.profileScale },
    installedAt: m.installedAt,
    initialIndexWh: m.initialIndexWh,
    tariffMap: m.model.tariffMap,
    touSchedules: plan.touSchedules,
    scalerWh: m.model.scalerWh,
    password: plan.config.password,
    timeSource,
    faults: m.meterFaults,
  });
}

export function buildFleetMeters(plan: FleetPlan, timeSource: () => number): Map<string, SimulatedMeter> {
  return new Map(plan.meters.map((m) => [m.id, buildMeter(m, plan, timeSource)]));
}
