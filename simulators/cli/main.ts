import { runCommandLine } from '../../src/shared/command-line.js';
import { fleetCommand } from './fleet-command.js';
import { meterCommand } from './meter-command.js';

/** `chiso-sim`: the meter simulator's command line (bin/chiso-sim.js imports this compiled file). */
const code = await runCommandLine(
  'chiso-sim',
  'simulated DLMS/COSEM electricity meters for tests, the demo and benchmarks',
  [meterCommand, fleetCommand],
  process.argv.slice(2),
);
process.exitCode = code;
