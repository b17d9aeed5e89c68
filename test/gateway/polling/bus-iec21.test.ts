import { writeFileSync } from 'node:fs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPtyBus } from '../../../simulators/protocol/servers.js';
import { parseGatewayConfig } from '../../../src/config/load-gateway-config.js';
import { buildGateway } from '../../../src/gateway/service/gateway.js';
import { generateKeyPair } from '../../../src/wire/keys.js';
import { tempDir } from '../../store/temp-dir.js';
import { startBroker } from '../forwarder/broker.js';
import { ScalerCache } from '../../../src/client/register-reader.js';
import type { BusDefinition, MeterDefinition, MeterReadResult, MeterReadSuccess } from '../../../src/gateway/model.js';
import { createBusPoller, type SessionReport } from '../../../src/gateway/polling/bus-poller.js';
import { readJob, type ReadJobContext } from '../../../src/gateway/polling/read-job.js';
import { BusRegistry } from '../../../src/transport/bus.js';
import { asKilo, definition, NOW, shiftedClock, simMeter } from './fleet.js';

/**
 * A bus of meters that each want the IEC 62056-21 sign-on (mode E, addressed by serial number) before
 * HDLC: the real bus poller on a socat pseudo-terminal, 300 baud 7E1 for the sign-on, then HDLC at the
 * 9600 baud each meter offers.
 */
describe('bus poller on an IEC 62056-21 mode E bus (2 meters)', () => {
  const fleet = [1, 2].map((i) => simMeter(i));
  const { clock } = shiftedClock();
  const sessions: SessionReport[] = [];
  let bus: Awaited<ReturnType<typeof startPtyBus>>;
  let poller: ReturnType<typeof createBusPoller>;
  let meters: MeterDefinition[];
  const ctx: ReadJobContext = { clock, scalers: new ScalerCache(), serialsChecked: new Set(), eventLogMarks: new Map(), models: { 'SIM-1P': { statusWord: true } } };

  beforeAll(async () => {
    bus = await startPtyBus({ meters: fleet, baud: 9600, iec21: { mode: 'mode-e', maxBaud: 9600 } });
    const definitionOfBus: BusDefinition = {
      id: 'bus-e',
      device: bus.path,
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
      responseTimeoutMs: 1000,
      maxRetries: 1,
      interFrameGapMs: 5,
      iec21: true,
    };
    poller = createBusPoller({ bus: definitionOfBus, backoff: { baseMs: 60_000, capMs: 600_000 } }, { clock, locks: new BusRegistry(), onSession: (r) => sessions.push(r) });
    meters = [1, 2].map((i) => definition(i, { kind: 'bus', bus: 'bus-e', server: { logical: 1, physical: 16 + i, size: 4 } }));
  }, 20_000);

  afterAll(async () => {
    await poller?.close();
    await bus?.close();
  });

  const totalOf = (r: MeterReadSuccess) => r.registers.find((v) => v.obis === '1.0.1.8.0.255')?.value;

  it('signs each meter on by its serial and reads both over HDLC', async () => {
    const results = await poller.pollAll(meters, readJob(ctx));
    expect(results.map((r) => (r.ok ? 'ok' : `${r.code} at ${r.step}: ${r.message}`))).toEqual(['ok', 'ok']);
    for (const [i, r] of results.entries()) {
      const truth = fleet[i]!.truthAt(NOW);
      expect(totalOf(r as MeterReadSuccess)).toBe(asKilo(truth.registers.importTotal, truth.scaler));
    }
    // Each HDLC conversation ended with a disconnect: the meters are back in sign-on mode, so a second
    // cycle signs on again and reads the same values.
    const again = await poller.pollAll(meters, readJob(ctx));
    expect(again.map((r) => r.ok)).toEqual([true, true]);
  }, 60_000);

  it('gives a meter that does not answer the sign-on its typed error and still reads the next one', async () => {
    // CT001 configured with a serial no meter on the bus has: nobody answers its sign-on request.
    const wrong = [{ ...meters[0]!, serial: 'NOSUCH01' }, meters[1]!];
    sessions.length = 0;
    const results: MeterReadResult[] = await poller.pollAll(wrong, readJob(ctx));
    const [lost, read] = results;
    expect(lost).toMatchObject({ ok: false, meterId: 'CT001', code: 'METER_NO_ANSWER', step: 'sign-on' });
    expect((lost as { message: string }).message).toMatch(/^meter CT001: sign-on: .*the request went to serial NOSUCH01 on bus bus-e$/);
    expect(read).toMatchObject({ ok: true, meterId: 'CT002' });
    expect(totalOf(read as MeterReadSuccess)).toBe(asKilo(fleet[1]!.truthAt(NOW).registers.importTotal, fleet[1]!.truthAt(NOW).scaler));
    expect(sessions.map((s) => [s.meterId, s.ok])).toEqual([
      ['CT001', false],
      ['CT002', true],
    ]);
  }, 60_000);
});

/** The same through the gateway service: `iec21: true` on the bus in the config file is all it takes. */
describe('gateway service with an iec21 bus', () => {
  it('reads both meters of the bus after their sign-on and stores their registers', async () => {
    const tmp = tempDir('chiso-gw-iec21-');
    const fleet = [1, 2].map((i) => simMeter(i));
    const bus = await startPtyBus({ meters: fleet, baud: 9600, iec21: { mode: 'mode-e' } });
    const broker = await startBroker();
    const keys = generateKeyPair();
    writeFileSync(tmp.file('gateway.key'), keys.privateKeyPem, { mode: 0o600 });
    const yaml = `
gateway: { id: gw-iec21, unitCode: PD0100, substation: TBA-IEC }
buses: [{ id: b1, device: ${bus.path}, baud: 9600, iec21: true, responseTimeoutMs: 1000, maxRetries: 1 }]
models:
  m: { registers: [{ obis: 1.0.1.8.0.255, bcs: KT, unit: kWh }, { obis: 1.0.1.8.1.255, bcs: BT, unit: kWh }] }
meters:
${[1, 2].map((i) => `  - { id: CT${i}, serial: ${fleet[i - 1]!.serial}, meteringPoint: PD0100000${i}001, model: m, bus: b1, hdlcAddress: { physical: ${16 + i} }, auth: { clientSap: 17, password: "12345678" } }`).join('\n')}
mqtt: { url: "${broker.url}" }
keys: { privateKeyFile: ${tmp.file('gateway.key')} }
dataDir: ${tmp.file('data')}
metrics: false
`;
    const gateway = buildGateway(parseGatewayConfig(yaml, tmp.file('gateway.yaml')), { logger: pino({ level: 'silent' }), trigger: { every: () => ({ stop: () => undefined }) } });
    try {
      await gateway.start();
      await gateway.runCycle('registers');
      expect(gateway.status().lastCycle).toMatchObject({ kind: 'registers', ok: 2, failed: 0 });
      // No aggregator acks here: the 2 × 2 register reads wait in the outbox.
      expect(gateway.status().backlog.count).toBeGreaterThanOrEqual(4);
    } finally {
      await gateway.close();
      await broker.close();
      await bus.close();
      tmp.cleanup();
    }
  }, 60_000);
});
