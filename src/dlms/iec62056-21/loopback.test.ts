import { describe, expect, it } from 'vitest';
import { clientNext, initialClientState, type ClientInput, type ClientOptions, type ClientState } from './client.js';
import type { DataLine } from './data-block.js';
import type { Iec21Effect, SerialFormat } from './effects.js';
import { initialServerState, serverNext, type ServerConfig, type ServerInput, type ServerState } from './server.js';

/**
 * Client and server machines wired together over a simulated serial line with virtual time.
 * Each character takes 10 bit times at the sender's speed and arrives garbled (0x00) when the
 * receiver's speed or format differs at that moment, so badly ordered speed changes show up as
 * lost characters. A `set-baud` while the sender's UART is still shifting out is recorded too.
 */
interface Side {
  name: 'client' | 'server';
  baud: number;
  format: SerialFormat;
  uartBusyUntil: number;
  timerToken: number;
  feed(input: ClientInput | ServerInput): Iec21Effect[];
  outcomes: Iec21Effect[];
}

interface Event {
  at: number;
  seq: number;
  run(): void;
}

function simulate(clientOptions: ClientOptions, serverConfig: ServerConfig, start: ClientInput, horizonMs = 60_000) {
  let now = 0;
  let seq = 0;
  const queue: Event[] = [];
  const schedule = (at: number, run: () => void): void => {
    queue.push({ at, seq: seq++, run });
    queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
  };
  const garbled: string[] = [];
  const cutOff: string[] = [];

  let clientState: ClientState = initialClientState(clientOptions);
  let serverState: ServerState = initialServerState(serverConfig);
  const client: Side = {
    name: 'client',
    baud: 300,
    format: '7E1',
    uartBusyUntil: 0,
    timerToken: 0,
    outcomes: [],
    feed(input) {
      const step = clientNext(clientState, input as ClientInput);
      clientState = step.state;
      return step.effects;
    },
  };
  const server: Side = {
    name: 'server',
    baud: 300,
    format: '7E1',
    uartBusyUntil: 0,
    timerToken: 0,
    outcomes: [],
    feed(input) {
      const step = serverNext(serverState, input as ServerInput);
      serverState = step.state;
      return step.effects;
    },
  };
  const peer = (s: Side): Side => (s === client ? server : client);

  /** Runs effects in order from `index`, suspending on `wait`. */
  function execute(side: Side, effects: Iec21Effect[], index = 0): void {
    for (let i = index; i < effects.length; i++) {
      const e = effects[i] as Iec21Effect;
      switch (e.type) {
        case 'wait':
          schedule(now + e.ms, () => execute(side, effects, i + 1));
          return;
        case 'write': {
          const charMs = 10_000 / side.baud;
          const startAt = Math.max(now, side.uartBusyUntil);
          const { baud, format } = side;
          const other = peer(side);
          e.bytes.forEach((b, k) => {
            schedule(startAt + (k + 1) * charMs, () => {
              const ok = other.baud === baud && other.format === format;
              if (!ok) garbled.push(`${side.name}→${other.name} 0x${b.toString(16)} at ${now.toFixed(1)} ms`);
              execute(other, other.feed({ type: 'bytes', bytes: Uint8Array.of(ok ? b : 0x00) }));
            });
          });
          side.uartBusyUntil = startAt + e.bytes.length * charMs;
          break;
        }
        case 'set-baud':
          if (now < side.uartBusyUntil - 1e-9) cutOff.push(`${side.name} changed speed ${(side.uartBusyUntil - now).toFixed(1)} ms before its UART was done`);
          side.baud = e.baud;
          side.format = e.format;
          break;
        case 'timer': {
          const token = ++side.timerToken;
          schedule(now + e.ms, () => {
            if (side.timerToken === token) execute(side, side.feed({ type: 'timeout' }));
          });
          break;
        }
        case 'cancel-timer':
          side.timerToken++;
          break;
        default:
          side.outcomes.push(e);
      }
    }
  }

  execute(client, client.feed(start));
  while (queue.length > 0) {
    const ev = queue.shift() as Event;
    if (ev.at > horizonMs) break;
    now = ev.at;
    ev.run();
  }
  return { client, server, clientState: () => clientState, serverState: () => serverState, garbled, cutOff, now: () => now };
}

