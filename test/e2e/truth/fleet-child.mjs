// The truth test's fleet process: `node fleet-child.mjs CONFIG OUT` serves the fleet's meters (RS485 pseudo-
// terminals and TCP servers) on its own simulated clock, and writes OUT/fleet.json: the gateways' addresses
// and the clock (startMs, speed, phases, realStartMs) for the test process to build the same clock. Unlike
// `chiso-sim fleet` it writes neither the ground truth nor the books: the test computes them from the same
// seeded plan before it starts this process, so writing them costs no simulated time. Plain JavaScript on
// the compiled dist/, so node alone runs it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fleetClockOptions, loadFleetConfig } from '../../../dist/simulators/fleet/fleet-config.js';
import { startFleet } from '../../../dist/simulators/fleet/fleet.js';
import { SimulatedClock } from '../../../dist/src/shared/simulated-clock.js';

const [configFile, out] = process.argv.slice(2);
const config = loadFleetConfig(configFile);
const options = fleetClockOptions(config);
const realStartMs = Date.now();
const clock = new SimulatedClock({ ...options, realNow: () => Date.now(), realStart: realStartMs });
const fleet = await startFleet(config, { clock });
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'fleet.json'), JSON.stringify({ clock: { startMs: options.start, speed: options.speed, phases: options.phases, realStartMs }, gateways: fleet.gateways }) + '\n');
console.log(`ready: ${fleet.plan.meters.length} meters`);
const stop = () => void fleet.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
