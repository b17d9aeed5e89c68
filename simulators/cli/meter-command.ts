import { intOption, parseCommandArgs, UsageError, type Command, type CommandIo } from '../../src/shared/command-line.js';
import { errorMessage } from '../../src/shared/errors.js';
import type { AddressSize } from '../../src/dlms/hdlc/address.js';
import { isBaudRate } from '../../src/dlms/iec62056-21/baud.js';
import { CLIENT_SAP } from '../protocol/association-policy.js';
import type { Iec21SignOn, MeterProtocolSettings } from '../protocol/meter-endpoint.js';
import { startPtyBus, startTcpMeterServer, type ServedMeter } from '../protocol/servers.js';
import { buildFleet, parseFaultRequest } from './fleet.js';

const USAGE = `Usage:
  chiso-sim meter --tcp PORT [--host 127.0.0.1] [--wrapper] [options]
  chiso-sim meter --pty [--baud 9600] [options]

Serves simulated DLMS/COSEM meters until SIGINT or SIGTERM.

Transport:
  --tcp PORT            listen on TCP (0 = a free port, printed); HDLC over TCP unless --wrapper
  --host HOST           address to listen on (default 127.0.0.1)
  --wrapper             IEC 62056-47 wrapper: meter i answers destination wPort i
  --pty                 an RS485 bus on a pseudo-terminal pair (socat); prints the device to open
  --baud B              line speed the answers are paced at (10 bits per byte): the bus speed with
                        --pty (default 9600); with --tcp e.g. 4800 to behave like an RF link (default none)
  --iec21 MODE          --pty only: each meter first expects an IEC 62056-21 sign-on addressed by its
                        serial number; MODE is mode-e (hand-over to HDLC) or mode-c (readout)

Meters:
  --meters N            how many meters (default 1); HDLC address of meter i: logical 1, physical 16 + i
  --seed S              seed for serial numbers and consumption (default 1)
  --password P          LLS password of the reading client, SAP 17 (default 00000000)
  --management-password P
                        LLS password of the management client, SAP 1 (default: --password)
  --address-size 1|2|4  HDLC server address size (default 4; 1 allows a single meter)
  --pdu-size N          the meters' max PDU size (default 1024)
  --no-multiple-references
                        meters refuse GET-with-list, as some real meters do
  --fault KIND[:PARAM]@METER
                        silent, slow[:ms], corrupt[:every-nth or probability], burnt[:garbage-ms],
                        stuck, intermittent[:ratio], clock-drift[:seconds-per-day], tamper,
                        reverse-flow; repeatable (e.g. --fault slow:3000@2 --fault clock-drift:-20@3)
  --verbose             log link events (HDLC connect/disconnect, discarded frames) to stderr

Client SAPs: 16 public (no authentication), 17 reading (LLS), 1 management (LLS).`;

const OPTIONS = {
  tcp: { type: 'string' },
  host: { type: 'string' },
  wrapper: { type: 'boolean' },
  pty: { type: 'boolean' },
  baud: { type: 'string' },
  iec21: { type: 'string' },
  meters: { type: 'string' },
  seed: { type: 'string' },
  password: { type: 'string' },
  'management-password': { type: 'string' },
  'address-size': { type: 'string' },
  'pdu-size': { type: 'string' },
  'no-multiple-references': { type: 'boolean' },
  fault: { type: 'string', multiple: true },
  verbose: { type: 'boolean' },
} as const;

function addressSizeOption(value: string | undefined): AddressSize {
  if (value === undefined) return 4;
  if (value === '1' || value === '2' || value === '4') return Number(value) as AddressSize;
  throw new UsageError(`--address-size must be 1, 2 or 4, got "${value}"`);
}

function iec21Option(value: string | undefined): Iec21SignOn | undefined {
  if (value === undefined) return undefined;
  if (value === 'mode-e' || value === 'mode-c') return { mode: value };
  throw new UsageError(`--iec21 must be mode-e or mode-c, got "${value}"`);
}

