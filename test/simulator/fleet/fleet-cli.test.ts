import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseBookXml } from '../../../src/aggregator/cmis/book-file.js';
import { chisoSimBin, killAll, root, runToEnd, startProcess } from '../../support/processes.js';

/** The real launcher on the compiled dist/, rebuilt when a fleet or CLI source is newer than it. */
const compiled = `${root}dist/simulators/cli/main.js`;

beforeAll(() => {
  const sources = [...readdirSync(`${root}simulators/fleet`).filter((f) => f.endsWith('.ts')).map((f) => `simulators/fleet/${f}`), 'simulators/cli/main.ts', 'simulators/cli/fleet-command.ts'];
  const stale = !existsSync(compiled) || sources.some((s) => statSync(`${root}${s}`).mtimeMs > statSync(compiled).mtimeMs) || !existsSync(`${root}dist/simulators/cli/fleet-command.js`);
  if (stale) spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.json`], { cwd: root, timeout: 110_000 });
  expect(existsSync(`${root}dist/simulators/cli/fleet-command.js`)).toBe(true);
}, 120_000);

afterEach(() => killAll());

describe('chiso-sim fleet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chiso-fleet-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'fleet.yaml');
  writeFileSync(
    config,
    [
      'seed: 3',
      'start: "2025-06-29T08:00:00+07:00"',
      'speed: 60',
      'password: "12345678"',
      'gateways:',
      '  - { id: gw1, buses: [{ id: bus1, meters: 3 }], tcp: { meters: 2 } }',
      '  - { id: gw2, tcp: { meters: 2 } }',
      'books: { metersPerBook: 3 }',
      'faults:',
      '  - { kind: stuck, count: 1 }',
      '',
    ].join('\n'),
  );

  it('starts, prints where the meters are, writes truth, books and fleet.json, and stops on SIGTERM', async () => {
    const out = join(dir, 'out');
    const r = startProcess(chisoSimBin, ['fleet', '--config', config, '--out', out]);
    await r.line(/ready/, 15_000);
    const busLine = (await r.line(/^gateway gw1 {2}bus bus1 {2}(\S+) {2}9600 baud {2}3 meters {2}hdlc 1\/17…1\/19$/))[1]!;
    const tcpPort = Number((await r.line(/^gateway gw2 {2}tcp 127\.0\.0\.1:(\d+) {2}wrapper wPort 1…2 {2}2 meters$/))[1]);

    const fleet = JSON.parse(readFileSync(join(out, 'fleet.json'), 'utf8')) as {
      clock: { speed: number; startMs: number };
      gateways: { id: string; buses: { device: string; meters: { id: string }[] }[]; tcp?: { port: number; meters: { id: string; connection: { wPort: number } }[] } }[];
    };
    expect(fleet.clock).toMatchObject({ speed: 60, startMs: Date.parse('2025-06-29T08:00:00+07:00') });
    expect(fleet.gateways[0]!.buses[0]!.device).toBe(busLine);
    expect(existsSync(busLine)).toBe(true);
    expect(fleet.gateways[1]!.tcp!.port).toBe(tcpPort);
    expect(fleet.gateways[1]!.tcp!.meters.map((m) => [m.id, m.connection.wPort])).toEqual([['CTGW200001', 1], ['CTGW200002', 2]]);

    const truth = JSON.parse(readFileSync(join(out, 'ground-truth.json'), 'utf8')) as { meters: { id: string; faults: { kind: string; expected: string[] }[] }[] };
    expect(truth.meters).toHaveLength(7);
    expect(truth.meters.flatMap((m) => m.faults)).toEqual([expect.objectContaining({ kind: 'stuck', expected: ['no-advance'] })]);
    // June and July books: gw1's 5 meters make 2 books, gw2's 2 meters 1.
    const books = readdirSync(join(out, 'books')).sort();
    expect(books).toEqual(['D010001-2025-6-1.xml', 'D010001-2025-7-1.xml', 'D010002-2025-6-1.xml', 'D010002-2025-7-1.xml', 'D020001-2025-6-1.xml', 'D020001-2025-7-1.xml']);
    for (const b of books) expect(parseBookXml(readFileSync(join(out, 'books', b)), b).rows.length).toBeGreaterThan(0);

    expect(await r.stop()).toBe(0);
    expect(r.out.at(-1)).toBe('chiso-sim: SIGTERM: stopped');
    expect(existsSync(busLine)).toBe(false);
  }, 30_000);

  it('a bad fleet file: exit 2 and the path of the mistake', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'start: "2025-06-29T08:00:00+07:00"\ngateways:\n  - { id: gw1, buses: [{ id: b, meters: 0 }] }\n');
    const r = await runToEnd(chisoSimBin, ['fleet', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('gateways[0].buses[0].meters');
    const missing = await runToEnd(chisoSimBin, ['fleet']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--config FILE is required');
  });
});
