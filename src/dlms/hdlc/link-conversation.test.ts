import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesEqual } from '../../shared/bytes.js';
import type { DlmsError } from '../errors.js';
import {
  createClientLink,
  nextClientLink,
  type ClientLinkConfig,
  type ClientLinkEffect,
  type ClientLinkInput,
  type ClientLinkState,
} from './client-link.js';
import { decodeFrame, type HdlcFrame } from './frame.js';
import {
  createServerLink,
  nextServerLink,
  type ServerLinkConfig,
  type ServerLinkEffect,
  type ServerLinkState,
} from './server-link.js';

type Side = 'client' | 'server';
/** Returns the bytes to deliver (possibly altered) or null to drop them. `n` counts that side's writes. */
type Tamper = (from: Side, n: number, bytes: Uint8Array) => Uint8Array | null;

/**
 * Client and server machines wired in memory. Writes are queued and delivered in order; when the line
 * is quiet and the client's timer runs, the timer fires. The server "application" answers each APDU
 * through `respond`.
 */
class Rig {
  client: ClientLinkState;
  readonly servers: ServerLinkState[];
  readonly clientEvents: ClientLinkEffect[] = [];
  readonly serverEvents: ServerLinkEffect[][];
  readonly wire: { from: Side; frame: HdlcFrame }[] = [];
  timeouts = 0;
  private timerRunning = false;
  private readonly toServer: Uint8Array[] = [];
  private readonly toClient: Uint8Array[] = [];
  private readonly sends: { server: number; apdu: Uint8Array }[] = [];
  private readonly count = { client: 0, server: 0 };

  constructor(
    clientConfig: ClientLinkConfig,
    serverConfigs: ServerLinkConfig[],
    private readonly respond: (apdu: Uint8Array) => Uint8Array | undefined = () => undefined,
    private readonly tamper: Tamper = (_f, _n, b) => b,
  ) {
    this.client = createClientLink(clientConfig);
    this.servers = serverConfigs.map(createServerLink);
    this.serverEvents = serverConfigs.map(() => []);
  }

  input(input: ClientLinkInput): this {
    const r = nextClientLink(this.client, input);
    this.client = r.state;
    for (const e of r.effects) {
      if (e.type === 'write') this.put('client', e.bytes);
      else if (e.type === 'timer') this.timerRunning = e.ms !== null;
      else this.clientEvents.push(e);
    }
    return this.run();
  }

  private put(from: Side, bytes: Uint8Array): void {
    const n = this.count[from]++;
    const out = this.tamper(from, n, bytes);
    try {
      this.wire.push({ from, frame: decodeFrame(bytes) });
    } catch {
      // only frames we built are logged
    }
    if (out) (from === 'client' ? this.toServer : this.toClient).push(out);
  }

  private serverStep(i: number, r: { state: ServerLinkState; effects: ServerLinkEffect[] }): void {
    this.servers[i] = r.state;
    for (const e of r.effects) {
      if (e.type === 'write') this.put('server', e.bytes);
      else this.serverEvents[i]!.push(e);
      if (e.type === 'apdu') {
        const answer = this.respond(e.apdu);
        if (answer) this.sends.push({ server: i, apdu: answer });
      }
    }
  }

  private run(): this {
    for (let guard = 0; guard < 100_000; guard++) {
      const down = this.toServer.shift();
      if (down) {
        // A bus: every meter hears every frame of the client.
        this.servers.forEach((s, i) => this.serverStep(i, nextServerLink(s, { type: 'bytes', bytes: down })));
        continue;
      }
      const up = this.toClient.shift();
      if (up) {
        const r = nextClientLink(this.client, { type: 'bytes', bytes: up });
        this.client = r.state;
        for (const e of r.effects) {
          if (e.type === 'write') this.put('client', e.bytes);
          else if (e.type === 'timer') this.timerRunning = e.ms !== null;
          else this.clientEvents.push(e);
        }
        continue;
      }
      const send = this.sends.shift();
      if (send) {
        this.serverStep(send.server, nextServerLink(this.servers[send.server]!, { type: 'send', apdu: send.apdu }));
        continue;
      }
      if (this.timerRunning) {
        this.timerRunning = false;
        this.timeouts++;
        const r = nextClientLink(this.client, { type: 'timeout' });
        this.client = r.state;
        for (const e of r.effects) {
          if (e.type === 'write') this.put('client', e.bytes);
          else if (e.type === 'timer') this.timerRunning = e.ms !== null;
          else this.clientEvents.push(e);
        }
        continue;
      }
      return this;
    }
    throw new Error('conversation did not settle');
  }

