import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBooks } from '../../simulators/fleet/cmis-book.js';
import { fleetClockOptions, loadFleetConfig } from '../../simulators/fleet/fleet-config.js';
import { startFleet, type RunningFleet } from '../../simulators/fleet/fleet.js';
import type { CloseSummary } from '../aggregator/books/close-book.js';
import { buildAggregator, type Aggregator } from '../aggregator/service/index.js';
import { CalendarSchema } from '../aggregator/calendar/reading-calendar.js';
import { parseAggregatorConfig } from '../config/load-aggregator-config.js';
import { parseGatewayConfig } from '../config/load-gateway-config.js';
import { buildGateway, type Gateway } from '../gateway/service/gateway.js';
import { clockTrigger } from '../shared/cron.js';
import { createLogger } from '../shared/logger.js';
import { SimulatedClock } from '../shared/simulated-clock.js';
import { intOption, parseCommandArgs, type Command, type CommandIo } from '../shared/command-line.js';
import { generateKeyPair } from '../wire/keys.js';
import { gatewayYamlFor } from './demo/gateway-config-from-fleet.js';
import { fleetWithoutBuses, socatAvailable } from './demo/without-socat.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const MARKER = '.chiso-demo';
/** Simulated schedules: registers every 6 hours, the meters' month-end snapshot at 00:30 on the 1st, the digest at 06:00; no load profile (the demo is about the month end). */
const SCHEDULES = { registers: '0 0 */6 * * *', billingSnapshot: '0 30 0-4 1 * *', dailyDigest: '0 0 6 * * *', loadProfile: 'off' };

/** The month end in a few lines: what the books got, where the files are. */
function summaryOf(done: { closed: CloseSummary[]; exported: { book: string; dir: string; version: number; rows: number }[]; held: { book: string; flags: number }[] }, exportDir: string): string {
  if (done.closed.length === 0) return 'chiso demo: no book reached its cutoff yet (run longer with --days)';
  const total = (k: 'read' | 'estimated' | 'field-read' | 'needs-review') => done.closed.reduce((n, c) => n + c.outcomes[k], 0);
  const snapshot = done.closed.reduce((n, c) => n + (c.readBySource['billing-snapshot'] ?? 0), 0);
  const flags = new Map<string, number>();
  for (const c of done.closed) for (const [code, n] of Object.entries(c.flags)) flags.set(code, (flags.get(code) ?? 0) + n);
  return [
    `chiso demo: month end — ${done.closed.length} books closed, ${done.closed.reduce((n, c) => n + c.rows, 0)} registers:`,
    `  read ${total('read')} (${snapshot} from the meters' own month-end snapshot), estimated (tạm tính) ${total('estimated')}, field read ${total('field-read')}, needs review ${total('needs-review')}`,
    `  flags: ${[...flags].map(([c, n]) => `${c} ${n}`).join(', ') || 'none'}`,
    `  exported for CMIS: ${done.exported.length} books in ${exportDir}${done.held.length > 0 ? `; held for an operator (blocking flags): ${done.held.map((h) => h.book).join(', ')}` : ''}`,
    ...done.exported.slice(0, 3).map((e) => `    ${e.dir} (v${e.version}, ${e.rows} rows)`),
    ...(done.exported.length > 3 ? [`    … and ${done.exported.length - 3} more`] : []),
  ].join('\n');
}

function localTime(t: number): string {
  return new Date(t + 7 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the whole system here: aggregator, two gateways and a simulated fleet through a month end',
  usage: `Usage: chiso demo [--out DIR] [--fleet FILE] [--http-port 8080] [--days N]

Starts, on this machine only (127.0.0.1), a simulated fleet of meters with faults (config/fleet.demo.yaml),
the aggregator with its embedded broker and HTTP API, and one gateway per simulated substation, all on
simulated time (a day every two minutes), and runs them through a month end. Prints what happens and where
to look. Stop with Ctrl-C.

  --out DIR        where the demo keeps its data, keys, the CMIS books and the ground truth (default ./chiso-demo;
                   emptied at start if it holds an earlier demo)
  --fleet FILE     another fleet file (see simulators/fleet/fleet.example.yaml)
  --http-port N    the HTTP API's port (default 8080; 0 picks a free one)
  --days N         stop after N simulated days (default 3: through the month end and the billing snapshots)`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {
      out: { type: 'string' },
      fleet: { type: 'string' },
      'http-port': { type: 'string' },
      days: { type: 'string' },
    });
    const out = resolve(values.out ?? 'chiso-demo');
    const httpPort = intOption(values['http-port'], 'http-port', 8080, 0, 65535);
    const days = intOption(values.days, 'days', 3, 1, 60);
    if (existsSync(out)) {
      if (!existsSync(join(out, MARKER))) {
        io.err(`chiso demo: ${out} exists and is not a demo folder; choose another with --out`);
        return 2;
      }
      rmSync(out, { recursive: true, force: true });
    }
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, MARKER), 'made by chiso demo\n');
    return runDemo({ out, fleetFile: values.fleet ?? join(root, 'config', 'fleet.demo.yaml'), httpPort, days }, io);
  },
};

