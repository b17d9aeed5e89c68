import { DlmsError } from '../errors.js';
import { clientAddress, sameAddress, serverAddress, type HdlcAddress, type ServerAddressSpec } from './address.js';
import { mod8, type Control } from './control.js';
import { deframe, INITIAL_DEFRAMER, resetDeframer, type DeframerState } from './deframer.js';
import { encodeFrame, type HdlcFrame } from './frame.js';
import { LLC_COMMAND, LLC_RESPONSE, reassembleApdu, segmentApdu } from './llc.js';
import {
  acceptAnswer,
  DEFAULT_PARAMETERS,
  decodeParameters,
  encodeParameters,
  isDefault,
  withDefaults,
  type HdlcParameters,
} from './parameters.js';

/**
 * The client (primary station) of an IEC 62056-46 HDLC link in normal response mode, as a pure state
 * machine: `nextClientLink(state, input) → { state, effects }`. The caller owns the port and the response
 * timer: it writes `write` effects, (re)starts or stops its timer on `timer` effects and feeds back
 * `bytes` and `timeout` inputs.
 *
 * The client always sends with P = 1 and then waits for the meter's frame with F = 1 (clause 6.4.4.4):
 * - connect: SNRM (with the parameter field when the config differs from the defaults) → UA | DM | FRMR;
 * - send: LLC E6 E6 00 + APDU cut into information fields of the negotiated max-info-tx, one I-frame
 *   per poll, each segment but the last with S = 1 and acknowledged by the meter's RR;
 * - receive: segments with S = 1 are acknowledged by RR(N(R)) which also asks for the next one; the
 *   last segment completes the APDU (LLC E6 E7 00 removed). With a receive window > 1 only the frame
 *   with F = 1 is answered;
 * - recovery: on a timeout or a corrupted frame the client re-polls with RR (or repeats SNRM/DISC), up to
 *   `maxRetries` times; an RR whose N(R) shows that our I-frame was lost makes us send it again.
 *
 * Errors that end the link are reported as `error` followed by `disconnected`; DLMS_LINK_STATE (an input
 * not allowed now) leaves the state untouched.
 */
export interface ClientLinkConfig {
  /** Client SAP: 16 public client, 17 LLS reading, ... */
  readonly clientAddress: number;
  readonly serverAddress: ServerAddressSpec;
  /** Proposed in the SNRM; default 128 bytes / window 1. */
  readonly maxInfoTx?: number;
  readonly maxInfoRx?: number;
  readonly windowTx?: number;
  readonly windowRx?: number;
  /** Re-polls after a timeout or corrupted answer before giving up; default 3. */
  readonly maxRetries?: number;
  /** Put in `timer` effects; when absent the caller uses its own default. */
  readonly responseTimeoutMs?: number;
}

export type ClientLinkInput =
  | { readonly type: 'connect' }
  | { readonly type: 'send'; readonly apdu: Uint8Array }
  | { readonly type: 'bytes'; readonly bytes: Uint8Array }
  | { readonly type: 'timeout' }
  | { readonly type: 'disconnect' };

export type ClientLinkEffect =
  | { readonly type: 'write'; readonly bytes: Uint8Array }
  /** ms: number = (re)start with that delay; absent = (re)start with the caller's default; null = stop. */
  | { readonly type: 'timer'; readonly ms?: number | null }
  | { readonly type: 'connected'; readonly parameters: HdlcParameters }
  | { readonly type: 'apdu'; readonly apdu: Uint8Array }
  | { readonly type: 'disconnected' }
  | { readonly type: 'error'; readonly error: DlmsError }
  /** Bytes the deframer threw away (noise, bad checksum): for logs; recovery is handled here. */
  | { readonly type: 'discarded'; readonly error: DlmsError };

export type ClientLinkPhase = 'disconnected' | 'connecting' | 'connected' | 'disconnecting';

export interface SentIFrame {
  readonly bytes: Uint8Array;
  readonly ns: number;
}

