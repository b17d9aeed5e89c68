import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { buildEmbeddedBroker, DEFAULT_INTERNAL_USERNAME } from '../../src/aggregator/broker/index.js';
import { buildIngest } from '../../src/aggregator/ingest/index.js';
import { openCentralDb } from '../../src/aggregator/store/index.js';
import { generateKeyPair, ReadBatchSchema } from '../../src/wire/index.js';
import { batchPayload } from './ingest-batches.js';
import type { FromGateways, GatewaysPlan } from './ingest-gateways.js';
import { fmt } from './meter-session.js';

const MONTH_END_READS = 4_700_000;
const gatewaysScript = fileURLToPath(new URL('./ingest-gateways.js', import.meta.url));

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Math.max(1, Math.trunc(Number(v)));
}

/**
 * End-to-end ingest: many simulated gateways (another process, each with its own enrolled key and MQTT
 * login) publish signed 200-read batches to the real embedded broker on 127.0.0.1; the real ingest
 * verifies, stores (synchronous=FULL) and acks them. Timed from the first publish until every read is
 * acknowledged as stored. CHISO_BENCH_READS (default a whole month-end, 4.7 M) and CHISO_BENCH_GATEWAYS
 * (default 500) change the run.
 */
export async function benchIngest(): Promise<void> {
  const totalReads = envInt('CHISO_BENCH_READS', MONTH_END_READS);
  const gatewayCount = Math.min(envInt('CHISO_BENCH_GATEWAYS', 500), totalReads);
  const batchSize = 200;
  const window = 4;
  const readsPerGateway = Math.floor(totalReads / gatewayCount);
  const reads = readsPerGateway * gatewayCount;
  const dir = mkdtempSync(join(tmpdir(), 'chiso-bench-ingest-'));
  const silent = pino({ level: 'silent' });
  const internal = { username: DEFAULT_INTERNAL_USERNAME, password: 'bench-internal' };
  const dbPath = join(dir, 'central.db');
  const db = openCentralDb({ path: dbPath, scrypt: { N: 1024, r: 8, p: 1 } });
  const broker = buildEmbeddedBroker({ host: '127.0.0.1', port: 0, internal }, { gateways: db.gateways, refusals: db.refusals, logger: silent });
  const { port } = await broker.start();
  const url = `mqtt://127.0.0.1:${port}`;
  const ingest = buildIngest({ url, username: internal.username, password: internal.password, clientId: 'chiso:bench-ingest' }, { db, logger: silent });
  await ingest.start();
  const child = fork(gatewaysScript, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let progress: NodeJS.Timeout | undefined;
  try {
    const plan: GatewaysPlan = { url, gateways: [], readsPerGateway, batchSize, window };
    for (let i = 0; i < gatewayCount; i++) {
      const gatewayId = `GW-${String(i).padStart(4, '0')}`;
      const keys = generateKeyPair();
      const { token } = db.enrolment.issue(gatewayId, 60_000, Date.now());
      const enrolled = await db.enrolment.consume({ token, gatewayId, publicKeyPem: keys.publicKeyPem }, Date.now);
      plan.gateways.push({ gatewayId, index: i, password: enrolled.password, privateKeyPem: keys.privateKeyPem, keyId: keys.keyId });
    }
    // The hand-written batch text must be what the wire accepts.
    const first = plan.gateways[0]!;
    ReadBatchSchema.parse(JSON.parse(batchPayload({ ...first, privateKey: undefined as never, epoch: 'bench-0' }, 1, batchSize)));

    const messages: FromGateways[] = [];
    let wake: () => void = () => {};
    child.on('message', (m: FromGateways) => {
      messages.push(m);
      wake();
    });
    const next = async (): Promise<FromGateways> => {
      while (messages.length === 0) {
        await new Promise<void>((resolve, reject) => {
          wake = resolve;
          child.once('exit', (code) => reject(new Error(`the gateways process exited with ${code}`)));
        });
      }
      return messages.shift()!;
    };
    child.send(plan);
    const ready = await next();
    if (ready.type !== 'ready') throw new Error(`gateways: ${ready.type === 'failed' ? ready.message : ready.type}`);

    console.log(`\nIngest end to end: ${fmt(reads)} reads from ${gatewayCount} gateways (own key and login each), ${batchSize} reads per signed batch, ${window} batches in flight per gateway`);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let lastStored = 0;
    let lastT = t0;
    progress = setInterval(() => {
      const stored = ingest.metrics.get('reads.stored');
      const t = performance.now();
      console.log(`  … ${fmt(stored)} stored, ${fmt(((stored - lastStored) / (t - lastT)) * 1000)} reads/s over the last ${fmt((t - lastT) / 1000, 1)} s`);
      lastStored = stored;
      lastT = t;
    }, 10_000);
    child.send('go');
    const done = await next();
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(progress);
    if (done.type !== 'done') throw new Error(`gateways: ${done.type === 'failed' ? done.message : done.type}`);
    const cpu = process.cpuUsage(cpu0);
    const rows = (db.store.db.prepare('SELECT count(*) AS n FROM reads').get() as { n: number }).n;
    if (rows !== reads || done.stored !== reads) throw new Error(`expected ${reads} reads stored and acked, found ${rows} rows and ${done.stored} acked`);
    const rate = reads / seconds;
    const m = ingest.metrics;
    const dbBytes = statSync(dbPath).size + (statSync(`${dbPath}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    console.log(`  stored and acked           ${fmt(reads)} reads in ${fmt(done.batches)} batches, ${fmt(seconds, 1)} s`);
    console.log(`  throughput end to end      ${fmt(rate)} reads/s   (target ≥ 100 000)`);
    if (reads >= MONTH_END_READS) console.log(`  month-end, 4.7 M reads     ${fmt(seconds, 1)} s measured   (target < 50 s)`);
    else console.log(`  month-end, 4.7 M reads     ${fmt(MONTH_END_READS / rate, 1)} s PROJECTED from this ${fmt(reads)}-read run at its average rate (target < 50 s)`);
    console.log(`  aggregator CPU             ${fmt(((cpu.user + cpu.system) / 1e6 / seconds) * 100)} % of one core (broker, ingest, verification, SQLite); gateways process ${fmt((done.cpuSeconds / seconds) * 100)} %`);
    console.log(`  refusals                   ${m.sum('refused.')}; database ${fmt(dbBytes / 1e9, 2)} GB`);
  } finally {
    if (progress !== undefined) clearInterval(progress);
    if (child.connected) child.disconnect();
    await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
    await ingest.close();
    await broker.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
