import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadGatewayConfig } from '../../../src/config/index.js';
import { createForwarder, forwarderMqttOptions, type Forwarder, type ForwarderLogger } from '../../../src/gateway/forwarder/index.js';
import { systemClock } from '../../../src/shared/clock.js';
import { openStore, Outbox, type Store } from '../../../src/store/index.js';
import { loadPrivateKey, loadPublicKey } from '../../../src/wire/index.js';
import { sampleRead } from '../../../src/wire/test-helpers.js';
import { configText, type Running } from '../service/helpers.js';

/** The test certificates (test/fixtures/tls, not secret; README there says how they were made). */
export const FIXTURES = new URL('../../fixtures/tls/', import.meta.url).pathname;
export const fixture = (name: string): string => join(FIXTURES, name);
export const CA_FILE = fixture('ca.crt');
export const CA = readFileSync(CA_FILE, 'utf8');
/** The gateway id in the CN of client.crt and other-client.crt. */
export const CERT_GATEWAY = 'TBA-Tls-Cert-01';

/**
 * The aggregator test config with a TLS listener on 127.0.0.1, port 0, using the fixture server
 * certificate; with `caFile`, client certificates signed by that CA are required.
 */
export function tlsConfigText(dir: string, caFile?: string): string {
  const ca = caFile === undefined ? '' : `    caFile: ${caFile}\n`;
  const tls = `  tls:\n    host: 127.0.0.1\n    port: 0\n    certFile: ${fixture('server.crt')}\n    keyFile: ${fixture('server.key')}\n${ca}`;
  return configText(dir).replace('  port: 0\ntopicRoot:', `  port: 0\n${tls}topicRoot:`);
}

/** Handshake failures Node reports for a certificate chain that ends in a CA the client does not trust. */
export const UNTRUSTED = ['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'];

/** One of the broker's counters (`connect.accepted`, `refused.tls.no-client-cert` …) from the metrics page. */
export function brokerCounter(a: Running, name: string): number {
  const m = new RegExp(`chiso_aggregator_broker_events\\{counter="${name.replace(/[.]/g, '\\.')}"\\} (\\d+)`).exec(a.agg.metricsText());
  return m === null ? 0 : Number(m[1]);
}

/** Connections the broker accepted (the ingest's and the command client's own logins included). */
export function accepted(a: Running): number {
  return brokerCounter(a, 'connect.accepted');
}

/** A small valid gateway file: one TCP meter (no password files); `mqtt` is the rest of its mqtt section. */
export function gatewayTemplate(mqtt: string): string {
  return `gateway:
  id: placeholder
  unitCode: PD0100
  substation: TEST0001
buses: []
models:
  house:
    registers:
      - { obis: 1.0.1.8.0.255, bcs: KT, unit: kWh }
meters:
  - id: M1
    meteringPoint: PD01000000001001
    model: house
    tcp: { host: 127.0.0.1, port: 4059, wPort: 1 }
    auth: { clientSap: 16 }
mqtt:
  url: mqtt://placeholder:1883
${mqtt}keys:
  privateKeyFile: keys/gateway.key
dataDir: data
`;
}

export type LogLine = { level: string; obj: Record<string, unknown>; msg?: string };

/** Records the forwarder's log lines (a TLS refusal is only visible there). */
export function recorder(lines: LogLine[]): ForwarderLogger {
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, ...(msg === undefined ? {} : { msg }) });
  const logger: ForwarderLogger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

/** The error code of each error the forwarder logged (mqtt.js's connection errors among them). */
export function loggedErrorCodes(lines: LogLine[]): string[] {
  return lines.flatMap((l) => {
    const code = (l.obj.err as NodeJS.ErrnoException | undefined)?.code;
    return code === undefined ? [] : [String(code)];
  });
}

export interface RunningForwarder {
  forwarder: Forwarder;
  outbox: Outbox;
  /** Closes the forwarder and its stores. */
  stop(): Promise<void>;
}

/**
 * The gateway's own forwarder, built the way the gateway service builds it: from its config file through
 * loadGatewayConfig and forwarderMqttOptions (so caFile, certFile and keyFile go the real way).
 */
export function startFromConfig(configFile: string, keyId: string, logger: ForwarderLogger, storeDir: string, storeName: string): RunningForwarder {
  const config = loadGatewayConfig(configFile, { env: {} });
  const stores: Store[] = [openStore({ path: join(storeDir, `${storeName}-reads.sqlite`) }), openStore({ path: join(storeDir, `${storeName}-events.sqlite`) })];
  const outbox = new Outbox(stores[0]!);
  const forwarder = createForwarder({
    gatewayId: config.gateway.id,
    keyId,
    privateKey: loadPrivateKey(readFileSync(config.keys.privateKeyFile, 'utf8')),
    outbox,
    eventsOutbox: new Outbox(stores[1]!),
    aggregatorKeys: [loadPublicKey(readFileSync(config.keys.aggregatorPublicKeyFile!, 'utf8'))],
    mqtt: { ...forwarderMqttOptions(config.mqtt), connectTimeoutMs: 5_000, reconnectInitialMs: 200, reconnectMaxMs: 1_000 },
    clock: systemClock,
    logger,
    version: '0.1.0-test',
    configHash: 'sha256:test',
  });
  forwarder.start();
  let stopped = false;
  return {
    forwarder,
    outbox,
    async stop() {
      if (stopped) return;
      stopped = true;
      await forwarder.close();
      for (const s of stores) s.close();
    },
  };
}

/** Appends `n` reads of `gatewayId` to the outbox; answers their read ids. */
export function appendReads(outbox: Outbox, gatewayId: string, n: number): string[] {
  const reads = Array.from({ length: n }, (_, i) => sampleRead(gatewayId, { meterId: `M${i + 1}`, value: `${1000 + i}.5` }));
  outbox.append(reads.map((r) => ({ readId: r.readId, kind: 'read' as const, billing: false, payload: JSON.stringify(r), createdAt: Date.now() })));
  return reads.map((r) => r.readId);
}
