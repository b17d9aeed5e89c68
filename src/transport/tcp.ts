import { Socket, connect } from 'node:net';
import { systemClock, type Clock } from '../shared/clock.js';
import { LinkBase } from './base.js';
import { TransportError, systemCode, type OpenFailureReason } from './errors.js';
import type { Transport } from './transport.js';

export interface TcpOptions {
  host: string;
  port: number;
  /** How long to wait for the TCP handshake; the only timer a transport owns (answers are the client's). */
  connectTimeoutMs: number;
  description?: string;
  /** TCP keep-alive probe delay; helps notice dead cellular/RF-to-IP modems. Off when omitted. */
  keepAliveMs?: number;
  clock?: Clock;
}

/** A TCP link to a meter or modem speaking the IEC 62056-47 wrapper. */
export function createTcpTransport(options: TcpOptions): Transport {
  return new TcpTransport(options);
}

class TcpTransport extends LinkBase {
  readonly description: string;
  private readonly address: string;
  private readonly clock: Clock;
  private socket: Socket | undefined;

  constructor(private readonly options: TcpOptions) {
    super();
    this.address = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
    this.description = options.description ?? `tcp ${this.address}`;
    this.clock = options.clock ?? systemClock;
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
      throw new TransportError('TRANSPORT_CONFIG', `bad TCP port ${String(options.port)} for ${this.description}: must be 1..65535`);
    }
    if (!(options.connectTimeoutMs > 0)) {
      throw new TransportError('TRANSPORT_CONFIG', `bad connectTimeoutMs ${String(options.connectTimeoutMs)} for ${this.description}: must be > 0`);
    }
  }

  protected doOpen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.options.host, port: this.options.port });
      const fail = (error: TransportError): void => {
        this.clock.clearTimeout(timer);
        socket.removeAllListeners();
        socket.on('error', () => undefined); // a late error on a discarded socket must not crash the process
        socket.destroy();
        reject(error);
      };
      const timer = this.clock.setTimeout(() => {
        fail(new TransportError('TRANSPORT_CONNECT_TIMEOUT', `cannot connect to ${this.address}: no answer within ${this.options.connectTimeoutMs} ms`, { context: { link: this.description, address: this.address } }));
      }, this.options.connectTimeoutMs);
      socket.once('error', (error) => fail(this.openError(error)));
      socket.once('connect', () => {
        this.clock.clearTimeout(timer);
        socket.removeAllListeners();
        // DLMS is request/response with small frames: Nagle would hold each request back for an ACK.
        socket.setNoDelay(true);
        if (this.options.keepAliveMs !== undefined) socket.setKeepAlive(true, this.options.keepAliveMs);
        this.attach(socket);
        resolve();
      });
    });
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    let failure: Error | undefined;
    socket.on('data', (chunk: Buffer) => {
      if (this.socket === socket) this.received(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    socket.on('error', (error) => {
      failure = error;
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.lost(
        failure === undefined
          ? new TransportError('TRANSPORT_PEER_CLOSED', `${this.description}: the peer closed the connection`, { context: { link: this.description } })
          : new TransportError('TRANSPORT_DISCONNECTED', `${this.description}: connection lost: ${failure.message}`, { cause: failure, context: { link: this.description, errno: systemCode(failure) } }),
      );
    });
  }

  protected doWrite(bytes: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (socket === undefined || socket.destroyed) return Promise.reject(this.notOpen('write to'));
    return new Promise((resolve, reject) => {
      socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  protected doClose(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      // Send what was written, then FIN; unsent bytes (a peer that stopped reading) are not worth a hang.
      if (socket.writableLength > 0) socket.destroy();
      else socket.end(() => socket.destroy());
    });
  }

  private openError(error: Error): TransportError {
    const errno = systemCode(error);
    const reason = tcpReason(errno);
    const hint: Record<OpenFailureReason, string> = {
      refused: 'connection refused (nothing listens there, or the modem is busy with another master)',
      unreachable: 'host unreachable',
      'not-found': 'host name not found',
      permission: 'not permitted',
      busy: 'address busy',
      'not-a-port': 'not a TCP endpoint',
      other: error.message,
    };
    return new TransportError('TRANSPORT_OPEN_FAILED', `cannot connect to ${this.address}: ${hint[reason]}`, {
      cause: error,
      context: { link: this.description, address: this.address, reason, errno },
    });
  }
}

function tcpReason(errno: string | undefined): OpenFailureReason {
  switch (errno) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
    case 'ECONNRESET':
    case 'EAI_AGAIN': // a DNS answer that may come later
      return 'unreachable';
    case 'ENOTFOUND':
      return 'not-found';
    case 'EACCES':
    case 'EPERM':
      return 'permission';
    case 'EADDRINUSE':
    case 'EADDRNOTAVAIL':
      return 'busy';
    default:
      return 'other';
  }
}
