import { systemClock, type Clock, type TimerHandle } from '../shared/clock.js';
import { clientNext, initialClientState, type ClientInput, type ClientOptions, type ClientState } from '../dlms/iec62056-21/client.js';
import type { DataLine } from '../dlms/iec62056-21/data-block.js';
import type { Iec21Effect } from '../dlms/iec62056-21/effects.js';
import type { Identification } from '../dlms/iec62056-21/messages.js';
import type { Transport } from '../transport/transport.js';
import { channelFor } from './channel.js';
import { ClientError } from './errors.js';

/** A serial line whose speed and character format can change mid-conversation (IEC 62056-21 §6.4). */
export interface ReconfigurableLine extends Transport {
  setFormat(format: { dataBits: 7 | 8; parity: 'none' | 'even' | 'odd'; stopBits: 1 | 2; baudRate?: number }): Promise<void>;
}

export type SignOnResult =
  | { mode: 'readout'; identification: Identification; lines: DataLine[] }
  | { mode: 'hdlc'; baud: number };

/**
 * Runs the IEC 62056-21 sign-on over a serial line: a mode C readout, or the mode E hand-over after which
 * the same line carries HDLC at the agreed speed. The line must be open at 300 baud 7E1.
 */
export async function signOn(line: ReconfigurableLine, options: { mode: 'readout' | 'hdlc'; address?: string; clock?: Clock } & ClientOptions): Promise<SignOnResult> {
  const clock = options.clock ?? systemClock;
  const channel = channelFor(line);
  let state: ClientState = initialClientState(options);
  let timer: TimerHandle | undefined;
  const inputs: ClientInput[] = [{ type: 'start', mode: options.mode, ...(options.address ? { address: options.address } : {}) }];
  let wake: (() => void) | undefined;
  const push = (input: ClientInput) => {
    inputs.push(input);
    wake?.();
  };
  let closed: Error | undefined;
  channel.attach(
    (bytes) => push({ type: 'bytes', bytes }),
    (error) => {
      closed = new ClientError('CLIENT_LINK_CLOSED', `${line.description} closed during the IEC 62056-21 sign-on${error ? `: ${error.message}` : ''}`);
      wake?.();
    },
  );
  const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));

  async function run(effect: Iec21Effect): Promise<SignOnResult | undefined> {
    switch (effect.type) {
      case 'write':
        await line.write(effect.bytes);
        return undefined;
      case 'wait':
        await sleep(effect.ms);
        return undefined;
      case 'set-baud':
        await line.setFormat(
          effect.format === '7E1' ? { dataBits: 7, parity: 'even', stopBits: 1, baudRate: effect.baud } : { dataBits: 8, parity: 'none', stopBits: 1, baudRate: effect.baud },
        );
        return undefined;
      case 'timer':
        if (timer) clock.clearTimeout(timer);
        timer = clock.setTimeout(() => push({ type: 'timeout' }), effect.ms);
        return undefined;
      case 'cancel-timer':
        if (timer) clock.clearTimeout(timer);
        timer = undefined;
        return undefined;
      case 'readout':
        return { mode: 'readout', identification: effect.identification, lines: effect.lines };
      case 'hdlc-ready':
        return { mode: 'hdlc', baud: effect.baud };
      case 'error':
        throw effect.error;
    }
  }

  try {
    for (;;) {
      const input = inputs.shift();
      if (!input) {
        if (closed) throw closed;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const step = clientNext(state, input);
      state = step.state;
      // Effects of one step run in order; bytes that arrive meanwhile wait in `inputs`.
      for (const effect of step.effects) {
        const result = await run(effect);
        if (result) return result;
      }
    }
  } finally {
    if (timer) clock.clearTimeout(timer);
    channel.release();
  }
}
