import { createServer, type Socket } from 'node:net';
import type { AddressSize } from '../../src/dlms/hdlc/address.js';
import { MeterSimError } from '../meter/errors.js';
import type { SimulatedMeter } from '../meter/meter-model.js';
import { describeServed, hdlcLink, wrapperLink, type ServedMeter } from './addressing.js';
import { EffectRunner, Line, type ByteSink } from './effect-runner.js';
import { FrameRouter } from './frame-router.js';
import { MeterEndpoint, type MeterProtocolSettings } from './meter-endpoint.js';

export type SettingsOption = MeterProtocolSettings | ((meter: SimulatedMeter, index: number) => MeterProtocolSettings);

export interface TcpMeterServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** true: IEC 62056-47 wrapper, meter i on wPort i; false: HDLC over TCP, meter i at 1/(16 + i). */
  readonly wrapper: boolean;
  readonly meters: readonly SimulatedMeter[];
  /** HDLC server address size (default 4). */
  readonly addressSize?: AddressSize;
  readonly settings?: SettingsOption;
  /** Pace answers as a line of this many bit/s would (10 bits per byte), e.g. 4800 for an RF link; default none. */
  readonly baud?: number;
  /** Link events (connect, disconnect, discarded frames) for a log. */
  readonly onNote?: (text: string) => void;
}

export interface TcpMeterServer {
  readonly host: string;
  readonly port: number;
  readonly meters: readonly ServedMeter[];
  close(): Promise<void>;
}

export function settingsFor(option: SettingsOption | undefined, meter: SimulatedMeter, index: number): MeterProtocolSettings {
  return typeof option === 'function' ? option(meter, index) : (option ?? {});
}

export function checkAddressing(meters: readonly unknown[], addressSize: AddressSize | undefined, where: string): void {
  if (meters.length === 0) throw new MeterSimError('SIM_BAD_CONFIG', `${where}: no meters to serve`);
  if (addressSize === 1 && meters.length > 1) {
    throw new MeterSimError('SIM_BAD_CONFIG', `${where}: 1-byte HDLC addresses have no physical part, so only one meter can be served (got ${meters.length})`);
  }
}

/**
 * Meters behind a TCP port (RF-to-IP modems, cellular meters, or an RS485 bus behind a TCP converter).
 * Every connection gets its own link and association state for each meter it addresses; the meter models
 * are shared, so what one connection sets (the clock) the next one reads.
 */
export async function startTcpMeterServer(options: TcpMeterServerOptions): Promise<TcpMeterServer> {
  const host = options.host ?? '127.0.0.1';
  checkAddressing(options.meters, options.wrapper ? undefined : options.addressSize, 'TCP meter server');
  const links = options.meters.map((m, i) => (options.wrapper ? wrapperLink(i + 1) : hdlcLink(i + 1, options.addressSize)));
  const served = options.meters.map((m, i) => describeServed(m, i + 1, links[i]!));
  const note = options.onNote ?? (() => undefined);
  const sockets = new Set<Socket>();

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const sink: ByteSink = {
      write: (bytes) =>
        new Promise((resolve) => {
          if (socket.destroyed) return resolve();
          socket.write(bytes, () => resolve());
        }),
      close: (reason) => {
        note(`tcp ${peer}: closing: ${reason}`);
        socket.destroy();
      },
    };
    const line = new Line(options.baud);
    // A meter's endpoint exists from the first frame addressed to it: a connection usually talks to one.
    const router = new FrameRouter(links);
    const runners = new Map<number, EffectRunner>();
    const runnerFor = (i: number): EffectRunner => {
      let r = runners.get(i);
      if (!r) {
        const m = options.meters[i]!;
        r = new EffectRunner(new MeterEndpoint(m, links[i]!, settingsFor(options.settings, m, i + 1)), sink, line, note);
        runners.set(i, r);
      }
      return r;
    };
    socket.on('data', (chunk: Buffer) => {
      const routed = router.route(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength).slice());
      if (routed.kind === 'close') return sink.close(routed.reason);
      for (const f of routed.frames) runnerFor(f.index).receive(f.bytes);
    });
    socket.on('error', () => undefined); // a reset by the client ends the connection like a close
    socket.on('close', () => {
      sockets.delete(socket);
      for (const r of runners.values()) r.close();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;

  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    meters: served,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}