  apdus(): Uint8Array[] {
    return this.clientEvents.flatMap((e) => (e.type === 'apdu' ? [e.apdu] : []));
  }

  serverApdus(i = 0): Uint8Array[] {
    return this.serverEvents[i]!.flatMap((e) => (e.type === 'apdu' ? [e.apdu] : []));
  }

  errors(): DlmsError[] {
    return this.clientEvents.flatMap((e) => (e.type === 'error' ? [e.error] : []));
  }

  frames(from: Side, type?: HdlcFrame['control']['type']): HdlcFrame[] {
    return this.wire.filter((w) => w.from === from && (type === undefined || w.frame.control.type === type)).map((w) => w.frame);
  }
}

/** Applies `change` to the k-th frame of the given type written by `side` (k from 0). */
function nth(side: Side, type: HdlcFrame['control']['type'], k: number, change: (b: Uint8Array) => Uint8Array | null): Tamper {
  let seen = 0;
  return (from, _n, b) => {
    if (from !== side || decodeFrame(b).control.type !== type) return b;
    return seen++ === k ? change(b) : b;
  };
}

const drop = (): null => null;

const CLIENT: ClientLinkConfig = { clientAddress: 16, serverAddress: { logical: 1, physical: 17, size: 2 }, maxRetries: 3 };
const SERVER: ServerLinkConfig = { address: { logical: 1, physical: 17, size: 2 } };
const AARQ = Uint8Array.from([0x60, 0x1d, 0xa1, 0x09, 0x06, 0x07, 0x60, 0x85, 0x74, 0x05, 0x08, 0x01, 0x01]);
const AARE = Uint8Array.from([0x61, 0x29, 0xa1, 0x09, 0x06, 0x07, 0x60, 0x85, 0x74, 0x05, 0x08, 0x01, 0x01, 0xa2, 0x03, 0x02, 0x01, 0x00]);
const big = (seed: number, n = 2000): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

const BIG_ANSWER = big(2000);
/** Faster than toEqual on long Uint8Arrays, for the property tests. */
const sameList = (a: Uint8Array[], b: Uint8Array[]): boolean => a.length === b.length && a.every((x, i) => bytesEqual(x, b[i]!));

/** Server application: AARQ → AARE, anything else → a 2000-byte answer derived from the request length. */
const app = (apdu: Uint8Array): Uint8Array => (apdu[0] === 0x60 ? AARE : big(apdu.length));

