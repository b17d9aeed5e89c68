import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { buildEmbeddedBroker, DEFAULT_INTERNAL_USERNAME } from '../../src/aggregator/broker/index.js';
import { buildIngest } from '../../src/aggregator/ingest/index.js';
import { openCentralDb } from '../../src/aggregator/store/index.js';
import { generateKeyPair, loadPrivateKey, ReadBatchSchema } from '../../src/wire/index.js';
import { batchPayload, sealedBatch, signedBatch } from './ingest-batches.js';
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
 * (default 500) change the run; CHISO_BENCH_PRESIGN=1 has the gateways sign all their batches before the
 * clock starts (about 4 GB for a month-end), so that their signing does not compete with the aggregator
 * for this machine's two cores as it would not in the field.
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
  // As the aggregator runs it: attached to the broker in process. CHISO_BENCH_INGEST_CLIENT=1 runs it as an
  // MQTT client over 127.0.0.1 instead, as it runs against an external broker.
  const asClient = process.env['CHISO_BENCH_INGEST_CLIENT'] === '1';
  const ingest = buildIngest(
    asClient ? { url, username: internal.username, password: internal.password, clientId: 'chiso:bench-ingest' } : { local: broker.local() },
    { db, logger: silent },
  );
  await ingest.start();
  const child = fork(gatewaysScript, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let progress: NodeJS.Timeout | undefined;
  try {
    const presign = process.env['CHISO_BENCH_PRESIGN'] === '1';
    const plan: GatewaysPlan = { url, gateways: [], readsPerGateway, batchSize, window, presign };
    for (let i = 0; i < gatewayCount; i++) {
      const gatewayId = `GW-${String(i).padStart(4, '0')}`;
      const keys = generateKeyPair();
      const { token } = db.enrolment.issue(gatewayId, 60_000, Date.now());
      const enrolled = await db.enrolment.consume({ token, gatewayId, publicKeyPem: keys.publicKeyPem }, Date.now);
      plan.gateways.push({ gatewayId, index: i, password: enrolled.password, privateKeyPem: keys.privateKeyPem, keyId: keys.keyId });
    }
    // The hand-written batch text must be what the wire accepts, and its envelope what sealEnvelope makes.
    const first = plan.gateways[0]!;
    const firstGw = { ...first, privateKey: loadPrivateKey(first.privateKeyPem), epoch: 'bench-0' };
    ReadBatchSchema.parse(JSON.parse(batchPayload(firstGw, 1, batchSize)));
    if (!signedBatch(firstGw, 1, batchSize).equals(sealedBatch(firstGw, 1, batchSize))) throw new Error('bench envelope differs from sealEnvelope');

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
    console.log(`  ingest ${asClient ? 'as an MQTT client over 127.0.0.1 (CHISO_BENCH_INGEST_CLIENT=1, as with an external broker)' : 'attached to the embedded broker in process, as the aggregator runs it'}`);
    console.log(`  gateways sign ${presign ? 'every batch before the clock starts (CHISO_BENCH_PRESIGN=1)' : 'each batch as they send it, on the same cores (CHISO_BENCH_PRESIGN=1 signs before the run)'}`);
    const cpu0 = process.cpuUsage();
    const pressure0 = cpuPressureMicros();
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
    const aggregatorCpu = (cpu.user + cpu.system) / 1e6;
    console.log(`  aggregator CPU             ${fmt((aggregatorCpu / seconds) * 100)} % of one core (broker, ingest, verification, SQLite, all threads), ${fmt((aggregatorCpu / reads) * 1e6, 1)} µs per read`);
    console.log(`  gateways process CPU       ${fmt((done.cpuSeconds / seconds) * 100)} % of one core, ${fmt((done.cpuSeconds / reads) * 1e6, 1)} µs per read`);
    console.log(`  refusals                   ${m.sum('refused.')}; database ${fmt(dbBytes / 1e9, 2)} GB`);
    const pressure1 = cpuPressureMicros();
    if (pressure0 !== undefined && pressure1 !== undefined) {
      // Linux PSI: the share of the run during which some runnable task (ours or anyone's) waited for a CPU.
      console.log(`  machine CPU pressure       ${fmt(((pressure1 - pressure0) / 1e6 / seconds) * 100)} % of the run (other work on this machine slows every figure above)`);
    }
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

/** Total microseconds some task waited for a CPU (/proc/pressure/cpu), undefined where PSI is not available. */
function cpuPressureMicros(): number | undefined {
  try {
    const m = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}
