import { DlmsError } from '../errors.js';
import { sameAddress, serverAddress, type HdlcAddress, type ServerAddressSpec } from './address.js';
import { mod8, type Control } from './control.js';
import { deframe, INITIAL_DEFRAMER, type DeframerState } from './deframer.js';
import { encodeFrame, type HdlcFrame } from './frame.js';
import { LLC_COMMAND, LLC_RESPONSE, reassembleApdu, segmentApdu } from './llc.js';
import {
  DEFAULT_PARAMETERS,
  decodeParameters,
  encodeParameters,
  negotiate,
  withDefaults,
  type HdlcParameters,
  type ParameterWidths,
} from './parameters.js';

/**
 * The server (secondary station) of an IEC 62056-46 HDLC link, for the meter simulator, as a pure
 * state machine: `nextServerLink(state, input) → { state, effects }`.
 *
 * A secondary in normal response mode speaks only when polled (a frame with P = 1 addressed to it) and
 * answers with exactly one frame with F = 1 (window 1). Frames for other addresses are ignored in
 * silence, as other meters on an RS485 bus must stay quiet:
 * - SNRM → UA with the negotiated parameters (a new SNRM restarts the link);
 * - DISC → UA when connected, DM otherwise; any other poll while disconnected → DM;
 * - I-frames: segments with S = 1 are answered with RR; the last one yields an `apdu` effect and the
 *   poll stays with us until the application's `send` input (or an RR poll, answered RR meanwhile);
 * - send: LLC E6 E7 00 + APDU cut to the negotiated max-info-tx; the first segment goes out when we
 *   hold the poll, the next ones on each RR that acknowledges the previous one;
 * - a poll whose N(R) shows that our last I-frame was lost gets that frame again.
 */
export interface ServerLinkConfig {
  readonly address: ServerAddressSpec;
  /** What this server supports (its own view); default 128 bytes / window 1. */
  readonly maxInfoTx?: number;
  readonly maxInfoRx?: number;
  readonly windowTx?: number;
  readonly windowRx?: number;
  /** Widths of the UA parameter values, to imitate a given meter (default: see encodeParameters). */
  readonly parameterWidths?: ParameterWidths;
}

export type ServerLinkInput =
  | { readonly type: 'bytes'; readonly bytes: Uint8Array }
  | { readonly type: 'send'; readonly apdu: Uint8Array };

export type ServerLinkEffect =
  | { readonly type: 'write'; readonly bytes: Uint8Array }
  | { readonly type: 'connected'; readonly client: number; readonly parameters: HdlcParameters }
  | { readonly type: 'apdu'; readonly client: number; readonly apdu: Uint8Array }
  | { readonly type: 'disconnected'; readonly client: number }
  | { readonly type: 'error'; readonly error: DlmsError }
  | { readonly type: 'discarded'; readonly error: DlmsError };

export interface ServerLinkState {
  readonly phase: 'disconnected' | 'connected';
  readonly config: ServerLinkConfig;
  readonly own: HdlcAddress;
  /** What we support (our view). */
  readonly offered: HdlcParameters;
  /** Negotiated with the connected client (our view). */
  readonly parameters: HdlcParameters;
  readonly peer: HdlcAddress | null;
  readonly rx: DeframerState;
  readonly vs: number;
  readonly vr: number;
  readonly unacked: { readonly bytes: Uint8Array; readonly ns: number } | null;
  readonly outgoing: readonly Uint8Array[];
  readonly incoming: readonly Uint8Array[];
  /** The client's last P = 1 frame is still unanswered: we may send one frame. */
  readonly polled: boolean;
}

export interface ServerLinkStep {
  readonly state: ServerLinkState;
  readonly effects: ServerLinkEffect[];
}

type Fx = ServerLinkEffect[];

const EMPTY = new Uint8Array(0);

export function createServerLink(config: ServerLinkConfig): ServerLinkState {
  return {
    phase: 'disconnected',
    config,
    own: serverAddress(config.address),
    offered: withDefaults({
      maxInfoTx: config.maxInfoTx,
      maxInfoRx: config.maxInfoRx,
      windowTx: config.windowTx,
      windowRx: config.windowRx,
    }),
    parameters: DEFAULT_PARAMETERS,
    peer: null,
    rx: INITIAL_DEFRAMER,
    vs: 0,
    vr: 0,
    unacked: null,
    outgoing: [],
    incoming: [],
    polled: false,
  };
}

export function nextServerLink(state: ServerLinkState, input: ServerLinkInput): ServerLinkStep {
  const fx: Fx = [];
  const next = input.type === 'bytes' ? receive(state, input.bytes, fx) : send(state, input.apdu, fx);
  return { state: next, effects: fx };
}

function receive(s: ServerLinkState, bytes: Uint8Array, fx: Fx): ServerLinkState {
  const r = deframe(s.rx, bytes);
  let next: ServerLinkState = { ...s, rx: r.state };
  for (const error of r.errors) fx.push({ type: 'discarded', error });
  for (const f of r.frames) {
    if (sameAddress(f.destination, next.own)) next = onFrame(next, f, fx); // else: another meter's traffic
  }
  return next;
}

function send(s: ServerLinkState, apdu: Uint8Array, fx: Fx): ServerLinkState {
  if (s.phase !== 'connected') return refuseInput(s, fx, 'send while no client is connected');
  if (s.outgoing.length > 0) return refuseInput(s, fx, 'send while the previous response is still being sent');
  let outgoing: Uint8Array[];
  try {
    outgoing = segmentApdu(apdu, LLC_RESPONSE, s.parameters.maxInfoTx);
  } catch (e) {
    if (!(e instanceof DlmsError)) throw e;
    fx.push({ type: 'error', error: e }); // the client negotiated an unusable max-info
    return s;
  }
  const next = { ...s, outgoing };
  return next.polled ? sendNextSegment(next, fx) : next; // otherwise on the next RR poll
}

