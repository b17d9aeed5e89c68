import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chisoBin, ensureBuilt, killAll, root, startProcess } from '../support/processes.js';

const out = join(mkdtempSync(join(tmpdir(), 'chiso-demo-test-')), 'demo');
afterAll(() => {
  killAll();
  rmSync(join(out, '..'), { recursive: true, force: true });
});

/**
 * `npm start` is `chiso demo`: the README's first command. Run here as a newcomer would, on a small fast
 * fleet: the aggregator, two gateways and twenty simulated meters through the month end, to the CMIS files.
 */
async function runDemo(folder: string, env?: NodeJS.ProcessEnv): Promise<string> {
  ensureBuilt();
  const fleet = join(root, 'test/cli/fixtures/fleet.demo-fast.yaml');
  const demo = startProcess(chisoBin, ['demo', '--out', folder, '--fleet', fleet, '--http-port', '0', '--days', '2'], env ? { env } : {});
  const code = await Promise.race([demo.exit, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 150_000))]);
  const stdout = demo.out.join('\n');
  expect(code, `chiso demo did not finish: ${stdout}\n${demo.err()}`).toBe(0);
  return stdout;
}

describe('chiso demo', () => {
  it('on a machine without socat, runs the bus meters over TCP and says so', async () => {
    // A PATH without socat (node is started by its full path).
    const stdout = await runDemo(join(out, '..', 'no-socat'), { ...process.env, PATH: join(out, '..', 'empty-path') });
    expect(stdout).toMatch(/chiso demo: socat is not installed, so the 8 RS485 bus meters run as TCP meters; bash scripts\/install-system-deps\.sh installs socat/);
    expect(stdout).toMatch(/chiso demo: month end — 2 books closed, \d+ registers:/);
    expect(stdout).toMatch(/exported for CMIS: [1-9]\d* books in /);
  }, 180_000);

  it('runs a month end on this machine, prints where the page is, and leaves the CMIS export files', async () => {
    const stdout = await runDemo(out);
    expect(stdout).not.toMatch(/socat is not installed/);
    expect(stdout).toMatch(/chiso demo: 20 simulated meters behind 2 gateways/);
    expect(stdout).toMatch(/chiso demo: operator page http:\/\/127\.0\.0\.1:\d+\//);
    expect(stdout).toMatch(/chiso demo: month end — 2 books closed, \d+ registers:/);
    const exported = /exported for CMIS: (\d+) books in (\S+)/.exec(stdout);
    expect(exported, stdout).not.toBeNull();
    expect(Number(exported![1])).toBeGreaterThanOrEqual(1);
    // Each exported book is a folder of versions holding the XML, the CSV and their checksums.
    const books = readdirSync(exported![2]!);
    expect(books.length).toBe(Number(exported![1]));
    const v1 = join(exported![2]!, books[0]!, 'v1');
    expect(readdirSync(v1).sort()).toEqual(expect.arrayContaining([expect.stringMatching(/\.xml$/), expect.stringMatching(/\.csv$/), 'SHA256SUMS']));
    expect(existsSync(join(out, 'ground-truth.json'))).toBe(true);
  }, 180_000);
});
