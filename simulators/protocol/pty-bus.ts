import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressSize } from '../../src/dlms/hdlc/address.js';
import { FORMAT_8N1 } from '../../src/transport/line-format.js';
import { createSerialTransport } from '../../src/transport/serial.js';
import { MeterSimError } from '../meter/errors.js';
import type { SimulatedMeter } from '../meter/meter-model.js';
import { describeServed, hdlcLink, type ServedMeter } from './addressing.js';
import { EffectRunner, Line, type ByteSink } from './effect-runner.js';
import { FrameRouter } from './frame-router.js';
import { MeterEndpoint, type Iec21SignOn } from './meter-endpoint.js';
import { checkAddressing, settingsFor, type SettingsOption } from './tcp-server.js';

export interface PtyBusOptions {
  readonly meters: readonly SimulatedMeter[];
  /** Line speed the answers are paced at (default 9600). */
  readonly baud?: number;
  /** HDLC server address size (default 4). */
  readonly addressSize?: AddressSize;
  readonly settings?: SettingsOption;
  /** Each meter first expects an IEC 62056-21 sign-on (addressed by its serial number). */
  readonly iec21?: Iec21SignOn;
  readonly onNote?: (text: string) => void;
}

export interface PtyBus {
  /** The device the client opens (the other end of the pseudo-terminal pair). */
  readonly path: string;
  readonly baud: number;
  readonly meters: readonly ServedMeter[];
  close(): Promise<void>;
}

const SOCAT_READY_MS = 5000;

/** Starts `socat` with two linked pseudo-terminals in a private folder; resolves once it relays. */
async function startSocat(dir: string): Promise<{ a: string; b: string; socat: ChildProcess; stop(): Promise<void> }> {
  const a = join(dir, 'bus');
  const b = join(dir, 'client');
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let exited = false;
  let spawnError: Error | undefined;
  socat.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<void>((resolve) =>
    socat.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  socat.once('error', (e) => {
    spawnError = e;
    exited = true;
  });
  const stop = async (): Promise<void> => {
    if (!exited) socat.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exit, new Promise((resolve) => (timer = setTimeout(resolve, 3000)))]);
    clearTimeout(timer); // a pending timer would keep the CLI alive after everything closed
    if (!exited) socat.kill('SIGKILL');
  };
  const deadline = Date.now() + SOCAT_READY_MS;
  // socat logs "starting data transfer loop" once both pseudo-terminals exist and it relays between them.
  while (!(existsSync(a) && existsSync(b) && stderr.includes('starting data transfer loop'))) {
    if (exited || Date.now() > deadline) {
      await stop();
      const why = spawnError ? `cannot run socat: ${spawnError.message}` : exited ? `socat exited: ${stderr.trim()}` : `socat not ready within ${SOCAT_READY_MS} ms`;
      throw new MeterSimError('SIM_BAD_CONFIG', `pseudo-terminal bus: ${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { a, b, socat, stop };
}

/**
 * An RS485 bus without hardware: a socat pseudo-terminal pair, our end opened with serialport (raw), the
 * other end's path handed to the client. Each frame reaches the meter it is addressed to (frame-router.ts);
 * answers are paced at the bus speed (10 bits per byte), so a 9600-baud bus is as slow as a real one.
 */
export async function startPtyBus(options: PtyBusOptions): Promise<PtyBus> {
  checkAddressing(options.meters, options.addressSize, 'pseudo-terminal bus');
  const baud = options.baud ?? 9600;
  if (!Number.isInteger(baud) || baud <= 0) throw new MeterSimError('SIM_BAD_CONFIG', `pseudo-terminal bus: baud ${baud} is not a positive integer`);
  const note = options.onNote ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'chiso-sim-bus-'));
  let socat: Awaited<ReturnType<typeof startSocat>>;
  try {
    socat = await startSocat(dir);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const port = createSerialTransport({ path: socat.a, baudRate: baud, ...FORMAT_8N1, description: `simulated bus ${socat.b}` });
  const links = options.meters.map((_, i) => hdlcLink(i + 1, options.addressSize, options.iec21));
  const served = options.meters.map((m, i) => describeServed(m, i + 1, links[i]!));
  const line = new Line(baud);
  const sink: ByteSink = {
    write: (bytes) => (port.isOpen ? port.write(bytes) : Promise.resolve()),
    close: (reason) => note(`bus: ${reason}`),
  };
  const runners = options.meters.map(
    (m, i) =>
      new EffectRunner(new MeterEndpoint(m, links[i]!, settingsFor(options.settings, m, i + 1)), sink, line, note, options.iec21 ? 300 : undefined),
  );
  // An IEC 62056-21 sign-on is not HDLC: then every meter hears every byte and finds its own address.
  const router = options.iec21 ? undefined : new FrameRouter(links);
  port.onData((bytes) => {
    const copy = bytes.slice();
    if (!router) {
      for (const r of runners) r.receive(copy);
      return;
    }
    const routed = router.route(copy);
    if (routed.kind === 'frames') for (const f of routed.frames) runners[f.index]!.receive(f.bytes);
  });
  port.onClose((error) => {
    if (error) note(`bus: ${error.message}`);
  });
  try {
    await port.open();
  } catch (e) {
    await socat.stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  let closing: Promise<void> | undefined;
  return {
    path: socat.b,
    baud,
    meters: served,
    close: () => {
      closing ??= (async () => {
        for (const r of runners) r.close();
        await port.close().catch(() => undefined);
        await socat.stop();
        rmSync(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
