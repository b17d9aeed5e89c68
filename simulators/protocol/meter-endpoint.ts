import type { AddressSize } from '../../src/dlms/hdlc/address.js';
import { createServerLink, nextServerLink, type ServerLinkEffect, type ServerLinkState } from '../../src/dlms/hdlc/server-link.js';
import type { BaudRate } from '../../src/dlms/iec62056-21/baud.js';
import type { Iec21Effect, SerialFormat } from '../../src/dlms/iec62056-21/effects.js';
import { addEvenParity } from '../../src/dlms/iec62056-21/parity.js';
import { initialServerState, serverNext, type ServerState } from '../../src/dlms/iec62056-21/server.js';
import { encodeWrapper } from '../../src/dlms/wrapper/wrapper.js';
import { WrapperDeframer } from '../../src/dlms/wrapper/deframer.js';
import { isDlmsError } from '../../src/dlms/errors.js';
import { MeterObjects } from '../meter/cosem-objects.js';
import type { SimulatedMeter } from '../meter/meter-model.js';
import { ApplicationServer } from './application-server.js';
import { LinkFaults, type Framing } from './link-faults.js';
import { readoutLines } from './readout.js';

/**
 * One simulated meter's link side on one connection (a TCP connection or the serial bus), sans-IO:
 * `receive(bytes)` gives the effects to run in order (write, wait, set-baud, timer…); the I/O layer owns
 * sockets, ports and timers. Every endpoint on a connection hears every byte and answers only what is
 * addressed to it, as meters on an RS485 bus do:
 * - HDLC (IEC 62056-46): server address logical 1 / physical = the meter's bus address, in the configured
 *   1-, 2- or 4-byte form; frames for other addresses are ignored by the HDLC server link;
 * - wrapper (IEC 62056-47): destination wPort = the meter's wPort;
 * - optionally the IEC 62056-21 sign-on first: mode E hands the line over to HDLC, mode C sends a readout.
 * Faults come from the meter model (link-faults.ts).
 */
export interface MeterProtocolSettings {
  /** LLS secret of the management client (SAP 1); default the meter's own password. */
  readonly managementPassword?: string | undefined;
  /** The meter's max PDU size (default 1024). */
  readonly maxPduSize?: number | undefined;
  /** false imitates a meter without multiple-references (default true). */
  readonly multipleReferences?: boolean | undefined;
  /** HDLC maximum information field length the meter offers (default 128). */
  readonly maxInfo?: number | undefined;
}

export type Iec21SignOn = {
  /** 'mode-e': the sign-on hands over to HDLC; 'mode-c': the sign-on ends with a readout. */
  readonly mode: 'mode-e' | 'mode-c';
  /** Highest speed offered (default 9600). */
  readonly maxBaud?: BaudRate | undefined;
  /** Device address in the request; default the meter's serial number. */
  readonly address?: string | undefined;
  /**
   * 7E1 made in software (parity bit 7 added on writes, stripped on reads), for lines that carry 8-bit
   * bytes such as pseudo-terminals; default true.
   */
  readonly softParity?: boolean | undefined;
};

export type EndpointLink =
  | { readonly framing: 'hdlc'; readonly physical: number; readonly logical?: number | undefined; readonly addressSize: AddressSize; readonly iec21?: Iec21SignOn | undefined }
  | { readonly framing: 'wrapper'; readonly wPort: number };

export type EndpointEffect =
  | { readonly type: 'write'; readonly bytes: Uint8Array }
  | { readonly type: 'wait'; readonly ms: number }
  | { readonly type: 'set-baud'; readonly baud: number; readonly format: SerialFormat }
  | { readonly type: 'timer'; readonly ms: number }
  | { readonly type: 'cancel-timer' }
  /** The stream cannot be resynchronised (a bad wrapper header): close the connection. */
  | { readonly type: 'close'; readonly reason: string }
  /** Something the operator may want in a log line. */
  | { readonly type: 'note'; readonly text: string };

export class MeterEndpoint {
  readonly description: string;
  private readonly app: ApplicationServer;
  private readonly faults: LinkFaults;
  private hdlc: ServerLinkState | undefined;
  private signOn: ServerState | undefined;
  private wrapper: WrapperDeframer | undefined;
  private broken = false;

  constructor(
    readonly meter: SimulatedMeter,
    readonly link: EndpointLink,
    settings: MeterProtocolSettings = {},
  ) {
    this.app = new ApplicationServer({
      objects: new MeterObjects(meter),
      readingPassword: meter.password,
      managementPassword: settings.managementPassword,
      maxPduSize: settings.maxPduSize,
      multipleReferences: settings.multipleReferences,
    });
    this.faults = new LinkFaults(meter.faults, meter.seed);
    if (link.framing === 'wrapper') {
      this.wrapper = new WrapperDeframer();
      this.description = `wport ${link.wPort}`;
      return;
    }
    const logical = link.logical ?? 1;
    const address = link.addressSize === 1 ? { logical, size: 1 as const } : { logical, physical: link.physical, size: link.addressSize };
    this.hdlc = createServerLink({ address, maxInfoTx: settings.maxInfo ?? 128, maxInfoRx: settings.maxInfo ?? 128 });
    this.description = link.addressSize === 1 ? `hdlc ${logical}` : `hdlc ${logical}/${link.physical}`;
    if (link.iec21) this.signOn = initialServerState(this.signOnConfig(link.iec21));
  }

