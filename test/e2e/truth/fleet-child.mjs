// The truth test's fleet process: `node fleet-child.mjs CONFIG OUT REAL_START_MS [GATEWAY…]` serves the
// fleet's meters (RS485 pseudo-terminals and TCP servers) of the named gateways (all when none is named) on
// the simulated clock that started at REAL_START_MS, and writes OUT/fleet.json: those gateways' addresses
// and the clock (startMs, speed, phases, realStartMs). The test runs one per gateway with the same
// REAL_START_MS, so that they share one clock and the meters are answered on more than one CPU core.
// Unlike `chiso-sim fleet` it writes neither the ground truth nor the books: the test computes them from
// the same seeded plan, so writing them costs no simulated time. Plain JavaScript on the compiled dist/,
// so node alone runs it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fleetClockOptions, loadFleetConfig } from '../../../dist/simulators/fleet/fleet-config.js';
import { startFleet } from '../../../dist/simulators/fleet/fleet.js';
import { SimulatedClock } from '../../../dist/src/shared/simulated-clock.js';

const [configFile, out, realStart, ...gatewayIds] = process.argv.slice(2);
const config = loadFleetConfig(configFile);
const options = fleetClockOptions(config);
const realStartMs = Number(realStart);
if (!Number.isFinite(realStartMs)) throw new Error(`fleet-child: REAL_START_MS "${realStart}" is not a number`);
const clock = new SimulatedClock({ ...options, realNow: () => Date.now(), realStart: realStartMs });
const fleet = await startFleet(config, { clock, ...(gatewayIds.length > 0 ? { gateways: gatewayIds } : {}) });
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'fleet.json'), JSON.stringify({ clock: { startMs: options.start, speed: options.speed, phases: options.phases, realStartMs }, gateways: fleet.gateways }) + '\n');
console.log(`ready: ${fleet.gateways.length} gateway(s)`);
const stop = () => void fleet.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
