import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeApdu } from '../../src/dlms/apdu/index.js';
import { FORMAT_8N1 } from '../../src/transport/line-format.js';
import { createSerialTransport } from '../../src/transport/serial.js';
import { vectorBytes } from '../fixtures/vectors.js';
import { clientFrame, framesIn, serverAt } from './frames.js';
import { rawTcpClient, Received } from './raw-client.js';

/** The real `chiso-sim` launcher as a child process, on the compiled dist/ (built here when stale). */
const root = fileURLToPath(new URL('../../', import.meta.url));
const launcher = `${root}bin/chiso-sim.js`;
const compiled = `${root}dist/simulators/cli/main.js`;
const sources = ['simulators/cli/main.ts', 'simulators/cli/meter-command.ts', 'simulators/cli/fleet.ts', 'simulators/protocol/servers.ts', 'simulators/protocol/meter-endpoint.ts'];

beforeAll(() => {
  const stale = !existsSync(compiled) || sources.some((s) => statSync(`${root}${s}`).mtimeMs > statSync(compiled).mtimeMs);
  if (stale) spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.json`], { cwd: root, timeout: 110_000 });
  expect(existsSync(compiled)).toBe(true);
}, 120_000);

interface Running {
  child: ChildProcess;
  out: string[];
  err: string;
  exit: Promise<number | null>;
  line(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
}

const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function start(args: string[]): Running {
  const child = spawn(process.execPath, [launcher, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const out: string[] = [];
  const running: Running = {
    child,
    out,
    err: '',
    exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    async line(pattern, ms = 8000) {
      const deadline = Date.now() + ms;
      for (;;) {
        for (const l of out) {
          const m = pattern.exec(l);
          if (m) return m;
        }
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no line matching ${pattern}; stdout: ${out.join('\n')}; stderr: ${running.err}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    out.push(...lines);
  });
  child.stderr!.on('data', (d: Buffer) => (running.err += d.toString()));
  return running;
}

async function stop(r: Running): Promise<number | null> {
  r.child.kill('SIGTERM');
  return Promise.race([r.exit, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('chiso-sim did not stop on SIGTERM')), 5000))]);
}

describe('chiso-sim', () => {
  it('--help lists the meter command; meter --help its options', async () => {
    const help = start(['--help']);
    expect(await help.exit).toBe(0);
    expect(help.out.join('\n')).toMatch(/meter\s+serve simulated DLMS meters/);
    const meterHelp = start(['meter', '--help']);
    expect(await meterHelp.exit).toBe(0);
    expect(meterHelp.out.join('\n')).toContain('--fault KIND[:PARAM]@METER');
  });

  it('refuses a bad option with exit code 2', async () => {
    const bad = start(['meter', '--tcp', '0', '--fault', 'melted@1']);
    expect(await bad.exit).toBe(2);
    expect(bad.err).toContain('unknown kind "melted"');
  });

  it("meter --tcp 0 --wrapper: prints the port and the meters, accepts the 'Gurux' LLS AARQ, stops on SIGTERM", async () => {
    const r = start(['meter', '--tcp', '0', '--wrapper', '--meters', '2', '--password', 'Gurux', '--seed', '42']);
    const port = Number((await r.line(/on tcp 127\.0\.0\.1:(\d+) \(wrapper\)/))[1]);
    await r.line(/ready/);
    const meters = r.out.filter((l) => l.startsWith('meter '));
    expect(meters).toHaveLength(2);
    expect(meters[0]).toMatch(/^meter 1 {2}wport 1 {2}serial SIM001\d{7} {2}SAP 16 public/);
    expect(meters[1]).toMatch(/^meter 2 {2}wport 2 {2}serial SIM002\d{7}/);
    expect(meters[0]).toContain('17 reading (LLS "Gurux")');

    const client = await rawTcpClient(port);
    client.send(vectorBytes("WRAPPER AARQ LLS 'Gurux'"));
    const bytes = await client.received.waitFor((b) => b.length >= 8 && b.length >= 8 + ((b[6]! << 8) | b[7]!), 'AARE');
    expect(decodeApdu(bytes.subarray(8))).toMatchObject({ type: 'aare', result: 'accepted' });

    expect(await stop(r)).toBe(0);
    await client.closed;
    expect(r.out.at(-1)).toBe('chiso-sim: SIGTERM: stopped');
  });

  it('serial numbers are deterministic from the seed', async () => {
    const serials = async (seed: string) => {
      const r = start(['meter', '--tcp', '0', '--meters', '3', '--seed', seed]);
      await r.line(/ready/);
      const s = r.out.filter((l) => l.startsWith('meter ')).map((l) => /serial (\S+)/.exec(l)![1]);
      expect(await stop(r)).toBe(0);
      return s;
    };
    const a = await serials('7');
    expect(await serials('7')).toEqual(a);
    expect(await serials('8')).not.toEqual(a);
  });

  it('meter --pty: prints the device; the addressed meter answers on it', async () => {
    const r = start(['meter', '--pty', '--meters', '2', '--baud', '19200']);
    const path = (await r.line(/^chiso-sim: open (\S+)$/))[1]!;
    await r.line(/ready/);
    expect(r.out.filter((l) => l.startsWith('meter ')).map((l) => l.split('  ')[1])).toEqual(['hdlc 1/17', 'hdlc 1/18']);
    const port = createSerialTransport({ path, baudRate: 19200, ...FORMAT_8N1, lock: false });
    const received = new Received();
    port.onData((b) => received.push(b));
    await port.open();
    try {
      await port.write(clientFrame(serverAt(18), 16, { type: 'SNRM', pf: true }));
      const [ua] = framesIn(await received.waitFor((b) => framesIn(b).length >= 1, 'UA'));
      expect(ua!.source).toEqual({ upper: 1, lower: 18, size: 4 });
    } finally {
      await port.close();
    }
    expect(await stop(r)).toBe(0);
    expect(existsSync(path)).toBe(false);
  });
});