  /** Bytes heard on the line. */
  receive(bytes: Uint8Array): EndpointEffect[] {
    const t = this.meter.now();
    if (this.broken || this.faults.deaf(t)) return [];
    if (this.wrapper) return this.receiveWrapper(bytes);
    if (this.signOn && this.signOn.step !== 'hdlc') return this.receiveSignOn(bytes);
    return this.receiveHdlc(bytes);
  }

  /** The sign-on timer ran out (armed by a `timer` effect). */
  timeout(): EndpointEffect[] {
    if (!this.signOn) return [];
    const step = serverNext(this.signOn, { type: 'timeout' });
    this.signOn = step.state;
    return this.fromSignOn(step.effects);
  }

  /** The connection is gone: a new one starts from scratch (the model keeps its state). */
  reset(): void {
    this.app.reset();
    if (this.hdlc) this.hdlc = createServerLink(this.hdlc.config);
    if (this.signOn) this.signOn = initialServerState(this.signOn.config);
    if (this.link.framing === 'wrapper') this.wrapper = new WrapperDeframer();
    this.broken = false;
  }

  private framing(): Framing {
    return this.wrapper ? 'wrapper' : this.signOn && this.signOn.step !== 'hdlc' ? 'iec21' : 'hdlc';
  }

  private out(bytes: Uint8Array): EndpointEffect[] {
    return this.faults.output(bytes, this.framing(), this.meter.now());
  }

  // ---- wrapper --------------------------------------------------------------------------------

  private receiveWrapper(bytes: Uint8Array): EndpointEffect[] {
    const link = this.link as Extract<EndpointLink, { framing: 'wrapper' }>;
    let frames;
    try {
      frames = this.wrapper!.push(bytes);
    } catch (e) {
      this.broken = true;
      return [{ type: 'close', reason: isDlmsError(e) ? e.message : String(e) }];
    }
    const fx: EndpointEffect[] = [];
    for (const f of frames) {
      if (f.destination !== link.wPort) continue; // another meter's wPort
      for (const apdu of this.app.handle(f.payload, f.source)) {
        fx.push(...this.out(encodeWrapper({ source: link.wPort, destination: f.source, payload: apdu })));
      }
    }
    return fx;
  }

  // ---- HDLC -----------------------------------------------------------------------------------

  private receiveHdlc(bytes: Uint8Array): EndpointEffect[] {
    return this.step({ type: 'bytes', bytes });
  }

  private step(input: Parameters<typeof nextServerLink>[1]): EndpointEffect[] {
    const r = nextServerLink(this.hdlc!, input);
    this.hdlc = r.state;
    const fx: EndpointEffect[] = [];
    for (const e of r.effects) fx.push(...this.onLinkEffect(e));
    return fx;
  }

  private onLinkEffect(e: ServerLinkEffect): EndpointEffect[] {
    switch (e.type) {
      case 'write':
        return this.out(e.bytes);
      case 'apdu': {
        const fx: EndpointEffect[] = [];
        for (const answer of this.app.handle(e.apdu, e.client)) fx.push(...this.step({ type: 'send', apdu: answer }));
        return fx;
      }
      case 'connected':
        this.app.reset(); // a new SNRM is a new link: earlier associations are gone
        return [{ type: 'note', text: `${this.description}: client ${e.client} connected (max info ${e.parameters.maxInfoTx})` }];
      case 'disconnected': {
        this.app.reset();
        const fx: EndpointEffect[] = [{ type: 'note', text: `${this.description}: client ${e.client} disconnected` }];
        if (this.signOn) {
          // After the HDLC session the meter listens for a new sign-on at 300 baud (IEC 62056-21 Annex E).
          const step = serverNext(this.signOn, { type: 'reset' });
          this.signOn = step.state;
          fx.push(...this.fromSignOn(step.effects));
        }
        return fx;
      }
      case 'error':
      case 'discarded':
        return [{ type: 'note', text: `${this.description}: ${e.error.message}` }];
    }
  }

  // ---- IEC 62056-21 ---------------------------------------------------------------------------

  private signOnConfig(s: Iec21SignOn) {
    return {
      manufacturer: 'CHS',
      ident: `SIM${this.meter.serial}`.slice(0, 16),
      maxBaud: s.maxBaud ?? 9600,
      modeE: s.mode === 'mode-e',
      address: s.address ?? this.meter.serial,
      readout: () => readoutLines(this.meter),
    } as const;
  }

  private get softParity(): boolean {
    return this.link.framing === 'hdlc' && this.link.iec21?.softParity !== false;
  }

  private receiveSignOn(bytes: Uint8Array): EndpointEffect[] {
    const text = this.softParity ? bytes.map((b) => b & 0x7f) : bytes;
    const step = serverNext(this.signOn!, { type: 'bytes', bytes: text });
    this.signOn = step.state;
    return this.fromSignOn(step.effects);
  }

  private fromSignOn(effects: readonly Iec21Effect[]): EndpointEffect[] {
    const fx: EndpointEffect[] = [];
    for (const e of effects) {
      switch (e.type) {
        case 'write':
          fx.push(...this.out(this.softParity ? addEvenParity(e.bytes) : e.bytes));
          break;
        case 'wait':
        case 'timer':
        case 'cancel-timer':
          fx.push(e);
          break;
        case 'set-baud':
          fx.push({ type: 'set-baud', baud: e.baud, format: e.format });
          break;
        case 'hdlc-ready':
          fx.push({ type: 'note', text: `${this.description}: mode E hand-over to HDLC at ${e.baud} baud` });
          break;
        case 'readout':
          break;
        case 'error':
          fx.push({ type: 'note', text: `${this.description}: sign-on: ${e.error.message}` });
          break;
      }
    }
    return fx;
  }
}
