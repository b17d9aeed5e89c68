import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedMeter } from '../../../simulators/meter/meter-model.js';
import { startPtyBus, startTcpMeterServer } from '../../../simulators/protocol/servers.js';
import { openStore } from '../../../src/store/database.js';
import { Outbox } from '../../../src/store/outbox.js';
import { readStatusFile } from '../../../src/gateway/service/status-file.js';
import { generateKeyPair } from '../../../src/wire/keys.js';
import { startAggregator, waitFor, type Harness } from '../../aggregator/ingest/harness.js';
import { tempDir } from '../../store/temp-dir.js';
import { chisoBin, ensureBuilt, killAll, startProcess } from '../../support/processes.js';

/**
 * The gateway as a real process, killed with SIGKILL at random points while it polls and forwards, 20
 * times. Every read it ever put in its outbox must reach the aggregator exactly once and in sequence.
 */
describe('gateway killed with SIGKILL 20 times', () => {
  const tmp = tempDir('chiso-gw-crash-');
  let frozenAt: number | undefined;
  const now = () => frozenAt ?? Date.now();
  const meters = [1, 2, 3, 4].map(
    (i) => new SimulatedMeter({ serial: `K${i}`, seed: i, profile: { kind: 'business' }, installedAt: Date.UTC(2025, 0, 1), password: 'secret', timeSource: now }),
  );
  let aggregator: Harness;
  let bus: Awaited<ReturnType<typeof startPtyBus>>;
  let tcp: Awaited<ReturnType<typeof startTcpMeterServer>>;
  const gatewayId = 'gw-crash-01';
  const configPath = tmp.file('gateway.yaml');

  beforeAll(async () => {
    ensureBuilt();
    aggregator = await startAggregator();
    bus = await startPtyBus({ meters: meters.slice(0, 2), baud: 19200 });
    tcp = await startTcpMeterServer({ port: 0, wrapper: true, meters: meters.slice(2) });
    const keys = generateKeyPair();
    writeFileSync(tmp.file('gateway.key'), keys.privateKeyPem, { mode: 0o600 });
    const { token } = aggregator.db.enrolment.issue(gatewayId, 60_000, Date.now());
    const enrolled = await aggregator.db.enrolment.consume({ token, gatewayId, publicKeyPem: keys.publicKeyPem }, Date.now);
    const m = (i: number, conn: string) =>
      `  - { id: CT${i}, meteringPoint: PD0100000${i}001, customerCode: PD0100000${i}, model: m, auth: { clientSap: 17, password: secret }, ${conn} }\n`;
    writeFileSync(
      configPath,
      `gateway: { id: ${gatewayId}, unitCode: PD0100, substation: TBA-K }
buses: [{ id: b1, device: ${bus.path}, baud: 19200, responseTimeoutMs: 300, maxRetries: 1 }]
models:
  m: { registers: [{ obis: 1.0.1.8.0.255, bcs: KT, unit: kWh }, { obis: 1.0.1.8.1.255, bcs: BT, unit: kWh }] }
meters:
${m(1, 'bus: b1, hdlcAddress: { physical: 17 }')}${m(2, 'bus: b1, hdlcAddress: { physical: 18 }')}${m(3, `tcp: { host: 127.0.0.1, port: ${tcp.port}, profile: wrapper, wPort: 1 }`)}${m(4, `tcp: { host: 127.0.0.1, port: ${tcp.port}, profile: wrapper, wPort: 2 }`)}schedules: { registers: "* * * * * *" }
mqtt: { url: "${aggregator.url}", password: "${enrolled.password}", replay: { maxBatchesPerSecond: 200, maxBatchItems: 8, maxBatchBytes: 65536 } }
keys: { privateKeyFile: ${tmp.file('gateway.key')} }
dataDir: ${tmp.file('data')}
metrics: false
logLevel: warn
`,
    );
  }, 60_000);

  afterAll(async () => {
    killAll();
    await bus?.close();
    await tcp?.close();
    await aggregator?.close();
    tmp.cleanup();
  });

  /** The gateway started at `t` has finished a register cycle (its reads are in the outbox). */
  const polledSince = (t: number) => {
    try {
      const last = readStatusFile(tmp.file('data')).lastCycle;
      return last !== null && Date.parse(last.at) > t;
    } catch {
      return false; // not written yet, or being replaced
    }
  };

  it('after every restart each read arrives once, in sequence, none lost', async () => {
    // A seeded sequence of kill delays, so a failure can be replayed.
    let seed = 12345;
    const nextDelay = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % 2000;
    };
    for (let round = 0; round < 20; round++) {
      const startedAt = Date.now();
      const gw = startProcess(chisoBin, ['gateway', '--config', configPath]);
      // Kill it at a random point once it has polled (a kill before that would test nothing on a loaded
      // machine, where start-up alone takes seconds), while it polls and forwards.
      await waitFor(() => polledSince(startedAt), 'the gateway to start and poll', 20_000);
      await new Promise((r) => setTimeout(r, nextDelay()));
      gw.child.kill('SIGKILL');
      await gw.exit;
    }
    // Freeze the meters: from now on every cycle reads the same values (same read ids), and the
    // gateway drains its outbox.
    frozenAt = Date.now();
    const finalStartedAt = Date.now();
    const final = startProcess(chisoBin, ['gateway', '--config', configPath]);
    // The drain counts only once this process has polled: a killed one may already have emptied the outbox.
    const finalHasPolled = () => polledSince(finalStartedAt);
    const outboxPath = tmp.file('data/reads.db');
    const central = aggregator.db.store.db;
    const centralReads = () => central.prepare('SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi, count(DISTINCT read_id) AS ids FROM reads WHERE gateway_id = ?').get(gatewayId) as { n: number; lo: number; hi: number; ids: number };
    const lastSeq = () => {
      const store = openStore({ path: outboxPath, readonly: true });
      try {
        return new Outbox(store).backlog();
      } finally {
        store.close();
      }
    };
    await waitFor(
      () => {
        const b = lastSeq();
        return finalHasPolled() && b.count === 0 && b.lastSeq > 0 && centralReads().hi === b.lastSeq;
      },
      'the gateway to drain its outbox to the aggregator',
      40_000,
    );
    expect(await final.stop()).toBe(0);

    const backlog = lastSeq();
    const stored = centralReads();
    // Every sequence number the gateway ever assigned is stored once: nothing lost, nothing twice.
    expect(stored).toEqual({ n: backlog.lastSeq, lo: 1, hi: backlog.lastSeq, ids: backlog.lastSeq });
    expect(backlog.lastSeq).toBeGreaterThan(20);
    // Resends after the kills reached the aggregator as duplicates of stored batches, never as new rows.
    const batches = central.prepare("SELECT count(*) AS n FROM signed_batches WHERE gateway_id = ? AND stream = 'reads'").get(gatewayId) as { n: number };
    expect(batches.n).toBeGreaterThan(0);
    // 21 process start-ups of 2–4 s each (most of it loading modules) plus the kill delays and the drain:
    // about 90 s alone, twice that on a loaded 2-core CI machine.
  }, 300_000);
});
