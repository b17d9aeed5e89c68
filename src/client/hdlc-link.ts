import { systemClock, type Clock, type TimerHandle } from '../shared/clock.js';
import { resetDeframer } from '../dlms/hdlc/deframer.js';
import { createClientLink, nextClientLink, type ClientLinkEffect, type ClientLinkInput, type ClientLinkState } from '../dlms/hdlc/client-link.js';
import type { ServerAddressSpec } from '../dlms/hdlc/address.js';
import { DlmsError } from '../dlms/errors.js';
import type { Transport } from '../transport/transport.js';
import { channelFor } from './channel.js';
import { ClientError } from './errors.js';
import { Inbox } from './inbox.js';
import type { ApduLink, LinkStats } from './link.js';

export interface HdlcLinkOptions {
  transport: Transport;
  /** Client SAP: 16 public, 17 reading (LLS), 1 management. */
  clientSap: number;
  server: ServerAddressSpec;
  /** Wait for each answer frame before re-polling. */
  responseTimeoutMs?: number;
  /** Re-polls before the link gives up on the meter. */
  maxRetries?: number;
  maxInfoTx?: number;
  maxInfoRx?: number;
  /**
   * A frame whose bytes stop arriving mid-way (a meter cut off while answering, noise on the line) is
   * dropped after this quiet time and the meter re-polled, instead of waiting out the whole response
   * timeout. Default 100 ms: at 9600 baud that is about a hundred character times.
   */
  interCharacterTimeoutMs?: number;
  /**
   * Whether disconnect() closes the transport. On an RS485 bus the port stays open for the next meter;
   * a TCP connection to one meter is closed with it.
   */
  ownsTransport?: boolean;
  clock?: Clock;
}

const LLC_BYTES = 3;

/**
 * An IEC 62056-46 HDLC client link driven over a transport: the pure link machine decides, this class
 * writes its frames, runs its response timer and turns its effects into promises.
 */
export function createHdlcLink(options: HdlcLinkOptions): ApduLink {
  const { transport } = options;
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.responseTimeoutMs ?? 1000;
  const maxRetries = options.maxRetries ?? 3;
  const channel = channelFor(transport);
  const description = `hdlc ${options.server.logical}/${options.server.physical ?? '-'} via ${transport.description}`;
  const inbox = new Inbox(clock, description);
  const stats: LinkStats = { bytesSent: 0, bytesReceived: 0, framesSent: 0, framesReceived: 0 };

  let state: ClientLinkState = newState();
  let timer: TimerHandle | undefined;
  let charTimer: TimerHandle | undefined;
  const interCharacterMs = options.interCharacterTimeoutMs ?? 100;
  let maxRequestApdu = (options.maxInfoTx ?? 128) - LLC_BYTES;
  let pendingConnect: { resolve: () => void; reject: (e: Error) => void } | undefined;
  let pendingDisconnect: (() => void) | undefined;
  let writeChain: Promise<void> = Promise.resolve();

  function newState(): ClientLinkState {
    return createClientLink({
      clientAddress: options.clientSap,
      serverAddress: options.server,
      maxInfoTx: options.maxInfoTx,
      maxInfoRx: options.maxInfoRx,
      maxRetries,
      responseTimeoutMs: timeoutMs,
    });
  }

  function stopTimer(): void {
    if (timer) clock.clearTimeout(timer);
    timer = undefined;
    if (charTimer) clock.clearTimeout(charTimer);
    charTimer = undefined;
  }

  /** After each chunk: if a frame is left half-received, give its remaining bytes a short quiet time. */
  function watchPartialFrame(): void {
    if (charTimer) clock.clearTimeout(charTimer);
    charTimer = undefined;
    if (state.rx.buffer.length === 0 || state.phase === 'disconnected') return;
    charTimer = clock.setTimeout(() => {
      charTimer = undefined;
      if (state.rx.buffer.length === 0) return;
      state = { ...state, rx: resetDeframer(state.rx) };
      apply({ type: 'timeout' });
    }, interCharacterMs);
  }

  function fail(error: Error): void {
    stopTimer();
    if (pendingConnect) {
      pendingConnect.reject(error);
      pendingConnect = undefined;
    }
    inbox.fail(error);
  }

  function apply(input: ClientLinkInput): void {
    const step = nextClientLink(state, input);
    state = step.state;
    for (const effect of step.effects) run(effect);
  }

  function run(effect: ClientLinkEffect): void {
    switch (effect.type) {
      case 'write':
        stats.bytesSent += effect.bytes.length;
        stats.framesSent++;
        // Writes keep their order; a failed write fails whoever waits on the link.
        writeChain = writeChain.then(() => transport.write(effect.bytes)).catch((e: Error) => fail(e));
        break;
      case 'timer':
        stopTimer();
        if (effect.ms !== null) timer = clock.setTimeout(() => apply({ type: 'timeout' }), effect.ms ?? timeoutMs);
        break;
      case 'connected':
        maxRequestApdu = effect.parameters.maxInfoTx - LLC_BYTES;
        pendingConnect?.resolve();
        pendingConnect = undefined;
        break;
      case 'apdu':
        stats.framesReceived++;
        inbox.put(effect.apdu);
        break;
      case 'error':
        fail(effect.error);
        break;
      case 'disconnected':
        stopTimer();
        pendingDisconnect?.();
        pendingDisconnect = undefined;
        break;
      case 'discarded':
        break;
    }
  }

  return {
    description,
    get maxRequestApdu() {
      return maxRequestApdu;
    },
    resendsOnTimeout: false,
    async connect() {
      channel.attach(
        (bytes) => {
          stats.bytesReceived += bytes.length;
          apply({ type: 'bytes', bytes });
          watchPartialFrame();
        },
        (error) => fail(new ClientError('CLIENT_LINK_CLOSED', `${transport.description} closed${error ? `: ${error.message}` : ''}`, { cause: error })),
      );
      if (!transport.isOpen) await transport.open();
      else await transport.flush?.();
      inbox.reset();
      state = newState();
      await new Promise<void>((resolve, reject) => {
        pendingConnect = { resolve, reject };
        apply({ type: 'connect' });
      });
    },
    async send(apdu) {
      if (state.phase !== 'connected') {
        throw new DlmsError('DLMS_LINK_STATE', `${description}: cannot send, the link is ${state.phase}`);
      }
      apply({ type: 'send', apdu });
    },
    receive: (ms) => inbox.take(ms),
    async disconnect() {
      try {
        if (state.phase === 'connected') {
          // Bounded: a meter that ignores DISC is released by the link machine after its retries.
          await new Promise<void>((resolve) => {
            pendingDisconnect = resolve;
            apply({ type: 'disconnect' });
            if (state.phase === 'disconnected') resolve();
          });
        }
        await writeChain;
      } finally {
        stopTimer();
        state = newState();
        channel.release();
        if (options.ownsTransport) {
          try {
            await transport.close();
          } catch {
            // the link is gone either way
          }
        }
      }
    },
    stats: () => ({ ...stats }),
  };
}
