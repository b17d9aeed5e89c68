import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const launcher = fileURLToPath(new URL('../../../bin/chiso-sim.js', import.meta.url));

/** Starts `chiso-sim` with the given arguments (which must include --tcp 0) and waits until it is ready. */
export async function chisoSim(args: string[]): Promise<{ port: number; pid: number; stop(): Promise<void> }> {
  // Profiling hook (not used for the figures): e.g. CHISO_BENCH_SIM_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p".
  const extra = (process.env['CHISO_BENCH_SIM_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, launcher, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chiso-sim did not start: ${out}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /127\.0\.0\.1:(\d+)/.exec(out);
      if (m && /ready/.test(out)) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`chiso-sim exited with ${code}: ${out}`)));
  });
  return {
    port,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