/** "meter 2  hdlc 1/18  serial SIM0021234567  SAP 16 public, 17 reading LLS "…", 1 management LLS "…"". */
export function describeMeterLine(m: ServedMeter, readingPassword: string, managementPassword: string): string {
  return (
    `meter ${m.index}  ${m.address}  serial ${m.serial}  ` +
    `SAP ${CLIENT_SAP.public} public (no password), ${CLIENT_SAP.reading} reading (LLS "${readingPassword}"), ` +
    `${CLIENT_SAP.management} management (LLS "${managementPassword}")`
  );
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: string) => () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(signal);
    };
    const onInt = on('SIGINT');
    const onTerm = on('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
}

async function run(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if ((values.tcp === undefined) === (values.pty !== true)) throw new UsageError('give exactly one of --tcp PORT or --pty');
  const count = intOption(values.meters, 'meters', 1, 1, 10_000);
  const seed = intOption(values.seed, 'seed', 1, 0, 0xffffffff);
  const password = values.password ?? '00000000';
  const managementPassword = values['management-password'] ?? password;
  const addressSize = addressSizeOption(values['address-size']);
  if (addressSize === 1 && count > 1) throw new UsageError('--address-size 1 has no physical address: it serves only one meter');
  const settings: MeterProtocolSettings = {
    managementPassword,
    maxPduSize: intOption(values['pdu-size'], 'pdu-size', 1024, 64, 0xffff),
    multipleReferences: values['no-multiple-references'] !== true,
  };

  const meters = buildFleet({ count, seed, password });
  const now = Date.now();
  for (const text of values.fault ?? []) {
    const request = parseFaultRequest(text, count, now);
    if (typeof request === 'string') throw new UsageError(request);
    try {
      meters[request.meter - 1]!.faults.add(request.fault);
    } catch (e) {
      throw new UsageError(`--fault "${text}": ${errorMessage(e)}`);
    }
  }

  const note = values.verbose === true ? (text: string): void => io.err(`chiso-sim: ${text}`) : undefined;
  let close: () => Promise<void>;
  let served: readonly ServedMeter[];
  if (values.tcp !== undefined) {
    if (values.iec21 !== undefined) throw new UsageError('--iec21 goes with --pty');
    const baud = values.baud === undefined ? undefined : intOption(values.baud, 'baud', 9600, 1, 4_000_000);
    const port = intOption(values.tcp, 'tcp', 0, 0, 65535);
    const host = values.host ?? '127.0.0.1';
    const wrapper = values.wrapper === true;
    const server = await startTcpMeterServer({ port, host, wrapper, meters, addressSize, settings, baud, onNote: note });
    const form = (wrapper ? 'wrapper' : `hdlc, ${addressSize}-byte addresses`) + (baud === undefined ? '' : `, paced at ${baud} baud`);
    io.out(`chiso-sim: serving ${count} meter(s) on tcp ${server.host}:${server.port} (${form})`);
    ({ close } = server);
    served = server.meters;
  } else {
    if (values.wrapper === true || values.host !== undefined) throw new UsageError('--wrapper and --host go with --tcp');
    const baud = intOption(values.baud, 'baud', 9600, 1, 4_000_000);
    const iec21 = iec21Option(values.iec21);
    if (iec21 && !isBaudRate(baud)) throw new UsageError(`--iec21 needs a mode C/E speed (300…19200), got --baud ${baud}`);
    const bus = await startPtyBus({ meters, baud, addressSize, settings, onNote: note, iec21: iec21 && { ...iec21, maxBaud: isBaudRate(baud) ? baud : 9600 } });
    io.out(`chiso-sim: serving ${count} meter(s) on a pty bus at ${bus.path} (${baud} baud, hdlc, ${addressSize}-byte addresses${iec21 ? `, IEC 62056-21 ${iec21.mode}` : ''})`);
    io.out(`chiso-sim: open ${bus.path}`);
    ({ close } = bus);
    served = bus.meters;
  }
  for (const m of served) io.out(describeMeterLine(m, password, managementPassword));
  io.out('chiso-sim: ready; stop with Ctrl-C (SIGINT) or SIGTERM');
  const signal = await untilSignal();
  await close();
  io.out(`chiso-sim: ${signal}: stopped`);
  return 0;
}

export const meterCommand: Command = {
  name: 'meter',
  summary: 'serve simulated DLMS meters over TCP (HDLC or wrapper) or on a pseudo-terminal RS485 bus',
  usage: USAGE,
  run,
};
