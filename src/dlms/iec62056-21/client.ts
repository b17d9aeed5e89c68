import { concatBytes, bytesEqual } from '../../shared/bytes.js';
import { DlmsError, isDlmsError } from '../errors.js';
import { INITIAL_BAUD, type BaudRate } from './baud.js';
import { STX, START_CHAR, indexOfCrLf, isPrintable } from './chars.js';
import { dataBlockEnd, parseDataBlock } from './data-block.js';
import { transmitMs, type Iec21Effect } from './effects.js';
import {
  encodeOptionSelect,
  encodeRequest,
  offersModeE,
  parseIdentification,
  type Identification,
  type OptionSelect,
} from './messages.js';

/**
 * The concentrator side of the IEC 62056-21 sign-on, as a pure machine
 * `clientNext(state, input) → { state, effects }` (the caller owns the port and the timers):
 *
 *   mode C readout:  /?addr!  →  /XXXZident  →  ACK 0 Z 0  →  (new baud, 7E1)  →  STX … ETX BCC
 *   mode E hand-over: /?addr! →  /XXXZ\2ident →  ACK 2 Z 2  →  (new baud, 8N1)  →  HDLC takes over
 *
 * Bytes may arrive in any chunks; a message is complete at CR LF (sign-on) or at ETX + BCC (data).
 */
export type ClientMode = 'readout' | 'hdlc';

export interface ClientOptions {
  /** Cap on the speed proposed by the meter (the option select may ask for less, never more). */
  maxBaud?: BaudRate;
  /** Wait for the first byte of an answer, and between chunks (tr and ta are at most 1500 ms). */
  responseTimeoutMs?: number;
  /** Pause between receiving the identification and sending the ACK (reaction time tr ≥ 200 ms). */
  reactionMs?: number;
  /**
   * Pause between writing the ACK and changing speed. Defaults to the ACK's own transmission time
   * at 300 baud (6 characters × 10 bits = 200 ms), because a write may complete before the bytes
   * left the UART; the meter answers no earlier than its reaction time after receiving it.
   */
  baudSwitchDelayMs?: number;
  /** Largest data message accepted, in bytes (protects memory against a line that never ends). */
  maxBlockBytes?: number;
}

type Settings = Required<ClientOptions>;

const DEFAULTS: Settings = {
  maxBaud: 19200,
  responseTimeoutMs: 2000,
  reactionMs: 200,
  baudSwitchDelayMs: transmitMs(6, INITIAL_BAUD),
  maxBlockBytes: 64 * 1024,
};

/** The identification is at most 1 + 3 + 1 + 2 + 64 + 2 bytes; far more without CR LF is not one. */
const MAX_IDENT_LINE = 128;
/** Bytes tolerated before the STX (an echo of our ACK, line noise from the speed change). */
const MAX_NOISE_BEFORE_STX = 64;

export type ClientState =
  | { step: 'idle'; settings: Settings }
  | {
      step: 'await-identification';
      settings: Settings;
      mode: ClientMode;
      request: Uint8Array;
      buffer: Uint8Array;
    }
  | {
      step: 'await-data';
      settings: Settings;
      identification: Identification;
      baud: BaudRate;
      buffer: Uint8Array;
      skipped: number;
    }
  | { step: 'done'; settings: Settings; identification: Identification; mode: ClientMode }
  | { step: 'failed'; settings: Settings; error: DlmsError };

export type ClientInput =
  | { type: 'start'; mode: ClientMode; address?: string }
  | { type: 'bytes'; bytes: Uint8Array }
  | { type: 'timeout' };

export interface ClientStep {
  state: ClientState;
  effects: Iec21Effect[];
}

