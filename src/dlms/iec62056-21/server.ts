import { concatBytes } from '../../shared/bytes.js';
import { DlmsError, isDlmsError } from '../errors.js';
import { INITIAL_BAUD, type BaudRate } from './baud.js';
import { ACK, START_CHAR, indexOfCrLf } from './chars.js';
import { encodeDataBlock, type DataLine } from './data-block.js';
import { transmitMs, type Iec21Effect } from './effects.js';
import { CAPABILITY_MODE_E, encodeIdentification, parseOptionSelect, parseRequest, type Identification } from './messages.js';

/**
 * The meter side of the IEC 62056-21 sign-on, for the meter simulator: a pure machine
 * `serverNext(state, input) → { state, effects }`. It answers a request with its identification,
 * then on the acknowledgement either sends the readout at the agreed speed (mode C) or hands the
 * line over to HDLC (mode E). What a real meter would meet with silence (garbage, a request for
 * another address) it ignores; what the simulator's operator should hear about (an option the
 * meter does not offer) becomes an `error` effect and the meter goes back to waiting at 300 baud.
 */
export interface ServerConfig {
  /** Three-letter manufacturer id (FLAG). */
  manufacturer: string;
  /** Identification text, at most 16 characters. */
  ident: string;
  /** Highest speed offered in the identification. */
  maxBaud: BaudRate;
  /** Whether the identification carries `\2` (mode E, HDLC). */
  modeE?: boolean;
  /** The device address; requests naming another address are ignored. Undefined: answer every request. */
  address?: string;
  /** The readout's data lines, or a function giving them at the time of the readout. */
  readout: readonly DataLine[] | (() => readonly DataLine[]);
  /** Pause before each answer (reaction time tr: 200 ms unless the manufacturer id's third letter is upper case). */
  reactionMs?: number;
  /** How long to wait for the acknowledgement before returning to the initial state. */
  ackTimeoutMs?: number;
}

export type ServerState =
  | { step: 'idle'; config: ServerConfig; buffer: Uint8Array }
  | { step: 'await-ack'; config: ServerConfig; buffer: Uint8Array }
  | { step: 'hdlc'; config: ServerConfig; baud: BaudRate };

export type ServerInput = { type: 'bytes'; bytes: Uint8Array } | { type: 'timeout' } | { type: 'reset' };

export interface ServerStep {
  state: ServerState;
  effects: Iec21Effect[];
}

/** A request is at most 2 + 32 + 3 bytes and an option select 6: longer lines are noise. */
const MAX_LINE = 64;
const DEFAULT_REACTION_MS = 200;
const DEFAULT_ACK_TIMEOUT_MS = 1500;

export function initialServerState(config: ServerConfig): ServerState {
  return { step: 'idle', config, buffer: new Uint8Array(0) };
}

export function serverIdentification(config: ServerConfig): Identification {
  const id: Identification = { manufacturer: config.manufacturer, baud: config.maxBaud, ident: config.ident };
  if (config.modeE === true) id.capability = CAPABILITY_MODE_E;
  return id;
}

export function serverNext(state: ServerState, input: ServerInput): ServerStep {
  const { config } = state;
  switch (input.type) {
    case 'reset':
      // After an HDLC disconnect, or when the caller decides so: back to 300 baud, waiting.
      return {
        state: initialServerState(config),
        effects: [{ type: 'cancel-timer' }, { type: 'set-baud', baud: INITIAL_BAUD, format: '7E1' }],
      };
    case 'timeout':
      if (state.step !== 'await-ack') return { state, effects: [] };
      return { state: initialServerState(config), effects: [{ type: 'set-baud', baud: INITIAL_BAUD, format: '7E1' }] };
    case 'bytes':
      if (state.step === 'hdlc') return { state, effects: [] }; // the HDLC layer owns the line
      return onBytes(state, input.bytes);
  }
}