async function runDemo(o: { out: string; fleetFile: string; httpPort: number; days: number }, io: CommandIo): Promise<number> {
  let fleetConfig = loadFleetConfig(o.fleetFile);
  if (fleetConfig.gateways.some((g) => g.buses.length > 0) && !socatAvailable()) {
    const without = fleetWithoutBuses(fleetConfig);
    fleetConfig = without.config;
    io.out(
      `chiso demo: socat is not installed, so the ${without.moved} RS485 bus meters run as TCP meters` +
        `${without.leftOut.length > 0 ? ` and the faults ${without.leftOut.join(', ')} are left out` : ''}; ` +
        'bash scripts/install-system-deps.sh installs socat for the simulated buses',
    );
  }
  const start = Date.parse(fleetConfig.start);
  const clock = new SimulatedClock(fleetClockOptions(fleetConfig));
  const logger = createLogger({ name: 'chiso-demo', level: 'warn', destination: process.stderr });
  let fleet: RunningFleet | undefined;
  let aggregator: Aggregator | undefined;
  const gateways: Gateway[] = [];
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    io.out(`chiso demo: starting the simulated fleet (${o.fleetFile}) …`);
    fleet = await startFleet(fleetConfig, { clock });
    const truth = fleet.truth();
    truth.writeGroundTruth(join(o.out, 'ground-truth.json'), { months: 2 });
    const local = new Date(start + 7 * 3_600_000);
    const books = writeBooks(truth, join(o.out, 'books-from-cmis'), { year: local.getUTCFullYear(), month: local.getUTCMonth() + 1 });

    const aggregatorText = readFileSync(join(root, 'config', 'aggregator.demo.yaml'), 'utf8');
    const aggConfig = parseAggregatorConfig(aggregatorText, join(root, 'config', 'aggregator.demo.yaml'), {
      calendarSchema: CalendarSchema,
      env: { ...process.env, CHISO_DEMO_DIR: o.out, CHISO_DEMO_MQTT_PORT: '0', CHISO_DEMO_HTTP_PORT: String(o.httpPort) },
    });
    const booksDone: { closed: CloseSummary[]; exported: { book: string; dir: string; version: number; rows: number }[]; held: { book: string; flags: number }[] } = { closed: [], exported: [], held: [] };
    aggregator = buildAggregator(aggConfig, {
      logger,
      clock,
      trigger: clockTrigger(clock),
      onBook: (e) => {
        if (e.kind === 'closed') booksDone.closed.push(e.summary);
        else if (e.kind === 'exported') booksDone.exported.push({ book: e.book.fileName, dir: e.result.dir, version: e.result.export.version, rows: e.result.export.rows });
        else booksDone.held.push({ book: e.book.fileName, flags: e.openBlockingFlags });
      },
    });
    const ports = await aggregator.start();
    const mqttUrl = `mqtt://127.0.0.1:${ports.mqttPort}`;

    for (const g of fleet.gateways) {
      const dir = join(o.out, g.id);
      mkdirSync(dir, { recursive: true });
      const keys = generateKeyPair();
      writeFileSync(join(dir, 'gateway.key'), keys.privateKeyPem, { mode: 0o600 });
      const { token } = aggregator.db.enrolment.issue(g.id, 3_600_000, Date.now());
      const enrolled = await aggregator.db.enrolment.consume({ token, gatewayId: g.id, publicKeyPem: keys.publicKeyPem }, Date.now);
      const yaml = gatewayYamlFor(g, { mqttUrl, mqttPassword: enrolled.password, keyFile: join(dir, 'gateway.key'), dataDir: join(dir, 'data'), schedules: SCHEDULES });
      writeFileSync(join(dir, 'gateway.yaml'), yaml, { mode: 0o600 });
      const gateway = buildGateway(parseGatewayConfig(yaml, join(dir, 'gateway.yaml')), { logger, clock, trigger: clockTrigger(clock) });
      await gateway.start();
      gateways.push(gateway);
    }

    const meters = fleet.plan.meters.length;
    io.out(`chiso demo: ${meters} simulated meters behind ${fleet.gateways.length} gateways; simulated time runs ×${fleetConfig.speed} from ${localTime(start)}`);
    io.out(`chiso demo: operator page http://127.0.0.1:${ports.httpPort}/ (token: demo-admin-token-not-secret; the JSON API is under /api)`);
    io.out(`chiso demo: MQTT broker ${mqttUrl}; data, keys and configs in ${o.out}`);
    io.out(`chiso demo: books as CMIS sent them: ${join(o.out, 'books-from-cmis')} (${books.length} files); ground truth: ${join(o.out, 'ground-truth.json')}`);
    io.out('chiso demo: the gateways read every 6 simulated hours; the meters snapshot their registers at the month end;');
    io.out(`chiso demo: the books close at ${aggConfig.calendar.cutoff} on the 1st and are exported for CMIS to ${aggConfig.books.exportDir}. Ctrl-C stops.`);

    const db = aggregator.db.store.db;
    const until = start + o.days * 86_400_000;
    let nextReport = start + 3 * 3_600_000;
    while (!stopping && clock.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      if (clock.now() < nextReport) continue;
      nextReport += 6 * 3_600_000;
      const reads = (db.prepare('SELECT count(*) AS n FROM reads').get() as { n: number }).n;
      const snapshots = (db.prepare("SELECT count(*) AS n FROM reads WHERE kind = 'billing-snapshot'").get() as { n: number }).n;
      const events = db.prepare("SELECT type, count(*) AS n FROM events WHERE type NOT IN ('daily-digest') GROUP BY type ORDER BY type").all() as { type: string; n: number }[];
      const offline = gateways.reduce((n, g) => n + g.status().meters.offline, 0);
      io.out(
        `${localTime(clock.now())}  reads stored ${reads} (month-end snapshots ${snapshots})  meters offline ${offline}  events: ${events.map((e) => `${e.type} ${e.n}`).join(', ') || 'none'}`,
      );
    }
    io.out(summaryOf(booksDone, aggConfig.books.exportDir));
    io.out('chiso demo: finished; the data stays in ' + o.out);
    return 0;
  } finally {
    for (const g of gateways) await g.close().catch(() => undefined);
    await aggregator?.close().catch(() => undefined);
    await fleet?.close().catch(() => undefined);
  }
}
