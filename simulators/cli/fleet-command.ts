import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { intOption, parseCommandArgs, UsageError, type Command, type CommandIo } from '../../src/shared/command-line.js';
import { SimulatedClock } from '../../src/shared/simulated-clock.js';
import { writeBooks } from '../fleet/cmis-book.js';
import { FleetError } from '../fleet/errors.js';
import { fleetClockOptions, loadFleetConfig } from '../fleet/fleet-config.js';
import { addMonths, isoLocal, periodContaining, periodLabel } from '../fleet/fleet-time.js';
import { startFleet, type RunningFleet, type RunningGateway } from '../fleet/fleet.js';

const USAGE = `Usage:
  chiso-sim fleet --config FILE [--out DIR] [--months N]

Runs a simulated fleet — many meters behind one or more gateways, on RS485 buses (pseudo-terminals) and
TCP — on an accelerated clock, until SIGINT or SIGTERM. Writes into DIR (default ./fleet-out):
  ground-truth.json   every meter's identity, address, faults (with the codes expected for them) and
                      true register values at each period end
  books/              the CMIS books (DataSet XML) of the first N periods, <book>-<year>-<month>-1.xml
  fleet.json          where each gateway's meters are (pty devices, TCP ports) and the simulated clock,
                      for generating a gateway config

Options:
  --config FILE   the fleet file, YAML or JSON (see simulators/fleet/fleet.example.yaml)
  --out DIR       output folder (default ./fleet-out)
  --months N      how many periods of books and period-end truth, from the one holding start (default 2)
  --verbose       log link events to stderr`;

const OPTIONS = {
  config: { type: 'string' },
  out: { type: 'string' },
  months: { type: 'string' },
  verbose: { type: 'boolean' },
} as const;

function untilSignal(): Promise<string> {
  return new Promise((resolveSignal) => {
    const on = (signal: string) => () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolveSignal(signal);
    };
    const onInt = on('SIGINT');
    const onTerm = on('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
}

/** "gateway gw1  bus rs485-1  /tmp/…/client  9600 baud  60 meters  hdlc 1/17…1/76". */
export function describeGateway(g: RunningGateway): string[] {
  const lines: string[] = [];
  for (const b of g.buses) {
    const first = b.meters[0]?.connection;
    const last = b.meters[b.meters.length - 1]?.connection;
    const range = first && last && 'hdlc' in first && 'hdlc' in last ? `  hdlc 1/${first.hdlc.physical}…1/${last.hdlc.physical}` : '';
    lines.push(`gateway ${g.id}  bus ${b.id}  ${b.device}  ${b.baud} baud  ${b.meters.length} meters${range}`);
  }
  if (g.tcp) lines.push(`gateway ${g.id}  tcp ${g.tcp.host}:${g.tcp.port}  ${g.tcp.wrapper ? `wrapper wPort 1…${g.tcp.meters.length}` : 'hdlc'}  ${g.tcp.meters.length} meters`);
  return lines;
}

/** fleet.json: what a gateway config is generated from, plus the clock every process must share. */
export function fleetJson(fleet: RunningFleet, realStart: number, files: { truth: string; books: string[] }): unknown {
  const c = fleet.plan.config;
  return {
    version: 1,
    clock: { start: isoLocal(fleet.plan.start), startMs: fleet.plan.start, speed: c.speed, phases: fleetClockOptions(c).phases, realStartMs: realStart },
    unitCode: c.unitCode,
    readingDay: c.books.readingDay,
    truthFile: files.truth,
    books: files.books,
    gateways: fleet.gateways,
  };
}

async function run(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.config === undefined) throw new UsageError('--config FILE is required');
  const months = intOption(values.months, 'months', 2, 1, 24);
  const out = resolve(values.out ?? 'fleet-out');

  let fleet: RunningFleet;
  let realStart: number;
  try {
    const config = loadFleetConfig(values.config);
    realStart = Date.now();
    const clock = new SimulatedClock({ ...fleetClockOptions(config), realNow: () => Date.now(), realStart });
    const note = values.verbose === true ? (text: string): void => io.err(`chiso-sim: ${text}`) : undefined;
    fleet = await startFleet(config, { clock, ...(note ? { onNote: note } : {}) });
  } catch (e) {
    if (e instanceof FleetError) {
      io.err(`chiso-sim fleet: ${e.message}`);
      return 2;
    }
    throw e;
  }

  try {
    mkdirSync(out, { recursive: true });
    const truth = fleet.truth();
    const truthPath = join(out, 'ground-truth.json');
    truth.writeGroundTruth(truthPath, { months });
    const first = periodContaining(fleet.plan.start, fleet.plan.config.books.readingDay);
    const books: string[] = [];
    for (let k = 0; k < months; k++) books.push(...writeBooks(truth, join(out, 'books'), addMonths(first, k)));
    const fleetPath = join(out, 'fleet.json');
    writeFileSync(fleetPath, JSON.stringify(fleetJson(fleet, realStart, { truth: truthPath, books }), null, 2) + '\n');

    const count = fleet.plan.meters.length;
    io.out(`chiso-sim: fleet of ${count} meters behind ${fleet.gateways.length} gateway(s); simulated time ${isoLocal(fleet.clock.now())}, ×${fleet.plan.config.speed}`);
    for (const g of fleet.gateways) for (const line of describeGateway(g)) io.out(line);
    io.out(`chiso-sim: ground truth ${truthPath}`);
    io.out(`chiso-sim: books ${join(out, 'books')} (${books.length} files, periods ${periodLabel(first)}…${periodLabel(addMonths(first, months - 1))})`);
    io.out(`chiso-sim: fleet ${fleetPath}`);
    io.out('chiso-sim: ready; stop with Ctrl-C (SIGINT) or SIGTERM');
  } catch (e) {
    await fleet.close();
    throw e;
  }
  const signal = await untilSignal();
  await fleet.close();
  io.out(`chiso-sim: ${signal}: stopped`);
  return 0;
}

export const fleetCommand: Command = {
  name: 'fleet',
  summary: 'run a fleet of simulated meters behind gateways, with faults, ground truth and CMIS books',
  usage: USAGE,
  run,
};
