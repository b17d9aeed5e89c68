import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The project root, and the two launchers that run the compiled dist/. */
export const root = fileURLToPath(new URL('../../', import.meta.url));
export const chisoBin = `${root}bin/chiso.js`;
export const chisoSimBin = `${root}bin/chiso-sim.js`;

/** `npm test` compiles before vitest runs; a lone `vitest run` compiles here if dist/ is missing. */
export function ensureBuilt(): void {
  if (existsSync(`${root}dist/src/cli/main.js`) && existsSync(`${root}dist/simulators/cli/main.js`)) return;
  spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${root}tsconfig.json`], { cwd: root, timeout: 110_000 });
}

export interface Running {
  child: ChildProcess;
  out: string[];
  err: () => string;
  exit: Promise<number | null>;
  /** Waits for a stdout line matching `pattern`, bounded by `ms`. */
  line(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** SIGTERM, then the exit code; SIGKILL and an error if it does not stop within `ms`. */
  stop(ms?: number): Promise<number | null>;
}

const started: ChildProcess[] = [];

/** Kill whatever a test left running (call from afterEach). */
export function killAll(): void {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

export function startProcess(launcher: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Running {
  const child = spawn(process.execPath, [launcher, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...(options.env ? { env: options.env } : {}) });
  started.push(child);
  const out: string[] = [];
  let err = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    out.push(...lines);
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Whatever is still buffered when the process ends is a last line.
  void exit.then(() => partial && out.push(partial));
  return {
    child,
    out,
    err: () => err,
    exit,
    async line(pattern, ms = 8000) {
      const deadline = Date.now() + ms;
      for (;;) {
        for (const l of out) {
          const m = pattern.exec(l);
          if (m) return m;
        }
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no line matching ${pattern}; stdout: ${out.join('\n')}; stderr: ${err}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async stop(ms = 5000) {
      child.kill('SIGTERM');
      const timer = new Promise<never>((_, reject) =>
        setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error('process did not stop on SIGTERM'));
        }, ms),
      );
      return Promise.race([exit, timer]);
    },
  };
}

/** Runs a command to its end and gives its exit code and output. */
export async function runToEnd(launcher: string, args: string[], ms = 20_000): Promise<{ code: number | null; out: string[]; err: string }> {
  const r = startProcess(launcher, args);
  const timer = setTimeout(() => r.child.kill('SIGKILL'), ms);
  const code = await r.exit;
  clearTimeout(timer);
  await new Promise((resolve) => setImmediate(resolve));
  return { code, out: r.out, err: r.err() };
}
