import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import pino from 'pino';
import { SimulatedMeter } from '../../../simulators/meter/meter-model.js';
import type { MeterProtocolSettings } from '../../../simulators/protocol/meter-endpoint.js';
import { startTcpMeterServer } from '../../../simulators/protocol/servers.js';
import { parseGatewayConfig } from '../../../src/config/load-gateway-config.js';
import { buildGateway, type Gateway, type GatewayDeps } from '../../../src/gateway/service/gateway.js';
import { openStore, type OpenStoreOptions, type Store } from '../../../src/store/database.js';
import { gatewayTopic, generateKeyPair, KeyRing, loadPrivateKey, loadPublicKey, sign, signCommand, type Command, type CommandResponse } from '../../../src/wire/index.js';
import { startBroker, waitFor, type TestBroker } from '../forwarder/broker.js';
import { FakeAggregator } from '../forwarder/fake-aggregator.js';
import { tempDir } from '../../store/temp-dir.js';

export const GATEWAY_ID = 'gw-svc-01';

/** One gateway service over real parts: TCP simulated meters, an aedes broker, a stand-in aggregator. */
export interface ServiceRig {
  gateway: Gateway;
  meters: SimulatedMeter[];
  aggregator: FakeAggregator;
  broker: TestBroker;
  stores: Store[];
  logs: { level: number; msg: string; code?: string }[];
  configPath: string;
  yaml: (extra?: string) => string;
  aggregatorKey: ReturnType<typeof loadPrivateKey>;
  aggregatorKeyId: string;
  /** Signs a command with the aggregator key, publishes it and waits for the gateway's answer. */
  send(command: Command, overrides?: { key?: ReturnType<typeof loadPrivateKey>; keyId?: string; expiresAt?: string; issuedAt?: string; forgeWith?: ReturnType<typeof loadPrivateKey> }): Promise<CommandResponse>;
  close(): Promise<void>;
}

export async function startRig(
  options: { meters?: number; extraYaml?: string; now?: () => number; deps?: Partial<GatewayDeps>; meterSettings?: MeterProtocolSettings } = {},
): Promise<ServiceRig> {
  const tmp = tempDir('chiso-gw-svc-');
  const now = options.now ?? Date.now;
  const meters = Array.from(
    { length: options.meters ?? 2 },
    (_, i) => new SimulatedMeter({ serial: `S${i + 1}`, seed: i + 1, profile: { kind: 'household' }, installedAt: Date.UTC(2025, 0, 1), password: 'secret', timeSource: now }),
  );
  const tcp = await startTcpMeterServer({ port: 0, wrapper: true, meters, ...(options.meterSettings ? { settings: options.meterSettings } : {}) });
  const broker = await startBroker();
  const gwKeys = generateKeyPair();
  const aggKeys = generateKeyPair();
  writeFileSync(tmp.file('gateway.key'), gwKeys.privateKeyPem, { mode: 0o600 });
  writeFileSync(tmp.file('aggregator.pub'), aggKeys.publicKeyPem);
  const ring = new KeyRing();
  ring.add(GATEWAY_ID, loadPublicKey(gwKeys.publicKeyPem));
  const aggregator = new FakeAggregator(broker.url, ring);
  await aggregator.connect();

  const yaml = (extra = options.extraYaml ?? '') => `
gateway: { id: ${GATEWAY_ID}, unitCode: PD0100, substation: TBA-SVC }
models:
  m: { registers: [{ obis: 1.0.1.8.0.255, bcs: KT, unit: kWh }, { obis: 1.0.1.8.1.255, bcs: BT, unit: kWh }] }
meters:
${meters.map((_, i) => `  - { id: CT${i + 1}, meteringPoint: PD0100000${i + 1}001, customerCode: PD0100000${i + 1}, model: m, auth: { clientSap: 17, password: secret }, tcp: { host: 127.0.0.1, port: ${tcp.port}, profile: wrapper, wPort: ${i + 1}, responseTimeoutMs: 1000, maxRetries: 1 } }`).join('\n')}
mqtt: { url: "${broker.url}" }
keys: { privateKeyFile: ${tmp.file('gateway.key')}, aggregatorPublicKeyFile: ${tmp.file('aggregator.pub')} }
dataDir: ${tmp.file('data')}
metrics: false
${extra}
`;
  const configPath = tmp.file('gateway.yaml');
  writeFileSync(configPath, yaml());
  const config = parseGatewayConfig(yaml(), configPath);
  const logs: ServiceRig['logs'] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as ServiceRig['logs'][number]) });
  const stores: Store[] = [];
  const gateway = buildGateway(config, {
    logger,
    trigger: { every: () => ({ stop: () => undefined }) },
    openStore: (o: OpenStoreOptions) => {
      const s = openStore(o);
      stores.push(s);
      return s;
    },
    ...options.deps,
  });
  await gateway.start();
  const aggregatorKey = loadPrivateKey(aggKeys.privateKeyPem);
  const cmdTopic = gatewayTopic(GATEWAY_ID, 'cmd');

  return {
    gateway,
    meters,
    aggregator,
    broker,
    stores,
    logs,
    configPath,
    yaml,
    aggregatorKey,
    aggregatorKeyId: aggKeys.keyId,
    async send(command, o = {}) {
      const id = randomUUID();
      const t = Date.now();
      const bytes = signCommand(
        { id, gatewayId: GATEWAY_ID, issuedAt: o.issuedAt ?? new Date(t - 1000).toISOString(), expiresAt: o.expiresAt ?? new Date(t + 300_000).toISOString(), command },
        o.key ?? aggregatorKey,
        o.keyId ?? aggKeys.keyId,
      );
      let payload: Uint8Array = bytes;
      if (o.forgeWith !== undefined) {
        // The aggregator's key id in the header, someone else's signature over the same payload.
        const env = JSON.parse(Buffer.from(bytes).toString()) as Record<string, string>;
        payload = Buffer.from(JSON.stringify({ ...env, sig: Buffer.from(sign(Buffer.from(env['payload']!, 'base64'), o.forgeWith)).toString('base64') }));
      }
      await aggregator.publish(cmdTopic, payload);
      await waitFor(() => aggregator.responses.some((r) => r.id === id), `the answer to ${command.type}`, 20_000);
      return aggregator.responses.find((r) => r.id === id)!;
    },
    async close() {
      await gateway.close();
      await aggregator.offline(true).catch(() => undefined);
      await broker.close();
      await tcp.close();
      tmp.cleanup();
    },
  };
}