export interface ClientLinkState {
  readonly phase: ClientLinkPhase;
  readonly config: ClientLinkConfig;
  readonly client: HdlcAddress;
  readonly server: HdlcAddress;
  /** What we propose in the SNRM (our view). */
  readonly proposed: HdlcParameters;
  /** In force after the UA (our view). */
  readonly parameters: HdlcParameters;
  readonly rx: DeframerState;
  /** V(S): N(S) of our next I-frame; V(R): N(S) we expect next from the meter. */
  readonly vs: number;
  readonly vr: number;
  /** Our last I-frame until the meter acknowledges it (kept to resend it). */
  readonly unacked: SentIFrame | null;
  /** Information fields still to send for the current APDU. */
  readonly outgoing: readonly Uint8Array[];
  /** Segments of the APDU being received. */
  readonly incoming: readonly Uint8Array[];
  /** We hold no poll: a frame with P = 1 is out and the response timer runs. */
  readonly waiting: boolean;
  readonly retries: number;
  /** Our last frame was an RR poll of ours (the poll already counted as a retry). */
  readonly polling: boolean;
  /** The SNRM or DISC being repeated on timeouts. */
  readonly command: Uint8Array | null;
}

export interface ClientLinkStep {
  readonly state: ClientLinkState;
  readonly effects: ClientLinkEffect[];
}

type Fx = ClientLinkEffect[];

const EMPTY = new Uint8Array(0);

export function createClientLink(config: ClientLinkConfig): ClientLinkState {
  const proposed = withDefaults({
    maxInfoTx: config.maxInfoTx,
    maxInfoRx: config.maxInfoRx,
    windowTx: config.windowTx,
    windowRx: config.windowRx,
  });
  return {
    phase: 'disconnected',
    config,
    client: clientAddress(config.clientAddress),
    server: serverAddress(config.serverAddress),
    proposed,
    parameters: DEFAULT_PARAMETERS,
    rx: INITIAL_DEFRAMER,
    vs: 0,
    vr: 0,
    unacked: null,
    outgoing: [],
    incoming: [],
    waiting: false,
    retries: 0,
    polling: false,
    command: null,
  };
}

export function nextClientLink(state: ClientLinkState, input: ClientLinkInput): ClientLinkStep {
  const fx: Fx = [];
  const next = step(state, input, fx);
  return { state: next, effects: fx };
}

function step(s: ClientLinkState, input: ClientLinkInput, fx: Fx): ClientLinkState {
  switch (input.type) {
    case 'connect':
      return connect(s, fx);
    case 'disconnect':
      return disconnect(s, fx);
    case 'send':
      return send(s, input.apdu, fx);
    case 'timeout':
      return s.waiting ? retry(s, fx, 'response timeout') : s; // a stale timer: nothing is outstanding
    case 'bytes':
      return receive(s, input.bytes, fx);
  }
}

function connect(s: ClientLinkState, fx: Fx): ClientLinkState {
  if (s.phase !== 'disconnected') return refuseInput(s, fx, `connect while the link is ${s.phase}`);
  const information = isDefault(s.proposed) ? undefined : encodeParameters(s.proposed);
  const bytes = frame(s, { type: 'SNRM', pf: true }, information);
  fx.push({ type: 'write', bytes }, timer(s));
  return { ...fresh(s), rx: resetDeframer(s.rx), phase: 'connecting', command: bytes, waiting: true };
}

function disconnect(s: ClientLinkState, fx: Fx): ClientLinkState {
  if (s.phase === 'disconnected') {
    fx.push({ type: 'disconnected' });
    return s;
  }
  if (s.phase === 'disconnecting') return s;
  const bytes = frame(s, { type: 'DISC', pf: true });
  fx.push({ type: 'write', bytes }, timer(s));
  return { ...fresh(s), phase: 'disconnecting', command: bytes, waiting: true };
}

function send(s: ClientLinkState, apdu: Uint8Array, fx: Fx): ClientLinkState {
  if (s.phase !== 'connected') return refuseInput(s, fx, `send while the link is ${s.phase}`);
  if (s.waiting || s.unacked || s.outgoing.length > 0 || s.incoming.length > 0) {
    return refuseInput(s, fx, 'send while the previous exchange is still in progress (one APDU at a time)');
  }
  let outgoing: Uint8Array[];
  try {
    outgoing = segmentApdu(apdu, LLC_COMMAND, s.parameters.maxInfoTx);
  } catch (e) {
    if (!(e instanceof DlmsError)) throw e;
    fx.push({ type: 'error', error: e }); // a meter that negotiated an unusable max-info; link unchanged
    return s;
  }
  return sendNextSegment({ ...s, outgoing }, fx);
}

function sendNextSegment(s: ClientLinkState, fx: Fx): ClientLinkState {
  const [info, ...rest] = s.outgoing;
  if (info === undefined) return s;
  const bytes = frame(s, { type: 'I', ns: s.vs, nr: s.vr, pf: true }, info, rest.length > 0);
  fx.push({ type: 'write', bytes }, timer(s));
  return { ...s, outgoing: rest, unacked: { bytes, ns: s.vs }, vs: mod8(s.vs + 1), waiting: true, polling: false };
}