export function initialClientState(options: ClientOptions = {}): ClientState {
  const settings: Settings = { ...DEFAULTS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (settings as Record<string, unknown>)[k] = v;
  return { step: 'idle', settings };
}

export function clientNext(state: ClientState, input: ClientInput): ClientStep {
  switch (input.type) {
    case 'start':
      return start(state.settings, input.mode, input.address);
    case 'timeout':
      return onTimeout(state);
    case 'bytes':
      try {
        if (state.step === 'await-identification') return onIdentificationBytes(state, input.bytes);
        if (state.step === 'await-data') return onDataBytes(state, input.bytes);
        // idle, done (the HDLC layer owns the line after a hand-over) and failed ignore bytes.
        return { state, effects: [] };
      } catch (e) {
        return fail(state, toDlmsError(e), state.step);
      }
  }
}

function toDlmsError(e: unknown): DlmsError {
  if (isDlmsError(e)) return e;
  return new DlmsError('DLMS_IEC21_PROTOCOL', `unexpected failure: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

function fail(state: ClientState, error: DlmsError, step: string): ClientStep {
  const withStep = error.withContext({ step });
  return {
    state: { step: 'failed', settings: state.settings, error: withStep },
    effects: [{ type: 'cancel-timer' }, { type: 'error', error: withStep }],
  };
}

/** Every session begins at 300 baud 7E1 (IEC 62056-21 §6.4), whatever the previous one left. */
function start(settings: Settings, mode: ClientMode, address: string | undefined): ClientStep {
  const idle: ClientState = { step: 'idle', settings };
  let request: Uint8Array;
  try {
    request = encodeRequest(address);
  } catch (e) {
    return fail(idle, toDlmsError(e), 'request');
  }
  return {
    state: { step: 'await-identification', settings, mode, request, buffer: new Uint8Array(0) },
    effects: [
      { type: 'set-baud', baud: INITIAL_BAUD, format: '7E1' },
      { type: 'write', bytes: request },
      { type: 'timer', ms: settings.responseTimeoutMs },
    ],
  };
}

function onTimeout(state: ClientState): ClientStep {
  if (state.step === 'await-identification') {
    const detail = state.buffer.length > 0 ? `only ${state.buffer.length} bytes without CR LF` : 'nothing';
    return fail(
      state,
      new DlmsError('DLMS_IEC21_TIMEOUT', `no identification message within ${state.settings.responseTimeoutMs} ms after the request (received ${detail})`, {
        context: { received: state.buffer.length },
      }),
      state.step,
    );
  }
  if (state.step === 'await-data') {
    const detail = state.buffer.length > 0 ? `${state.buffer.length} bytes of it received` : 'no STX received';
    return fail(
      state,
      new DlmsError('DLMS_IEC21_TIMEOUT', `data message incomplete after ${state.settings.responseTimeoutMs} ms of silence (${detail})`, {
        context: { received: state.buffer.length },
      }),
      state.step,
    );
  }
  return { state, effects: [] }; // a stale timer: nothing is awaited
}

function onIdentificationBytes(state: Extract<ClientState, { step: 'await-identification' }>, chunk: Uint8Array): ClientStep {
  let buffer = concatBytes([state.buffer, chunk]);
  for (;;) {
    const eol = indexOfCrLf(buffer);
    if (eol < 0) {
      if (buffer.length > MAX_IDENT_LINE) {
        throw new DlmsError('DLMS_IEC21_PROTOCOL', `identification: no CR LF within ${buffer.length} bytes`);
      }
      return { state: { ...state, buffer }, effects: [{ type: 'timer', ms: state.settings.responseTimeoutMs }] };
    }
    const line = buffer.subarray(0, eol + 2);
    buffer = buffer.subarray(eol + 2);
    // Half-duplex adapters (RS485, some optical heads) echo what we sent: skip our own request.
    if (bytesEqual(line, state.request)) continue;
    // Line noise while the meter wakes up: non-printable bytes before the '/'. An empty line too.
    let first = 0;
    while (first < eol && line[first] !== START_CHAR && !isPrintable(line[first] as number)) first++;
    if (first === eol) continue;
    // Anything after the identification is dropped: the meter says nothing more until our ACK.
    return onIdentification(state, parseIdentification(line.subarray(first)));
  }
}

function onIdentification(state: Extract<ClientState, { step: 'await-identification' }>, identification: Identification): ClientStep {
  const { settings } = state;
  const baud = Math.min(identification.baud, settings.maxBaud) as BaudRate;
  if (state.mode === 'hdlc') {
    if (!offersModeE(identification)) {
      throw new DlmsError(
        'DLMS_UNSUPPORTED',
        `meter ${identification.manufacturer} "${identification.ident}" does not offer mode E (no \\2 after its baud character)`,
      );
    }
    const ack: OptionSelect = { protocol: 'hdlc', baud, mode: 'binary' };
    return {
      state: { step: 'done', settings, identification, mode: 'hdlc' },
      effects: [
        { type: 'cancel-timer' },
        { type: 'wait', ms: settings.reactionMs },
        { type: 'write', bytes: encodeOptionSelect(ack) },
        { type: 'wait', ms: settings.baudSwitchDelayMs },
        { type: 'set-baud', baud, format: '8N1' },
        { type: 'hdlc-ready', baud },
      ],
    };
  }
  const ack: OptionSelect = { protocol: 'normal', baud, mode: 'readout' };
  return {
    state: { step: 'await-data', settings, identification, baud, buffer: new Uint8Array(0), skipped: 0 },
    effects: [
      { type: 'cancel-timer' },
      { type: 'wait', ms: settings.reactionMs },
      { type: 'write', bytes: encodeOptionSelect(ack) },
      { type: 'wait', ms: settings.baudSwitchDelayMs },
      { type: 'set-baud', baud, format: '7E1' },
      { type: 'timer', ms: settings.responseTimeoutMs },
    ],
  };
}

function onDataBytes(state: Extract<ClientState, { step: 'await-data' }>, chunk: Uint8Array): ClientStep {
  let buffer = state.buffer;
  let skipped = state.skipped;
  let input = chunk;
  if (buffer.length === 0) {
    // Before the STX: drop the echo of our ACK or noise from the speed change, but not forever.
    const stx = input.indexOf(STX);
    skipped += stx < 0 ? input.length : stx;
    if (skipped > MAX_NOISE_BEFORE_STX) {
      throw new DlmsError('DLMS_IEC21_PROTOCOL', `data message: no STX within the first ${skipped} bytes`);
    }
    input = stx < 0 ? new Uint8Array(0) : input.subarray(stx);
  }
  buffer = concatBytes([buffer, input]);
  const end = buffer.length > 0 ? dataBlockEnd(buffer, 0) : -1;
  if (end < 0) {
    if (buffer.length > state.settings.maxBlockBytes) {
      throw new DlmsError('DLMS_IEC21_PROTOCOL', `data message: longer than ${state.settings.maxBlockBytes} bytes without ETX`);
    }
    return { state: { ...state, buffer, skipped }, effects: [{ type: 'timer', ms: state.settings.responseTimeoutMs }] };
  }
  // Bytes after the BCC are not ours to judge: the meter is done and returns to its initial state.
  const block = parseDataBlock(buffer.subarray(0, end));
  return {
    state: { step: 'done', settings: state.settings, identification: state.identification, mode: 'readout' },
    effects: [{ type: 'cancel-timer' }, { type: 'readout', identification: state.identification, lines: block.lines }],
  };
}