function onBytes(state: Extract<ServerState, { step: 'idle' | 'await-ack' }>, chunk: Uint8Array): ServerStep {
  let buffer = concatBytes([state.buffer, chunk]);
  let current: ServerState = state;
  const effects: Iec21Effect[] = [];
  for (;;) {
    const eol = indexOfCrLf(buffer);
    if (eol < 0) {
      // Keep a partial line, unless it is too long to be any sign-on message.
      if (buffer.length > MAX_LINE) buffer = new Uint8Array(0);
      if (current.step === 'hdlc') return { state: current, effects };
      return { state: { ...current, buffer }, effects };
    }
    const line = buffer.subarray(0, eol + 2);
    buffer = buffer.subarray(eol + 2);
    if (current.step === 'hdlc') return { state: current, effects }; // rest belongs to HDLC
    const step = onLine(current, line);
    current = step.state;
    effects.push(...step.effects);
  }
}

function onLine(state: Extract<ServerState, { step: 'idle' | 'await-ack' }>, line: Uint8Array): ServerStep {
  const { config } = state;
  // A request restarts the sign-on in any state; noise before its '/' is dropped.
  const slash = line.indexOf(START_CHAR);
  if (slash >= 0 && line[slash + 1] === 0x3f) return onRequest(state, line.subarray(slash));
  if (state.step !== 'await-ack' || line[0] !== ACK) return { state, effects: [] };
  const idle = initialServerState(config);
  try {
    const option = parseOptionSelect(line);
    if (option.baud > config.maxBaud) {
      throw new DlmsError('DLMS_IEC21_PROTOCOL', `option select asks for ${option.baud} baud, the meter offers at most ${config.maxBaud}`);
    }
    const reactionMs = config.reactionMs ?? DEFAULT_REACTION_MS;
    if (option.mode === 'readout') {
      const lines = typeof config.readout === 'function' ? config.readout() : config.readout;
      const block = encodeDataBlock(lines);
      return {
        state: idle,
        effects: [
          { type: 'cancel-timer' },
          { type: 'set-baud', baud: option.baud, format: '7E1' },
          { type: 'wait', ms: reactionMs },
          { type: 'write', bytes: block },
          // Let the block leave the UART before dropping back to the initial speed.
          { type: 'wait', ms: transmitMs(block.length, option.baud) },
          { type: 'set-baud', baud: INITIAL_BAUD, format: '7E1' },
        ],
      };
    }
    if (option.mode === 'binary' && option.protocol === 'hdlc' && config.modeE === true) {
      return {
        state: { step: 'hdlc', config, baud: option.baud },
        effects: [
          { type: 'cancel-timer' },
          { type: 'set-baud', baud: option.baud, format: '8N1' },
          { type: 'hdlc-ready', baud: option.baud },
        ],
      };
    }
    throw new DlmsError('DLMS_UNSUPPORTED', `option select: protocol ${option.protocol} / mode ${option.mode} is not offered by this meter`);
  } catch (e) {
    const error = isDlmsError(e) ? e : new DlmsError('DLMS_IEC21_PROTOCOL', String(e), { cause: e });
    return { state: idle, effects: [{ type: 'cancel-timer' }, { type: 'error', error: error.withContext({ step: 'await-ack' }) }] };
  }
}

function onRequest(state: ServerState, line: Uint8Array): ServerStep {
  const { config } = state;
  let address: string | undefined;
  try {
    address = parseRequest(line).address;
  } catch {
    return { state, effects: [] }; // a meter stays silent on a garbled request
  }
  if (address !== undefined && config.address !== undefined && address !== config.address) {
    return { state: initialServerState(config), effects: [] }; // addressed to another meter on the bus
  }
  let identification: Uint8Array;
  try {
    identification = encodeIdentification(serverIdentification(config));
  } catch (e) {
    // A configuration the standard cannot express (e.g. an ident of 17 characters): tell the operator.
    const error = isDlmsError(e) ? e : new DlmsError('DLMS_IEC21_PROTOCOL', String(e), { cause: e });
    return { state: initialServerState(config), effects: [{ type: 'error', error: error.withContext({ step: 'identification' }) }] };
  }
  return {
    state: { step: 'await-ack', config, buffer: new Uint8Array(0) },
    effects: [
      { type: 'wait', ms: config.reactionMs ?? DEFAULT_REACTION_MS },
      { type: 'write', bytes: identification },
      { type: 'timer', ms: config.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS },
    ],
  };
}