function receive(s: ClientLinkState, bytes: Uint8Array, fx: Fx): ClientLinkState {
  const r = deframe(s.rx, bytes);
  let next: ClientLinkState = { ...s, rx: r.state };
  for (const error of r.errors) fx.push({ type: 'discarded', error });
  let answered = false;
  for (const f of r.frames) {
    if (!sameAddress(f.destination, next.client) || !sameAddress(f.source, next.server)) continue; // another station
    answered = true;
    next = onFrame(next, f, fx);
  }
  // A corrupted answer (bad HCS/FCS) means the meter has finished sending: re-poll now rather than
  // waiting for the timer. Not with a receive window > 1, where more frames may still be on the line.
  const corrupted = r.errors.some((e) => e.code === 'DLMS_BAD_CHECKSUM');
  const singleFrameAnswers = next.phase !== 'connected' || next.parameters.windowRx === 1;
  if (corrupted && !answered && next.waiting && singleFrameAnswers) {
    next = retry(next, fx, 'corrupted answer', 'corrupted');
  }
  return next;
}

function onFrame(s: ClientLinkState, f: HdlcFrame, fx: Fx): ClientLinkState {
  const c = f.control;
  switch (s.phase) {
    case 'disconnected':
      return s;
    case 'connecting':
      if (c.type === 'UA') return onConnected(s, f, fx);
      if (c.type === 'DM' || c.type === 'FRMR') return fail(s, fx, refused(`meter answered ${c.type} to SNRM`, c.type));
      return s;
    case 'disconnecting':
      if (c.type === 'UA' || c.type === 'DM') {
        fx.push({ type: 'timer', ms: null }, { type: 'disconnected' });
        return down(s);
      }
      return s;
    case 'connected':
      switch (c.type) {
        case 'I':
          return onIFrame(s, f, c, fx);
        case 'RR':
        case 'RNR':
          return onSupervisory(s, c, fx);
        case 'DM':
          return fail(s, fx, refused('meter answered DM: it no longer considers the link connected', 'DM'));
        case 'FRMR':
          return fail(s, fx, refused('meter answered FRMR: it rejected one of our frames', 'FRMR'));
        default:
          return s;
      }
  }
}

function onConnected(s: ClientLinkState, f: HdlcFrame, fx: Fx): ClientLinkState {
  let answered: Partial<HdlcParameters> | undefined;
  if (f.information !== undefined) {
    try {
      answered = decodeParameters(f.information).parameters;
    } catch (e) {
      if (e instanceof DlmsError) return fail(s, fx, e);
      throw e;
    }
  }
  const parameters = acceptAnswer(s.proposed, answered);
  fx.push({ type: 'timer', ms: null }, { type: 'connected', parameters });
  return { ...fresh(s), phase: 'connected', parameters };
}

function onIFrame(s: ClientLinkState, f: HdlcFrame, c: Extract<Control, { type: 'I' }>, fx: Fx): ClientLinkState {
  let next = acknowledge(s, c.nr);
  if (c.ns !== next.vr) {
    // Lost or repeated frame: ask again from V(R), but only once the meter hands the poll back (F = 1).
    return c.pf ? retry(next, fx, `N(S) ${c.ns} where ${next.vr} was expected`, 'sequence') : next;
  }
  next = { ...next, vr: mod8(next.vr + 1), incoming: [...next.incoming, f.information ?? EMPTY], retries: 0 };
  if (f.segmented) {
    if (!c.pf) {
      fx.push(timer(next)); // more frames of the window follow
      return next;
    }
    fx.push({ type: 'write', bytes: frame(next, { type: 'RR', nr: next.vr, pf: true }) }, timer(next));
    return { ...next, waiting: true, polling: false };
  }
  let apdu: Uint8Array;
  try {
    apdu = reassembleApdu(next.incoming, LLC_RESPONSE);
  } catch (e) {
    if (e instanceof DlmsError) return fail(next, fx, e);
    throw e;
  }
  next = { ...next, incoming: [], unacked: null, outgoing: [] };
  if (c.pf) {
    fx.push({ type: 'timer', ms: null });
    next = { ...next, waiting: false };
  }
  fx.push({ type: 'apdu', apdu });
  return next;
}

