import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from './sink.js';

/** Two connected pseudo-terminals made by socat: a serial line without hardware, in a private folder. */
export interface PtyPair {
  dir: string;
  a: string;
  b: string;
  /** Kill socat: both ends see the line hang up, as when a USB adapter is pulled. */
  hangUp(): Promise<void>;
  dispose(): Promise<void>;
}

export async function ptyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'chiso-pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const socat: ChildProcess = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  socat.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) => socat.once('exit', () => ((exited = true), resolve())));
  socat.once('error', () => (exited = true));
  const hangUp = async (): Promise<void> => {
    if (!exited) socat.kill('SIGTERM');
    await Promise.race([exit, new Promise((resolve) => setTimeout(resolve, 3000))]);
  };
  try {
    // socat logs "starting data transfer loop" once both ptys exist and it relays between them.
    await waitUntil(() => exited || (existsSync(a) && existsSync(b) && stderr.includes('starting data transfer loop')), 'socat to create the pty pair', 5000);
    if (exited) throw new Error(`socat exited early: ${stderr}`);
  } catch (error) {
    await hangUp();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    dir,
    a,
    b,
    hangUp,
    dispose: async () => {
      await hangUp();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
