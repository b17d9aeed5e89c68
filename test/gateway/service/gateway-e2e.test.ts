import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../../../simulators/meter/faults.js';
import { SimulatedMeter } from '../../../simulators/meter/meter-model.js';
import { startPtyBus, startTcpMeterServer } from '../../../simulators/protocol/servers.js';
import { parseGatewayConfig } from '../../../src/config/load-gateway-config.js';
import { buildGateway, type Gateway } from '../../../src/gateway/service/gateway.js';
import { readStatusFile } from '../../../src/gateway/service/status-file.js';
import { generateKeyPair } from '../../../src/wire/keys.js';
import { count, silent, startAggregator, waitFor, type Harness } from '../../aggregator/ingest/harness.js';
import { tempDir } from '../../store/temp-dir.js';

/** Meters whose registers are frozen at a fixed instant, so the values the aggregator stores are exact. */
const NOW = Date.UTC(2026, 2, 15, 3, 0, 0);
const meter = (i: number, faults: Fault[] = []) =>
  new SimulatedMeter({ serial: `E2E${i}`, seed: i, profile: { kind: 'household' }, installedAt: Date.UTC(2025, 0, 1), initialIndexWh: 5_000_000 * i, password: 'secret', timeSource: () => NOW, faults });

describe('gateway end to end: simulated meters → gateway → broker → verified ingest', () => {
  const tmp = tempDir('chiso-gw-e2e-');
  const busMeters = [meter(1), meter(2, [{ kind: 'silent' }]), meter(3)];
  const tcpMeters = [meter(4), meter(5)];
  let aggregator: Harness;
  let bus: Awaited<ReturnType<typeof startPtyBus>>;
  let tcp: Awaited<ReturnType<typeof startTcpMeterServer>>;
  let gateway: Gateway;
  const gatewayId = 'gw-e2e-01';

  beforeAll(async () => {
    aggregator = await startAggregator();
    bus = await startPtyBus({ meters: busMeters, baud: 9600 });
    tcp = await startTcpMeterServer({ port: 0, wrapper: true, meters: tcpMeters });
    const keys = generateKeyPair();
    writeFileSync(tmp.file('gateway.key'), keys.privateKeyPem, { mode: 0o600 });
    const { token } = aggregator.db.enrolment.issue(gatewayId, 60_000, Date.now());
    const enrolled = await aggregator.db.enrolment.consume({ token, gatewayId, publicKeyPem: keys.publicKeyPem }, Date.now);
    const meterYaml = (id: number, conn: string) => `
  - id: CT${id}
    serial: E2E${id}
    meteringPoint: PD0100000${id}001
    customerCode: PD0100000${id}
    bookCode: D0000001
    routeOrder: ${id}
    model: household-1p
${conn}
    auth: { clientSap: 17, password: secret }`;
    const yaml = `
gateway: { id: ${gatewayId}, unitCode: PD0100, substation: TBA-E2E }
buses:
  - { id: rs485-1, device: ${bus.path}, baud: 9600, responseTimeoutMs: 1000, maxRetries: 1 }  # room for a loaded 2-core machine; answers take ~100 ms
models:
  household-1p:
    registers:
      - { obis: 1.0.1.8.0.255, bcs: KT, unit: kWh }
      - { obis: 1.0.1.8.1.255, bcs: BT, unit: kWh }
      - { obis: 1.0.1.8.2.255, bcs: CD, unit: kWh }
      - { obis: 1.0.1.8.3.255, bcs: TD, unit: kWh }
      - { obis: 1.0.2.8.0.255, bcs: null, unit: kWh }
      - { obis: 1.0.3.8.0.255, bcs: VC, unit: kvarh }
meters:${[1, 2, 3].map((i) => meterYaml(i, `    bus: rs485-1\n    hdlcAddress: { physical: ${16 + i} }`)).join('')}${[4, 5]
      .map((i) => meterYaml(i, `    tcp: { host: 127.0.0.1, port: ${tcp.port}, profile: wrapper, wPort: ${i - 3}, responseTimeoutMs: 1000, maxRetries: 1 }  # room for a loaded 2-core machine; answers take ~100 ms`))
      .join('')}
mqtt: { url: "${aggregator.url}", password: "${enrolled.password}" }
keys: { privateKeyFile: ${tmp.file('gateway.key')} }
dataDir: ${tmp.file('data')}
metrics: false
`;
    const config = parseGatewayConfig(yaml, tmp.file('gateway.yaml'));
    // A trigger that never fires: the test runs the cycles itself.
    gateway = buildGateway(config, { logger: silent, trigger: { every: () => ({ stop: () => undefined }) } });
    await gateway.start();
  }, 30_000);

  afterAll(async () => {
    await gateway?.close();
    await bus?.close();
    await tcp?.close();
    await aggregator?.close();
    tmp.cleanup();
  });

  it('stores every register of every readable meter centrally, exactly, and empties the outbox on acks', async () => {
    await gateway.runCycle('registers');
    // First what the cycle itself saw, so that a meter lost on the wire is named here rather than showing
    // up as reads that never arrive.
    expect({ lastCycle: gateway.status().lastCycle, problems: gateway.status().problems }).toMatchObject({ lastCycle: { kind: 'registers', ok: 4, failed: 1 } });
    // 4 readable meters × 6 registers.
    await waitFor(() => count(aggregator.db, 'reads') === 24, 'the 24 reads at the aggregator', 15_000);
    // Reads and events both leave the outbox only on the aggregator's acknowledgement.
    await waitFor(() => gateway.status().backlog.count === 0, 'the acks', 15_000);

    const rows = aggregator.db.store.db.prepare("SELECT meter_id AS meter, obis, value, bcs FROM reads WHERE obis = '1.0.1.8.0.255' ORDER BY meter_id").all() as {
      meter: string;
      value: string;
      bcs: string;
    }[];
    const truth = (m: SimulatedMeter) => String(m.truthAt(NOW).registers.importTotal / 1000);
    expect(rows.map((r) => [r.meter, Number(r.value), r.bcs])).toEqual([
      ['CT1', Number(truth(busMeters[0]!)), 'KT'],
      ['CT3', Number(truth(busMeters[2]!)), 'KT'],
      ['CT4', Number(truth(tcpMeters[0]!)), 'KT'],
      ['CT5', Number(truth(tcpMeters[1]!)), 'KT'],
    ]);
    const status = gateway.status();
    expect(status.lastCycle).toMatchObject({ kind: 'registers', ok: 4, failed: 1 });
    expect(status.central.connected).toBe(true);
    expect(readStatusFile(tmp.file('data')).gatewayId).toBe(gatewayId);
  }, 40_000);

  it('reads again without storing anything twice at the aggregator', async () => {
    const before = count(aggregator.db, 'reads');
    await gateway.runCycle('registers');
    await new Promise((r) => setTimeout(r, 500));
    // The meters' clocks are frozen: same meter time, same read ids, so nothing new is stored.
    expect(count(aggregator.db, 'reads')).toBe(before);
  }, 30_000);

  it('exposes Prometheus metrics for reads, polls and backlog', () => {
    const text = gateway.metricsText();
    expect(text).toMatch(/chiso_gateway_reads_total \d+/);
    expect(text).toMatch(/chiso_gateway_polls_total\{outcome="METER_NO_ANSWER"\} 2/);
    expect(text).toMatch(/chiso_gateway_polls_total\{outcome="ok"\} 8/);
  });
});