function onSupervisory(s: ClientLinkState, c: Extract<Control, { type: 'RR' | 'RNR' }>, fx: Fx): ClientLinkState {
  let next = s;
  if (next.unacked) {
    if (c.nr === next.vs) {
      next = { ...next, unacked: null, retries: 0 };
    } else if (c.nr === next.unacked.ns) {
      // The meter did not get our last I-frame: send it again. When this answers our re-poll, the poll
      // was the counted retry; when it answers the I-frame itself, the meter refuses it: count that.
      if (!c.pf) return next;
      const retries = next.polling ? next.retries : next.retries + 1;
      if (retries > maxRetries(next)) {
        return fail(next, fx, refused(`the meter keeps refusing I-frame N(S)=${next.unacked.ns}`, 'rejected', retries));
      }
      fx.push({ type: 'write', bytes: next.unacked.bytes }, timer(next));
      return { ...next, retries, polling: false };
    } else {
      return next; // N(R) acknowledging nothing we sent: ignore
    }
  }
  if (c.type === 'RR' && next.outgoing.length > 0) return sendNextSegment(next, fx);
  // Acknowledged but the answer is not ready (or RNR): wait, and poll again when the timer runs out.
  if (c.pf && next.waiting) fx.push(timer(next));
  return next;
}

/** N(R) = V(S) acknowledges our outstanding I-frame. */
function acknowledge(s: ClientLinkState, nr: number): ClientLinkState {
  return s.unacked && nr === s.vs ? { ...s, unacked: null } : s;
}

/** Re-poll (or repeat SNRM/DISC); `reason` goes into the error context when the retries run out. */
function retry(s: ClientLinkState, fx: Fx, why: string, reason: 'timeout' | 'corrupted' | 'sequence' = 'timeout'): ClientLinkState {
  const retries = s.retries + 1;
  if (retries > maxRetries(s)) {
    if (s.phase === 'disconnecting') {
      // The meter does not confirm the DISC; the link is over for us anyway (it will time out).
      fx.push({ type: 'timer', ms: null }, { type: 'disconnected' });
      return down(s);
    }
    const what = s.phase === 'connecting' ? 'no UA to SNRM' : 'no answer from the meter';
    return fail(s, fx, refused(`${what} after ${retries} attempt(s) (last: ${why})`, reason, retries));
  }
  const next = { ...s, retries, rx: resetDeframer(s.rx) };
  const bytes = s.phase === 'connected' ? frame(s, { type: 'RR', nr: s.vr, pf: true }) : s.command;
  if (bytes === null) return next;
  fx.push({ type: 'write', bytes }, timer(s));
  return { ...next, waiting: true, polling: s.phase === 'connected' };
}

function fail(s: ClientLinkState, fx: Fx, error: DlmsError): ClientLinkState {
  fx.push({ type: 'timer', ms: null }, { type: 'error', error }, { type: 'disconnected' });
  return down(s);
}

function refuseInput(s: ClientLinkState, fx: Fx, why: string): ClientLinkState {
  fx.push({ type: 'error', error: new DlmsError('DLMS_LINK_STATE', `HDLC client: ${why}`, { context: { phase: s.phase } }) });
  return s;
}

function refused(message: string, reason: string, attempts?: number): DlmsError {
  return new DlmsError('DLMS_LINK_REFUSED', `HDLC link: ${message}`, { context: { reason, attempts } });
}

function down(s: ClientLinkState): ClientLinkState {
  return { ...fresh(s), phase: 'disconnected' };
}

/**
 * Sequence numbers, transfers and retries cleared (a new link or none). The deframer is kept: bytes after
 * a UA in the same chunk belong to the next frame.
 */
function fresh(s: ClientLinkState): ClientLinkState {
  return {
    ...s,
    vs: 0,
    vr: 0,
    unacked: null,
    outgoing: [],
    incoming: [],
    waiting: false,
    retries: 0,
    polling: false,
    command: null,
  };
}

function maxRetries(s: ClientLinkState): number {
  return s.config.maxRetries ?? 3;
}

function timer(s: ClientLinkState): ClientLinkEffect {
  const ms = s.config.responseTimeoutMs;
  return ms === undefined ? { type: 'timer' } : { type: 'timer', ms };
}

function frame(s: ClientLinkState, control: Control, information?: Uint8Array, segmented = false): Uint8Array {
  const f: HdlcFrame = { segmented, destination: s.server, source: s.client, control };
  return encodeFrame(information === undefined ? f : { ...f, information });
}
