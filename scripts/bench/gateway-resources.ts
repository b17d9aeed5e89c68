import { readFileSync, writeFileSync, mkdtempSync, rmSync, existsSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { serviceLaunch } from './service-launch.js';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { buildEmbeddedBroker, DEFAULT_INTERNAL_USERNAME } from '../../src/aggregator/broker/index.js';
import { buildIngest } from '../../src/aggregator/ingest/index.js';
import { openCentralDb } from '../../src/aggregator/store/index.js';
import { generateKeyPair } from '../../src/wire/keys.js';
import { chisoSim } from './child.js';
import { fmt } from './meter-session.js';

const chiso = fileURLToPath(new URL('../../../bin/chiso.js', import.meta.url));
const unitFile = fileURLToPath(new URL('../../../systemd/chiso-gateway.service', import.meta.url));
const TICKS_PER_SECOND = 100; // Linux USER_HZ
/** CPU "between polls" is measured over this fixed window, starting SETTLE_MS after a cycle ended. */
const IDLE_WINDOW_MS = 20_000;
const SETTLE_MS = 10_000;
/** A full read every POLL_MINUTES (production reads every few hours): room for a cycle and the idle window. */
const POLL_MINUTES = 2;
const POLL_MS = POLL_MINUTES * 60_000;
/**
 * /proc is read this often: a cycle's peak lasts a second or two (the reads stored, detection, the first
 * batches signed), and a sample a second could miss it.
 */
const SAMPLE_MS = 200;
/** "CPU for one full cycle" is the most CPU the gateway used in any window this long. */
const BUSIEST_WINDOW_MS = 20_000;

interface ProcSample {
  /** When it was read (ms since the epoch). */
  at: number;
  cpuSeconds: number;
  rssMb: number;
  /** Anonymous memory (heap, stacks, malloc) and file-backed pages (the node binary, its ICU data, libraries). */
  anonMb: number;
  fileMb: number;
}

function procSample(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  return { at: Date.now(), cpuSeconds: ticks / TICKS_PER_SECOND, rssMb: kb('VmRSS'), anonMb: kb('RssAnon'), fileMb: kb('RssFile') };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The gateway process with 1 000 simulated meters (TCP wrapper, another process), polling every POLL_MINUTES
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
schedules: { registers: "0 */${POLL_MINUTES} * * * *" }
tcp: { maxParallel: 16 }
mqtt: { url: "${url}", password: "${enrolled.password}" }
keys: { privateKeyFile: ${join(dir, 'gateway.key')} }
dataDir: ${join(dir, 'data')}
metrics: false
logLevel: warn
`,
  );
  const launch = serviceLaunch(readFileSync(unitFile, 'utf8'));
  // Profiling hook (not used for the figures): e.g. CHISO_BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p".
  const extra = (process.env['CHISO_BENCH_GATEWAY_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  // And CHISO_BENCH_GATEWAY_STDOUT=FILE keeps the gateway's standard output (e.g. what --trace-gc prints).
  const stdoutFile = process.env['CHISO_BENCH_GATEWAY_STDOUT'];
  const gw = spawn(process.execPath, [...launch.nodeArgs, ...extra, chiso, 'gateway', '--config', join(dir, 'gateway.yaml')], {
    stdio: ['ignore', stdoutFile ? openSync(stdoutFile, 'w') : 'ignore', 'inherit'],
    env: { ...process.env, ...launch.env },
  });
  const pid = gw.pid!;
  const statusPath = join(dir, 'data', 'status.json');
  const lastCycle = (): { at: string; ok: number; failed: number } | null => (existsSync(statusPath) ? (JSON.parse(readFileSync(statusPath, 'utf8')) as { lastCycle: { at: string; ok: number; failed: number } | null }).lastCycle : null);
  // Starting (reading the config of every meter) and polling are reported apart: a start happens once,
  // the cycles every few hours for months.
  const firstPoll = Math.ceil(Date.now() / POLL_MS) * POLL_MS;
  try {
    let startPeak: ProcSample = procSample(pid);
    let cyclePeak: ProcSample | undefined;
    const cycleEnds: number[] = [];
    let idle: { a: ProcSample; b: ProcSample; seconds: number; maxRss: ProcSample; cycleSeconds: number } | undefined;
    let busiest = 0;
    const history: ProcSample[] = [];
    const sample = (): ProcSample => {
      const x = procSample(pid);
      if (x.at < firstPoll) {
        if (x.rssMb > startPeak.rssMb) startPeak = x;
      } else if (cyclePeak === undefined || x.rssMb > cyclePeak.rssMb) cyclePeak = x;
      history.push(x);
      while (history[0]!.at < x.at - BUSIEST_WINDOW_MS) history.shift();
      busiest = Math.max(busiest, x.cpuSeconds - history[0]!.cpuSeconds);
      return x;
    };
    const until = Date.now() + 480_000;
    // The cron fires every POLL_MINUTES at the whole minute. After a cycle has ended, wait SETTLE_MS (the forwarder sends the
    // cycle's reads and gets the acks), then measure CPU over IDLE_WINDOW_MS — only if that window ends
    // before the next poll starts; otherwise take the next cycle.
    while (Date.now() < until && idle === undefined) {
      sample();
      const c = lastCycle();
      const end = c ? Date.parse(c.at) : undefined;
      if (end !== undefined && !cycleEnds.includes(end)) {
        cycleEnds.push(end);
        const from = end + SETTLE_MS;
        const to = from + IDLE_WINDOW_MS;
        const nextPoll = Math.floor(end / POLL_MS) * POLL_MS + POLL_MS;
        if (to <= nextPoll - 1_000 && cycleEnds.length >= 2) {
          while (Date.now() < from) {
            sample();
            await sleep(Math.min(SAMPLE_MS, Math.max(0, from - Date.now())));
          }
          const a = sample();
          const t0 = Date.now();
          let maxRss = a;
          while (Date.now() < t0 + IDLE_WINDOW_MS) {
            await sleep(Math.min(SAMPLE_MS, t0 + IDLE_WINDOW_MS - Date.now()));
            const x = sample();
            if (x.rssMb > maxRss.rssMb) maxRss = x;
          }
          const b = sample();
          idle = { a, b, seconds: (Date.now() - t0) / 1000, maxRss, cycleSeconds: (end - Math.floor(end / POLL_MS) * POLL_MS) / 1000 };
        }
      }
      await sleep(SAMPLE_MS);
    }
    const cycle = lastCycle();
    const storedReads = (db.store.db.prepare('SELECT count(*) AS n FROM reads').get() as { n: number }).n;
    console.log(`\nGateway process: ${meterCount} simulated meters over TCP (wrapper, 16 in parallel), a full read every ${POLL_MINUTES} minutes, forwarding to a real broker`);
    console.log(`  started as the unit does     node ${[...launch.nodeArgs, 'bin/chiso.js gateway'].join(' ')}${Object.keys(launch.env).length ? ` (${Object.entries(launch.env).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''}`);
    console.log(`  last cycle                 ${cycle ? `${cycle.ok} read, ${cycle.failed} failed` : 'none'}; ${cycleEnds.length} cycle(s); ${fmt(storedReads)} reads stored centrally`);
    const peakText = (p: ProcSample) => `${fmt(p.rssMb, 1)} MB (anon ${fmt(p.anonMb, 1)}, file ${fmt(p.fileMb, 1)})`;
    console.log(`  resident memory, cycles    peak ${cyclePeak ? peakText(cyclePeak) : 'not measured (no poll yet)'}   (target < 80 MB; from the first poll on, sampled every ${SAMPLE_MS} ms)`);
    console.log(`  resident memory, start     peak ${peakText(startPeak)}   (reading the config, opening the stores, before the first poll)`);
    if (idle) {
      const cpu = ((idle.b.cpuSeconds - idle.a.cpuSeconds) / idle.seconds) * 100;
      console.log(`  between polls              ${fmt(idle.maxRss.rssMb, 1)} MB resident at most (anon ${fmt(idle.maxRss.anonMb, 1)}, file ${fmt(idle.maxRss.fileMb, 1)})   (target < 80 MB)`);
      console.log(`  CPU between polls          ${fmt(cpu, 2)} % of one core over ${fmt(idle.seconds, 0)} s from ${SETTLE_MS / 1000} s after the cycle   (target < 5 %)`);
      console.log(`  cycle                      ended ${fmt(idle.cycleSeconds, 1)} s after the poll started`);
    } else {
      console.log('  between polls              not measured: no cycle ended early enough before the next poll (is the machine busy?)');
    }
    console.log(`  CPU for one full cycle     ${fmt(busiest, 2)} s (busiest ${BUSIEST_WINDOW_MS / 1000} s window)`);
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
