import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { aggregatorCommand } from '../../../src/cli/aggregator-command.js';
import type { CommandIo } from '../../../src/shared/command-line.js';
import { killAll, root, startProcess } from '../../support/processes.js';
import { tempDir } from '../../store/temp-dir.js';
import { buildIfStale, configText } from './helpers.js';

function capture(): CommandIo & { outs: string[]; errs: string[] } {
  const outs: string[] = [];
  const errs: string[] = [];
  return { outs, errs, out: (l) => outs.push(l), err: (l) => errs.push(l) };
}

const tmp = tempDir('chiso-agg-cli-');
afterAll(() => tmp.cleanup());
afterEach(() => killAll());

describe('chiso aggregator', () => {
  it('--check validates the demo configuration and prints a summary', async () => {
    const io = capture();
    expect(await aggregatorCommand.run(['--config', join(root, 'config/aggregator.demo.yaml'), '--check'], io)).toBe(0);
    expect(io.outs).toEqual(['configuration OK: aggregator "chiso demo aggregator", embedded broker on 127.0.0.1:1883, HTTP API on 127.0.0.1:8080, data in /tmp/chiso-demo/aggregator-data']);
  });

  it('refuses a wrong file, listing every problem, and starts nothing', async () => {
    const file = tmp.file('bad.yaml');
    writeFileSync(file, configText(tmp.dir).replace('port: 0\ntopicRoot', 'port: -1\ntopicRoot').replace(/books:\n.*\n/, ''));
    const io = capture();
    expect(await aggregatorCommand.run(['--config', file], io)).toBe(1);
    expect(io.errs[0]).toBe(
      `chiso aggregator: the configuration is refused (2 problem(s)); nothing was started:\n` +
        `${file}: books: found nothing, expected a mapping (line 1)\n` +
        `${file}: broker.port: found -1, expected a TCP port 0..65535 (0 picks a free port) (line 6)`,
    );
    expect(existsSync(join(tmp.dir, 'data'))).toBe(false);
    await expect(aggregatorCommand.run([], io)).rejects.toThrow('--config FILE is required');
  });

  it('runs as a process until SIGTERM, then closes and exits 0', async () => {
    buildIfStale();
    const built = join(root, 'dist/src/cli/aggregator-command.js');
    const file = tmp.file('aggregator.yaml');
    writeFileSync(file, configText(tmp.dir).replace('logLevel: silent', 'logLevel: info'));
    const launcher = tmp.file('run-aggregator.mjs');
    writeFileSync(
      launcher,
      `import { runCommandLine } from ${JSON.stringify(join(root, 'dist/src/shared/command-line.js'))};
import { aggregatorCommand } from ${JSON.stringify(built)};
process.exitCode = await runCommandLine('chiso', 'test', [aggregatorCommand], process.argv.slice(2));\n`,
    );
    const p = startProcess(launcher, ['aggregator', '--config', file]);
    const started = await p.line(/"msg":"aggregator started"/);
    const ports = JSON.parse(started.input) as { httpPort: number; mqttPort: number };
    const health = await fetch(`http://127.0.0.1:${ports.httpPort}/api/health`);
    expect(await health.json()).toMatchObject({ ok: true, ingest: 'running' });
    expect(await p.stop()).toBe(0);
    expect(p.out.some((l) => l.includes('"msg":"aggregator stopped"'))).toBe(true);
    expect(existsSync(join(tmp.dir, 'aggregator.key'))).toBe(true);
  }, 120_000);
});
