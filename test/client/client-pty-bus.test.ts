import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPtyBus } from '../../simulators/protocol/servers.js';
import { DlmsClient } from '../../src/client/dlms-client.js';
import { MeterError } from '../../src/client/errors.js';
import { createHdlcLink } from '../../src/client/hdlc-link.js';
import { ScalerCache, readAttributes, type Reading } from '../../src/client/register-reader.js';
import { attributeRef } from '../../src/dlms/cosem/classes.js';
import { busLocks } from '../../src/transport/bus.js';
import { createSerialTransport } from '../../src/transport/serial.js';
import { meters, NOW } from './simulated.js';

const FULL_READ = [
  ...['1.0.1.8.0.255', '1.0.1.8.1.255', '1.0.1.8.2.255', '1.0.1.8.3.255', '1.0.2.8.0.255', '1.0.3.8.0.255'].map((o) => attributeRef(3, o, 2)),
  attributeRef(8, '0.0.1.0.0.255', 2),
];

describe('client on a simulated RS485 bus (pseudo-terminal, 9600 baud)', () => {
  // Meter 2 answers nothing, meter 3 refuses the password, meter 4 corrupts every frame; 1 and 5 are healthy.
  const fleet = meters(5, { faults: { 2: [{ kind: 'silent' }], 4: [{ kind: 'corrupt', everyNth: 1 }] } });
  let bus: Awaited<ReturnType<typeof startPtyBus>>;
  const port = () => createSerialTransport({ path: bus.path, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 });
  let transport: ReturnType<typeof port>;

  beforeAll(async () => {
    bus = await startPtyBus({ meters: fleet, baud: 9600 });
    transport = port();
    await transport.open();
  });
  afterAll(async () => {
    await transport.close();
    await bus.close();
  });

  async function readMeter(index: number, password: string): Promise<Reading[] | MeterError> {
    const physical = 16 + index;
    const link = createHdlcLink({ transport, clientSap: 17, server: { logical: 1, physical, size: 4 }, responseTimeoutMs: 400, maxRetries: 1 });
    const client = new DlmsClient({ link, meter: `bus/${physical}`, authentication: { mechanism: 'lls', password }, responseTimeoutMs: 400, retries: 1 });
    // One conversation at a time on a half-duplex bus.
    return busLocks.lockFor(bus.path).run(async () => {
      try {
        await client.open();
        return await readAttributes(client, `bus/${physical}`, FULL_READ, new ScalerCache());
      } catch (e) {
        if (e instanceof MeterError) return e;
        throw e;
      } finally {
        await client.close();
      }
    });
  }

  it('reads every healthy meter and gives each faulty one its typed error, in bus order', async () => {
    const outcomes = [];
    for (let i = 1; i <= 5; i++) outcomes.push(await readMeter(i, i === 3 ? 'not-this-one' : '12345678'));

    const codeOf = (o: Reading[] | MeterError) => (o instanceof MeterError ? o.code : 'read');
    expect(outcomes.map(codeOf)).toEqual(['read', 'METER_NO_ANSWER', 'METER_AUTH_FAILED', 'METER_CORRUPT', 'read']);

    for (const i of [1, 5]) {
      const readings = outcomes[i - 1] as Reading[];
      const truth = fleet[i - 1]!.truthAt(NOW);
      expect(readings.map((r) => (r.ok ? r.value ?? r.time?.toISOString() : 'x'))).toEqual([
        String(truth.registers.importTotal),
        String(truth.registers.T1),
        String(truth.registers.T2),
        String(truth.registers.T3),
        String(truth.registers.exportTotal),
        String(truth.registers.reactiveImport),
        new Date(truth.clock).toISOString(),
      ]);
    }
    const silent = outcomes[1] as MeterError;
    expect(silent.meter).toBe('bus/18');
    expect(silent.step).toBe('connect');
  });
});
