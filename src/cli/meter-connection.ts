import { createHdlcLink } from '../client/hdlc-link.js';
import { createWrapperLink } from '../client/wrapper-link.js';
import { DlmsClient } from '../client/dlms-client.js';
import type { ApduLink } from '../client/link.js';
import type { Authentication } from '../dlms/session/association.js';
import { signOn } from '../client/iec21-sign-on.js';
import { createSerialTransport, type SerialTransport } from '../transport/serial.js';
import { createTcpTransport } from '../transport/tcp.js';
import type { Transport } from '../transport/transport.js';
import { intOption, UsageError } from '../shared/command-line.js';

/** Command-line options shared by the commands that talk to a meter. */
export const meterOptions = {
  tcp: { type: 'string' },
  serial: { type: 'string' },
  baud: { type: 'string' },
  wrapper: { type: 'boolean' },
  server: { type: 'string' },
  logical: { type: 'string' },
  'address-size': { type: 'string' },
  client: { type: 'string' },
  password: { type: 'string' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
  'no-list': { type: 'boolean' },
  iec21: { type: 'boolean' },
  'iec21-address': { type: 'string' },
} as const;

export const meterOptionsHelp = `Meter connection:
  --tcp HOST:PORT        meter or modem over TCP (HDLC over TCP unless --wrapper)
  --wrapper              use the IEC 62056-47 wrapper (RF/IP and cellular meters)
  --serial DEV           RS485 port, e.g. /dev/ttyUSB0 (HDLC)
  --baud B               serial speed, default 9600 (8N1)
  --server N             HDLC physical address of the meter (default 16 on serial, none on TCP),
                         or the wrapper's server wPort (default 1)
  --logical N            HDLC logical device (default 1, the management logical device)
  --address-size 1|2|4   HDLC server address bytes (default 4 with a physical address,
                         1 when there is no physical address)
  --client N             client SAP: 16 public (default), 17 reading (default with --password), 1 management
  --password P           LLS password
  --timeout MS           answer timeout per frame, default 2000
  --retries N            re-polls or resends before giving up, default 2
  --no-list              never use GET-with-list (for meters known to mishandle it)
  --iec21                sign on with IEC 62056-21 first (300 baud 7E1, then mode E hand-over to HDLC
                         at the speed the meter offers): optical probes and meters that start in mode E
  --iec21-address A      device address in the sign-on request (usually the serial number; default none)`;

type Values = { [K in keyof typeof meterOptions]?: (typeof meterOptions)[K]['type'] extends 'boolean' ? boolean : string };

export interface MeterConnection {
  transport: Transport;
  client: DlmsClient;
  link: ApduLink;
  name: string;
}

function hostPort(text: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(text);
  if (!m) throw new UsageError(`--tcp wants HOST:PORT, got "${text}"`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new UsageError(`--tcp port ${port} is outside 1..65535`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

export function authenticationOf(values: Values): Authentication {
  return values.password !== undefined ? { mechanism: 'lls', password: values.password } : { mechanism: 'none' };
}

/** Transport and HDLC/wrapper link for the options, and a client for the meter at `physical`. */
export function openTransport(values: Values): Transport {
  if (values.tcp && values.serial) throw new UsageError('give either --tcp or --serial, not both');
  const timeout = intOption(values.timeout, 'timeout', 2000, 10, 600_000);
  if (values.tcp) {
    const { host, port } = hostPort(values.tcp);
    return createTcpTransport({ host, port, connectTimeoutMs: Math.max(timeout, 3000) });
  }
  if (values.serial) {
    if (values.wrapper) throw new UsageError('--wrapper is for TCP; a serial line carries HDLC');
    if (values.iec21) {
      // The sign-on starts at 300 baud 7E1; parity is made in software so that the switch to 8N1
      // never reopens the port (a reopen drops DTR, which powers some optical probes).
      return createSerialTransport({ path: values.serial, baudRate: 300, dataBits: 7, parity: 'even', stopBits: 1, emulate7E1: true });
    }
    const baudRate = intOption(values.baud, 'baud', 9600, 300, 115200);
    return createSerialTransport({ path: values.serial, baudRate, dataBits: 8, parity: 'none', stopBits: 1 });
  }
  throw new UsageError('say where the meter is: --tcp HOST:PORT or --serial DEV');
}

export function linkFor(values: Values, transport: Transport, physical: number | undefined, ownsTransport: boolean): ApduLink {
  const timeout = intOption(values.timeout, 'timeout', 2000, 10, 600_000);
  const retries = intOption(values.retries, 'retries', 2, 0, 20);
  const clientSap = intOption(values.client, 'client', values.password !== undefined ? 17 : 16, 1, 127);
  if (values.wrapper) {
    return createWrapperLink({ transport, clientWPort: clientSap, serverWPort: physical ?? 1 });
  }
  const logical = intOption(values.logical, 'logical', 1, 0, 16383);
  const size = values['address-size'] ? intOption(values['address-size'], 'address-size', 2, 1, 4) : physical === undefined ? 1 : 4;
  if (size !== 1 && size !== 2 && size !== 4) throw new UsageError('--address-size must be 1, 2 or 4');
  return createHdlcLink({
    transport,
    clientSap,
    server: size === 1 ? { logical, size } : { logical, physical: physical ?? 0, size },
    responseTimeoutMs: timeout,
    maxRetries: retries,
    ownsTransport,
  });
}

export function clientFor(values: Values, link: ApduLink, name: string): DlmsClient {
  return new DlmsClient({
    link,
    meter: name,
    authentication: authenticationOf(values),
    responseTimeoutMs: intOption(values.timeout, 'timeout', 2000, 10, 600_000),
    retries: intOption(values.retries, 'retries', 2, 0, 20),
    withList: values['no-list'] ? 'never' : 'auto',
  });
}

/** With --iec21, the mode E sign-on that hands the line over to HDLC; nothing otherwise. */
export async function signOnIfAsked(values: Values, transport: Transport): Promise<void> {
  if (!values.iec21) return;
  if (!values.serial) throw new UsageError('--iec21 needs --serial: the sign-on runs on a serial line or optical probe');
  await transport.open();
  await signOn(transport as SerialTransport, { mode: 'hdlc', ...(values['iec21-address'] ? { address: values['iec21-address'] } : {}) });
}

export function serverAddressOf(values: Values): number | undefined {
  if (values.server !== undefined) return intOption(values.server, 'server', 16, 0, 16383);
  return values.serial ? 16 : undefined;
}