const LINES: DataLine[] = [
  { id: 'F.F', values: [{ value: '00000000' }] },
  { id: 'C.1.0', values: [{ value: '87654321' }] },
  { id: '0.9.1', values: [{ value: '14:32:05' }] },
  { id: '0.9.2', values: [{ value: '24-11-25' }] },
  { id: '1.8.0', values: [{ value: '001234.56', unit: 'kWh' }] },
  { id: '1.8.1', values: [{ value: '000700.10', unit: 'kWh' }] },
  { id: '1.8.2', values: [{ value: '000400.26', unit: 'kWh' }] },
  { id: '1.8.3', values: [{ value: '000134.20', unit: 'kWh' }] },
  { id: '2.8.0', values: [{ value: '000000.00', unit: 'kWh' }] },
  { id: '3.8.0', values: [{ value: '000456.78', unit: 'kvarh' }] },
  { id: '1.6.0', values: [{ value: '0001.23', unit: 'kW' }, { value: '24-11-25 12:00' }] },
];
const METER: ServerConfig = { manufacturer: 'KFM', ident: 'VN3P-2024', maxBaud: 9600, modeE: true, address: '87654321', readout: LINES };

describe('client ↔ server over a simulated line', () => {
  it('mode C: the readout arrives intact at 9600 baud and both sides end at rest', () => {
    const sim = simulate({}, METER, { type: 'start', mode: 'readout', address: '87654321' });
    expect(sim.garbled).toEqual([]);
    expect(sim.cutOff).toEqual([]);
    expect(sim.client.outcomes).toEqual([
      { type: 'readout', identification: { manufacturer: 'KFM', baud: 9600, capability: '2', ident: 'VN3P-2024' }, lines: LINES },
    ]);
    expect(sim.clientState().step).toBe('done');
    expect(sim.serverState().step).toBe('idle');
    expect(sim.server.baud).toBe(300); // back to the initial speed
    expect(sim.client.baud).toBe(9600);
  });

  it('mode C: the client settles for the slower of the two speeds', () => {
    const sim = simulate({ maxBaud: 2400 }, METER, { type: 'start', mode: 'readout' });
    expect(sim.garbled).toEqual([]);
    expect(sim.client.outcomes).toMatchObject([{ type: 'readout', lines: LINES }]);
    expect(sim.client.baud).toBe(2400);
  });

  it('mode E: both sides switch to 9600 8N1 and hand over to HDLC', () => {
    const sim = simulate({}, METER, { type: 'start', mode: 'hdlc' });
    expect(sim.garbled).toEqual([]);
    expect(sim.cutOff).toEqual([]);
    expect(sim.client.outcomes).toEqual([{ type: 'hdlc-ready', baud: 9600 }]);
    expect(sim.server.outcomes).toEqual([{ type: 'hdlc-ready', baud: 9600 }]);
    expect([sim.client.baud, sim.client.format, sim.server.baud, sim.server.format]).toEqual([9600, '8N1', 9600, '8N1']);
  });

  it('a meter with another address stays silent and the client times out at the identification', () => {
    const sim = simulate({}, METER, { type: 'start', mode: 'readout', address: '11111111' });
    expect(sim.client.outcomes).toMatchObject([{ type: 'error', error: { code: 'DLMS_IEC21_TIMEOUT', context: { step: 'await-identification', received: 0 } } }]);
    expect(sim.server.outcomes).toEqual([]);
  });

  it('the harness catches a client that switches speed too late (the first characters are lost)', () => {
    const sim = simulate({ baudSwitchDelayMs: 1000 }, METER, { type: 'start', mode: 'readout' });
    expect(sim.garbled.length).toBeGreaterThan(0);
    expect(sim.client.outcomes).toMatchObject([{ type: 'error' }]);
  });

  it('the harness catches a client that switches speed before its ACK is out', () => {
    const sim = simulate({ baudSwitchDelayMs: 50 }, METER, { type: 'start', mode: 'readout' });
    expect(sim.cutOff).toHaveLength(1);
  });
});