describe('HDLC client ↔ server conversation', () => {
  it('connects, exchanges a short APDU both ways and disconnects', () => {
    const rig = new Rig(CLIENT, [SERVER], app).input({ type: 'connect' });
    expect(rig.clientEvents).toEqual([{ type: 'connected', parameters: { maxInfoTx: 128, maxInfoRx: 128, windowTx: 1, windowRx: 1 } }]);
    rig.input({ type: 'send', apdu: AARQ });
    expect(rig.serverApdus()).toEqual([AARQ]);
    expect(rig.apdus()).toEqual([AARE]);
    rig.input({ type: 'disconnect' });
    expect(rig.clientEvents.at(-1)).toEqual({ type: 'disconnected' });
    expect(rig.serverEvents[0]!.at(-1)).toEqual({ type: 'disconnected', client: 16 });
    expect(rig.wire.map((w) => `${w.from}:${w.frame.control.type}`)).toEqual([
      'client:SNRM',
      'server:UA',
      'client:I',
      'server:I',
      'client:DISC',
      'server:UA',
    ]);
    expect(rig.timeouts).toBe(0);
  });

  it('segments 2000-byte APDUs both ways at max-info 128, with sequence numbers wrapping', () => {
    const rig = new Rig(CLIENT, [SERVER], app).input({ type: 'connect' });
    for (let round = 0; round < 2; round++) {
      const request = big(100 + round);
      rig.input({ type: 'send', apdu: request });
      expect(rig.serverApdus().at(-1)).toEqual(request);
      expect(rig.apdus().at(-1)).toEqual(big(2000));
    }
    const clientI = rig.frames('client', 'I');
    const serverI = rig.frames('server', 'I');
    expect(clientI.length).toBe(32); // 2003 bytes / 128 → 16 segments per APDU
    expect(serverI.length).toBe(32);
    expect(clientI.map((f) => f.segmented)).toEqual([...Array(15).fill(true), false, ...Array(15).fill(true), false]);
    expect(clientI.every((f) => f.information!.length <= 128)).toBe(true);
    expect(clientI.map((f) => (f.control.type === 'I' ? f.control.ns : -1))).toEqual(Array.from({ length: 32 }, (_, i) => i % 8));
    expect(serverI.map((f) => (f.control.type === 'I' ? f.control.ns : -1))).toEqual(Array.from({ length: 32 }, (_, i) => i % 8));
    // Every segment with S=1 is acknowledged with an RR in each direction.
    expect(rig.frames('server', 'RR').length).toBe(30);
    expect(rig.frames('client', 'RR').length).toBe(30);
    expect(rig.timeouts).toBe(0);
    expect(rig.errors()).toEqual([]);
  });

  it('uses a larger negotiated max-info and smaller meters\' limits', () => {
    const rig = new Rig({ ...CLIENT, maxInfoTx: 512, maxInfoRx: 512 }, [{ ...SERVER, maxInfoTx: 256, maxInfoRx: 1024 }], app);
    rig.input({ type: 'connect' });
    expect(rig.client.parameters).toEqual({ maxInfoTx: 512, maxInfoRx: 256, windowTx: 1, windowRx: 1 });
    rig.input({ type: 'send', apdu: big(7) });
    expect(rig.frames('client', 'I').length).toBe(4); // 2003 / 512
    expect(rig.frames('server', 'I').length).toBe(8); // 2003 / 256
    expect(rig.apdus()).toEqual([big(2000)]);
  });

  it('recovers a dropped server segment by re-polling after the timeout', () => {
    const rig = new Rig(CLIENT, [SERVER], app, nth('server', 'I', 5, drop));
    rig.input({ type: 'connect' }).input({ type: 'send', apdu: big(1) });
    expect(rig.apdus()).toEqual([big(2000)]);
    expect(rig.timeouts).toBe(1);
    expect(rig.errors()).toEqual([]);
    expect(rig.frames('server', 'I').length).toBe(17); // the lost one sent twice
  });

  it('recovers a dropped client segment: the meter\'s RR shows it was lost and it is sent again', () => {
    const rig = new Rig(CLIENT, [SERVER], app, nth('client', 'I', 3, drop));
    rig.input({ type: 'connect' }).input({ type: 'send', apdu: big(1) });
    expect(rig.serverApdus()).toEqual([big(1)]);
    expect(rig.apdus()).toEqual([big(2000)]);
    expect(rig.timeouts).toBe(1);
    expect(rig.frames('client', 'I').length).toBe(17);
  });

  it('recovers a lost UA, a lost RR and a lost final answer', () => {
    const lost = new Set(['server:0', 'client:4', 'server:17']);
    const rig = new Rig(CLIENT, [SERVER], app, (from, n, b) => (lost.has(`${from}:${n}`) ? null : b));
    rig.input({ type: 'connect' }).input({ type: 'send', apdu: big(1) });
    expect(rig.clientEvents[0]?.type).toBe('connected');
    expect(rig.apdus()).toEqual([big(2000)]);
    expect(rig.timeouts).toBe(3);
  });

  it('re-polls at once (no timeout) after a corrupted server segment', () => {
    const rig = new Rig(
      CLIENT,
      [SERVER],
      app,
      nth('server', 'I', 6, (b) => {
        const c = b.slice();
        c[40] = (c[40] ?? 0) ^ 0x20;
        return c;
      }),
    );
    rig.input({ type: 'connect' }).input({ type: 'send', apdu: big(1) });
    expect(rig.apdus()).toEqual([big(2000)]);
    expect(rig.timeouts).toBe(0);
    expect(rig.clientEvents.filter((e) => e.type === 'discarded').map((e) => e.type === 'discarded' && e.error.code)).toEqual(['DLMS_BAD_CHECKSUM']);
  });

  it('recovers a corrupted client frame (the meter drops it; the client re-polls on timeout)', () => {
    const rig = new Rig(
      CLIENT,
      [SERVER],
      app,
      nth('client', 'I', 2, (b) => {
        const c = b.slice();
        c[c.length - 3] = (c[c.length - 3] ?? 0) ^ 0xff;
        return c;
      }),
    );
    rig.input({ type: 'connect' }).input({ type: 'send', apdu: big(1) });
    expect(rig.serverApdus()).toEqual([big(1)]);
    expect(rig.apdus()).toEqual([big(2000)]);
    expect(rig.timeouts).toBe(1);
  });

  it('gives up on a silent meter after maxRetries timeouts with DLMS_LINK_REFUSED', () => {
    const rig = new Rig(CLIENT, [SERVER], app, (from, _n, b) => (from === 'server' ? null : b));
    rig.input({ type: 'connect' });
    expect(rig.frames('client', 'SNRM').length).toBe(4);
    expect(rig.timeouts).toBe(4);
    expect(rig.errors().map((e) => [e.code, e.context.reason])).toEqual([['DLMS_LINK_REFUSED', 'timeout']]);
    expect(rig.clientEvents.at(-1)).toEqual({ type: 'disconnected' });
    expect(rig.client.phase).toBe('disconnected');
  });

  it('gives up when the meter falls silent mid-transfer', () => {
    const rig = new Rig(CLIENT, [SERVER], app, (from, n, b) => (from === 'server' && n >= 4 ? null : b));
    rig.input({ type: 'connect' }).input({ type: 'send', apdu: big(1) });
    expect(rig.errors().map((e) => e.message)).toEqual(['HDLC link: no answer from the meter after 4 attempt(s) (last: response timeout)']);
    expect(rig.apdus()).toEqual([]);
  });

  it('reports DLMS_LINK_REFUSED naming DM when the meter forgot the link (e.g. it restarted)', () => {
    const rig = new Rig(CLIENT, [SERVER], app).input({ type: 'connect' });
    rig.servers[0] = createServerLink(SERVER); // meter reboots
    rig.input({ type: 'send', apdu: AARQ });
    expect(rig.errors().map((e) => [e.code, e.context.reason])).toEqual([['DLMS_LINK_REFUSED', 'DM']]);
    expect(rig.client.phase).toBe('disconnected');
  });

  it('on a shared bus only the addressed meter answers', () => {
    const other: ServerLinkConfig = { address: { logical: 1, physical: 18, size: 2 } };
    const rig = new Rig(CLIENT, [SERVER, other], app).input({ type: 'connect' }).input({ type: 'send', apdu: AARQ });
    expect(rig.apdus()).toEqual([AARE]);
    expect(rig.serverEvents[1]).toEqual([]);
    expect(rig.servers[1]!.phase).toBe('disconnected');
  });

  it('survives any two lost frames in a 2000-byte exchange (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.constantFrom<Side>('client', 'server'), fc.nat(40)), { maxLength: 2 }), (losses) => {
        const lost = new Set(losses.map(([s, n]) => `${s}:${n}`));
        const rig = new Rig(CLIENT, [SERVER], app, (from, n, b) => (lost.has(`${from}:${n}`) ? null : b));
        rig.input({ type: 'connect' }).input({ type: 'send', apdu: big(3) });
        expect(rig.errors()).toEqual([]);
        expect(sameList(rig.serverApdus(), [big(3)])).toBe(true);
        expect(sameList(rig.apdus(), [BIG_ANSWER])).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('never delivers a wrong APDU under random loss and corruption: either the right one or an error', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(60), fc.nat(200), fc.boolean()), { maxLength: 6 }), (hits) => {
        const rig = new Rig(CLIENT, [SERVER], app, (from, n, b) => {
          const hit = hits.find(([k]) => k === n + (from === 'server' ? 30 : 0));
          if (!hit) return b;
          if (hit[2]) return null;
          const c = b.slice();
          c[hit[1] % c.length] = (c[hit[1] % c.length] ?? 0) ^ 0x5a;
          return c;
        });
        rig.input({ type: 'connect' });
        if (rig.client.phase === 'connected') rig.input({ type: 'send', apdu: big(9) });
        for (const a of rig.apdus()) expect(bytesEqual(a, BIG_ANSWER)).toBe(true);
        for (const a of rig.serverApdus()) expect(bytesEqual(a, big(9))).toBe(true);
        if (rig.apdus().length === 0) expect(rig.errors().length).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });
});