function onFrame(s: ServerLinkState, f: HdlcFrame, fx: Fx): ServerLinkState {
  const c = f.control;
  if (c.type === 'SNRM') return onSnrm(s, f, fx);
  const fromPeer = s.phase === 'connected' && s.peer !== null && sameAddress(f.source, s.peer);
  if (c.type === 'DISC') {
    if (!fromPeer) return reply(s, f.source, { type: 'DM', pf: true }, fx);
    fx.push({ type: 'write', bytes: build(s, f.source, { type: 'UA', pf: true }) });
    fx.push({ type: 'disconnected', client: f.source.upper });
    return { ...reset(s), phase: 'disconnected', peer: null };
  }
  if (!fromPeer) return c.pf ? reply(s, f.source, { type: 'DM', pf: true }, fx) : s;
  switch (c.type) {
    case 'I':
      return onIFrame(s, f, c, fx);
    case 'RR':
    case 'RNR':
      return onSupervisory(s, c, fx);
    default:
      return s;
  }
}

function onSnrm(s: ServerLinkState, f: HdlcFrame, fx: Fx): ServerLinkState {
  let proposed: Partial<HdlcParameters> | undefined;
  if (f.information !== undefined) {
    try {
      proposed = decodeParameters(f.information).parameters;
    } catch (e) {
      if (!(e instanceof DlmsError)) throw e;
      fx.push({ type: 'error', error: e });
      return reply(s, f.source, { type: 'DM', pf: true }, fx);
    }
  }
  const parameters = negotiate(proposed, s.offered);
  const info = encodeParameters(parameters, s.config.parameterWidths);
  fx.push({ type: 'write', bytes: build(s, f.source, { type: 'UA', pf: true }, info) });
  fx.push({ type: 'connected', client: f.source.upper, parameters });
  return { ...reset(s), phase: 'connected', peer: f.source, parameters };
}

function onIFrame(s: ServerLinkState, f: HdlcFrame, c: Extract<Control, { type: 'I' }>, fx: Fx): ServerLinkState {
  let next = acknowledge(s, c.nr);
  if (c.ns !== next.vr) return c.pf ? receiveReady(next, fx) : next; // re-ask from V(R)
  next = { ...next, vr: mod8(next.vr + 1), incoming: [...next.incoming, f.information ?? EMPTY] };
  if (f.segmented) return c.pf ? receiveReady(next, fx) : next;
  const segments = next.incoming;
  next = { ...next, incoming: [] };
  let apdu: Uint8Array;
  try {
    apdu = reassembleApdu(segments, LLC_COMMAND);
  } catch (e) {
    if (!(e instanceof DlmsError)) throw e;
    fx.push({ type: 'error', error: e });
    return c.pf ? receiveReady(next, fx) : next;
  }
  // The poll stays with us: the application answers through a `send` input.
  next = { ...next, polled: c.pf };
  fx.push({ type: 'apdu', client: f.source.upper, apdu });
  return next;
}

function onSupervisory(s: ServerLinkState, c: Extract<Control, { type: 'RR' | 'RNR' }>, fx: Fx): ServerLinkState {
  let next = s;
  if (next.unacked) {
    if (c.nr === next.vs) {
      next = { ...next, unacked: null };
    } else if (c.nr === next.unacked.ns) {
      if (!c.pf) return next;
      fx.push({ type: 'write', bytes: next.unacked.bytes }); // our last I-frame was lost: send it again
      return { ...next, polled: false };
    }
  }
  if (!c.pf) return next;
  if (c.type === 'RR' && next.outgoing.length > 0) return sendNextSegment(next, fx);
  return receiveReady(next, fx);
}

function sendNextSegment(s: ServerLinkState, fx: Fx): ServerLinkState {
  const [info, ...rest] = s.outgoing;
  if (info === undefined || s.peer === null) return s;
  const bytes = build(s, s.peer, { type: 'I', ns: s.vs, nr: s.vr, pf: true }, info, rest.length > 0);
  fx.push({ type: 'write', bytes });
  return { ...s, outgoing: rest, unacked: { bytes, ns: s.vs }, vs: mod8(s.vs + 1), polled: false };
}

/** RR(V(R)) with F = 1: "got everything up to V(R) - 1, nothing to send now". */
function receiveReady(s: ServerLinkState, fx: Fx): ServerLinkState {
  if (s.peer === null) return s;
  fx.push({ type: 'write', bytes: build(s, s.peer, { type: 'RR', nr: s.vr, pf: true }) });
  return { ...s, polled: false };
}

function acknowledge(s: ServerLinkState, nr: number): ServerLinkState {
  return s.unacked && nr === s.vs ? { ...s, unacked: null } : s;
}

function reply(s: ServerLinkState, to: HdlcAddress, control: Control, fx: Fx): ServerLinkState {
  fx.push({ type: 'write', bytes: build(s, to, control) });
  return s;
}

function reset(s: ServerLinkState): ServerLinkState {
  return { ...s, vs: 0, vr: 0, unacked: null, outgoing: [], incoming: [], polled: false };
}

function refuseInput(s: ServerLinkState, fx: Fx, why: string): ServerLinkState {
  fx.push({ type: 'error', error: new DlmsError('DLMS_LINK_STATE', `HDLC server: ${why}`, { context: { phase: s.phase } }) });
  return s;
}

function build(s: ServerLinkState, to: HdlcAddress, control: Control, information?: Uint8Array, segmented = false): Uint8Array {
  const f: HdlcFrame = { segmented, destination: to, source: s.own, control };
  return encodeFrame(information === undefined ? f : { ...f, information });
}
