import { spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { CalendarSchema } from '../../../src/aggregator/calendar/reading-calendar.js';
import { buildAggregator, type Aggregator, type AggregatorPorts } from '../../../src/aggregator/service/index.js';
import { parseAggregatorConfig } from '../../../src/config/load-aggregator-config.js';
import { keyIdOf, loadPrivateKey } from '../../../src/wire/index.js';
import type { TestSigner } from '../../../src/wire/test-helpers.js';
import { silent, TEST_SCRYPT, withAcks, type TestGateway } from '../ingest/harness.js';
import { tempDir } from '../../store/temp-dir.js';
import { root } from '../../support/processes.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** A valid aggregator file for a temp folder: everything on 127.0.0.1, ports picked by the system. */
export function configText(dir: string, extra = ''): string {
  return `aggregator:
  name: test aggregator
broker:
  embedded: true
  host: 127.0.0.1
  port: 0
topicRoot: chiso/v1
dataDir: ${dir}/data
http:
  host: 127.0.0.1
  port: 0
  adminToken: ${ADMIN_TOKEN}
keys:
  privateKeyFile: ${dir}/aggregator.key
  generate: true
books:
  exportDir: ${dir}/books
metrics: false
logLevel: silent
${extra}`;
}

export interface Running {
  agg: Aggregator;
  ports: AggregatorPorts;
  dir: string;
  apiUrl: string;
  mqttUrl: string;
  /** fetch against the API; `token` false sends no Authorization header. */
  api(method: string, path: string, options?: { body?: unknown; token?: string | false }): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

export async function startTestAggregator(text?: (dir: string) => string): Promise<Running> {
  const tmp = tempDir('chiso-agg-svc-');
  const config = parseAggregatorConfig((text ?? configText)(tmp.dir), join(tmp.dir, 'aggregator.yaml'), { calendarSchema: CalendarSchema, env: {} });
  const agg = buildAggregator(config, { logger: silent, scrypt: TEST_SCRYPT });
  const ports = await agg.start();
  const apiUrl = `http://127.0.0.1:${ports.httpPort}`;
  return {
    agg,
    ports,
    dir: tmp.dir,
    apiUrl,
    mqttUrl: `mqtt://127.0.0.1:${ports.mqttPort}`,
    async api(method, path, options = {}) {
      const token = options.token ?? ADMIN_TOKEN;
      const res = await fetch(apiUrl + path, {
        method,
        headers: { ...(token === false ? {} : { authorization: `Bearer ${token}` }), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
        signal: AbortSignal.timeout(5_000),
      });
      const body = await res.text();
      return { status: res.status, json: body === '' ? undefined : JSON.parse(body) };
    },
    async close() {
      await agg.close();
      tmp.cleanup();
    },
  };
}

/** Connects as a provisioned gateway: its key and password read from the files `chiso provision` wrote. */
export async function connectProvisioned(mqttUrl: string, gatewayId: string, files: { privateKey: string; mqttPassword: string }): Promise<TestGateway> {
  const privateKey = loadPrivateKey(readFileSync(files.privateKey, 'utf8'));
  const publicKey = createPublicKey(privateKey);
  const signer: TestSigner = {
    gatewayId,
    keyId: keyIdOf(publicKey),
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
  const password = readFileSync(files.mqttPassword, 'utf8').trim();
  const client = await connectAsync(mqttUrl, { clientId: gatewayId, username: gatewayId, password, reconnectPeriod: 0, connectTimeout: 5_000 });
  return withAcks(signer, password, client);
}

/**
 * `npx tsc -p tsconfig.json` when dist/ is older than this folder's sources (the process-level tests run
 * the compiled program). tsc emits even when another folder has type errors; only missing output fails.
 */
export function buildIfStale(): void {
  const sources = [
    ...['src/aggregator/service', 'src/aggregator/http'].flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.ts')).map((f) => join(d, f))),
    'src/cli/aggregator-command.ts', 'src/cli/provision-command.ts', 'src/cli/enrol-command.ts',
    'src/config/aggregator-schema.ts', 'src/config/aggregator-files.ts', 'src/config/load-aggregator-config.ts',
  ];
  const built = (src: string) => join(root, 'dist', src.replace(/\.ts$/, '.js'));
  const stale = sources.some((s) => !existsSync(built(s)) || statSync(built(s)).mtimeMs < statSync(join(root, s)).mtimeMs);
  if (stale) spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { cwd: root, timeout: 110_000 });
}
