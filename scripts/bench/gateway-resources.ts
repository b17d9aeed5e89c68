import { readFileSync, writeFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { buildEmbeddedBroker, DEFAULT_INTERNAL_USERNAME } from '../../src/aggregator/broker/index.js';
import { buildIngest } from '../../src/aggregator/ingest/index.js';
import { openCentralDb } from '../../src/aggregator/store/index.js';
import { generateKeyPair } from '../../src/wire/keys.js';
import { chisoSim } from './child.js';
import { fmt } from './meter-session.js';

const chiso = fileURLToPath(new URL('../../../bin/chiso.js', import.meta.url));
const TICKS_PER_SECOND = 100; // Linux USER_HZ

function procSample(pid: number): { cpuSeconds: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuSeconds: ticks / TICKS_PER_SECOND, rssMb: rssKb / 1024 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The gateway process with 1 000 simulated meters (TCP wrapper, another process), polling once a minute
 * and forwarding to a real broker and ingest: resident memory and CPU, per cycle and between polls.
 */
export async function benchGatewayResources(meterCount = 1000): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'chiso-bench-gw-'));
  const silent = pino({ level: 'silent' });
  const internal = { username: DEFAULT_INTERNAL_USERNAME, password: 'bench-internal' };
  const db = openCentralDb({ path: join(dir, 'central.db'), scrypt: { N: 1024, r: 8, p: 1 } });
  const broker = buildEmbeddedBroker({ host: '127.0.0.1', port: 0, internal }, { gateways: db.gateways, refusals: db.refusals, logger: silent });
  const { port } = await broker.start();
  const url = `mqtt://127.0.0.1:${port}`;
  const ingest = buildIngest({ url, username: internal.username, password: internal.password, clientId: 'chiso:bench-ingest' }, { db, logger: silent });
  await ingest.start();
  const sim = await chisoSim(['meter', '--tcp', '0', '--wrapper', '--meters', String(meterCount), '--password', 'secret']);
  const keys = generateKeyPair();
  writeFileSync(join(dir, 'gateway.key'), keys.privateKeyPem, { mode: 0o600 });
  const { token } = db.enrolment.issue('gw-bench', 60_000, Date.now());
  const enrolled = await db.enrolment.consume({ token, gatewayId: 'gw-bench', publicKeyPem: keys.publicKeyPem }, Date.now);
  const meters = Array.from(
    { length: meterCount },
    (_, i) =>
      `  - { id: CT${i + 1}, meteringPoint: PD01${String(i + 1).padStart(8, '0')}001, customerCode: PD01${String(i + 1).padStart(8, '0')}, model: m, auth: { clientSap: 17, password: secret }, tcp: { host: 127.0.0.1, port: ${sim.port}, profile: wrapper, wPort: ${i + 1} } }`,
  ).join('\n');
  writeFileSync(
    join(dir, 'gateway.yaml'),
    `gateway: { id: gw-bench, unitCode: PD0100, substation: TBA-BENCH }
models:
  m: { registers: [{ obis: 1.0.1.8.0.255, bcs: KT, unit: kWh }, { obis: 1.0.1.8.1.255, bcs: BT, unit: kWh }, { obis: 1.0.1.8.2.255, bcs: CD, unit: kWh }, { obis: 1.0.1.8.3.255, bcs: TD, unit: kWh }, { obis: 1.0.2.8.0.255, bcs: null, unit: kWh }, { obis: 1.0.3.8.0.255, bcs: VC, unit: kvarh }] }
meters:
${meters}
schedules: { registers: "0 * * * * *" }
tcp: { maxParallel: 16 }
mqtt: { url: "${url}", password: "${enrolled.password}" }
keys: { privateKeyFile: ${join(dir, 'gateway.key')} }
dataDir: ${join(dir, 'data')}
metrics: false
logLevel: warn
`,
  );
  const gw = spawn(process.execPath, [chiso, 'gateway', '--config', join(dir, 'gateway.yaml')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const pid = gw.pid!;
  const statusPath = join(dir, 'data', 'status.json');
  const lastCycle = (): { at: string; ok: number; failed: number } | null => (existsSync(statusPath) ? (JSON.parse(readFileSync(statusPath, 'utf8')) as { lastCycle: { at: string; ok: number; failed: number } | null }).lastCycle : null);
  try {
    let peakRss = 0;
    const samples: { t: number; cpuSeconds: number; rssMb: number }[] = [];
    const until = Date.now() + 150_000;
    // Sample once a second through two polls (the cron fires at each whole minute).
    let cyclesSeen = new Set<string>();
    while (Date.now() < until && cyclesSeen.size < 3) {
      const s = procSample(pid);
      samples.push({ t: Date.now(), ...s });
      peakRss = Math.max(peakRss, s.rssMb);
      const c = lastCycle();
      if (c) cyclesSeen = new Set([...cyclesSeen, c.at]);
      await sleep(1000);
    }
    const cycle = lastCycle();
    const cycleEnds = [...cyclesSeen].map((t) => Date.parse(t)).sort();
    // Between polls: from 5 s after a cycle ended to 5 s before the next minute.
    const from = cycleEnds[cycleEnds.length - 1]! + 5_000;
    const nextMinute = Math.ceil(from / 60_000) * 60_000;
    while (Date.now() < from) await sleep(200);
    const a = procSample(pid);
    const t0 = Date.now();
    await sleep(Math.max(5_000, nextMinute - 5_000 - Date.now()));
    const b = procSample(pid);
    const idleCpu = ((b.cpuSeconds - a.cpuSeconds) / ((Date.now() - t0) / 1000)) * 100;
    const storedReads = (db.store.db.prepare('SELECT count(*) AS n FROM reads').get() as { n: number }).n;
    // CPU of one cycle: the busiest minute's CPU seconds.
    let cycleCpu = 0;
    for (let i = 1; i < samples.length; i++) cycleCpu = Math.max(cycleCpu, samples[i]!.cpuSeconds - samples[Math.max(0, i - 20)]!.cpuSeconds);
    console.log(`\nGateway process: ${meterCount} simulated meters over TCP (wrapper, 16 in parallel), a full read every minute, forwarding to a real broker`);
    console.log(`  last cycle                 ${cycle ? `${cycle.ok} read, ${cycle.failed} failed` : 'none'}; ${fmt(storedReads)} reads stored centrally`);
    console.log(`  resident memory            peak ${fmt(peakRss, 1)} MB, between polls ${fmt(b.rssMb, 1)} MB   (target < 80 MB)`);
    console.log(`  CPU between polls          ${fmt(idleCpu, 2)} % of one core   (target < 5 %)`);
    console.log(`  CPU for one full cycle     ${fmt(cycleCpu, 2)} s (busiest 20 s window)`);
  } finally {
    gw.kill('SIGTERM');
    await new Promise((r) => gw.once('exit', r));
    await sim.stop();
    await ingest.close();
    await broker.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
