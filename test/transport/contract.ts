/**
 * The Transport contract, run against every implementation (tcp, memory, serial over a pty pair), as
 * aedes runs one persistence suite against every store: whatever the link, the client may rely on the
 * same behaviour. See the contract in src/transport/transport.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bytesEqual, fromHex } from '../../src/shared/bytes.js';
import { isTransportError } from '../../src/transport/errors.js';
import type { Transport } from '../../src/transport/transport.js';
import { patternBytes, Sink, waitUntil } from './sink.js';

/** The far end of the link under test, as the test drives it. */
export interface Peer {
  write(bytes: Uint8Array): Promise<void>;
  bytes(): Uint8Array;
  untilBytes(n: number): Promise<void>;
  /** End the link from the far side (TCP FIN, pipe end closed, serial line hung up). */
  hangUp(): Promise<void>;
  /** Whether the far side has seen the link end. */
  closed(): boolean;
}

export interface Fixture {
  transport: Transport;
  /** The far end; for TCP it exists only once the transport has connected. */
  peer(): Promise<Peer>;
  teardown(): Promise<void>;
}

export interface ContractHarness {
  name: string;
  setup(): Promise<Fixture>;
  /** A transport aimed at something that is not there, and the name its error must mention. */
  missing?(): Promise<{ transport: Transport; name: string; teardown(): Promise<void> }>;
  /** Whether the far side can observe our close (a serial line cannot: nothing on the wire says so). */
  peerSeesLocalClose: boolean;
}

/** A Peer made from a transport at the far end (memory pair, the other pty). */
export function transportPeer(transport: Transport, sink: Sink, hangUp: () => Promise<void>): Peer {
  return {
    write: (bytes) => transport.write(bytes),
    bytes: () => sink.bytes(),
    untilBytes: (n) => sink.untilBytes(n),
    hangUp,
    closed: () => sink.closes.length > 0 || !transport.isOpen,
  };
}

export function transportContract(harness: ContractHarness): void {
  describe(`Transport contract: ${harness.name}`, () => {
    let fixture: Fixture | undefined;
    afterEach(async () => {
      await fixture?.teardown();
      fixture = undefined;
    });

    async function openPair(): Promise<{ t: Transport; sink: Sink; peer: Peer }> {
      fixture = await harness.setup();
      const t = fixture.transport;
      const sink = new Sink(t);
      await t.open();
      expect(t.isOpen).toBe(true);
      const peer = await fixture.peer();
      return { t, sink, peer };
    }

    it('carries a few bytes each way, exactly', async () => {
      const { t, sink, peer } = await openPair();
      const request = fromHex('7EA00A000200232193BF327E'); // an HDLC SNRM: any bytes, incl. 0x7E flags
      await t.write(request);
      await peer.untilBytes(request.length);
      expect(peer.bytes()).toEqual(request);
      const answer = fromHex('00010203110D0A7F80FF');
      await peer.write(answer);
      await sink.untilBytes(answer.length);
      expect(sink.bytes()).toEqual(answer);
      expect(sink.closes).toEqual([]);
    });

    it('carries 64 KiB each way in order', async () => {
      const { t, sink, peer } = await openPair();
      const out = patternBytes(65536, 1);
      await t.write(out);
      await peer.untilBytes(out.length);
      expect(bytesEqual(peer.bytes(), out)).toBe(true);
      const back = patternBytes(65536, 2);
      await peer.write(back);
      await sink.untilBytes(back.length);
      expect(sink.length).toBe(back.length);
      expect(bytesEqual(sink.bytes(), back)).toBe(true);
    });

    it('keeps the order of writes issued without waiting for each other', async () => {
      const { t, peer } = await openPair();
      const parts = Array.from({ length: 40 }, (_, i) => patternBytes(1 + i * 7, 100 + i));
      await Promise.all(parts.map((p) => t.write(p)));
      const total = parts.reduce((n, p) => n + p.length, 0);
      await peer.untilBytes(total);
      let at = 0;
      const got = peer.bytes();
      for (const p of parts) {
        expect(bytesEqual(got.subarray(at, at + p.length), p)).toBe(true);
        at += p.length;
      }
      expect(got.length).toBe(total);
    });

    it('reports our own close once, without error, and is silent afterwards', async () => {
      const { t, sink, peer } = await openPair();
      await Promise.all([sink.close(), t.close()]);
      await sink.close();
      expect(t.isOpen).toBe(false);
      expect(sink.closes).toEqual([undefined]);
      if (harness.peerSeesLocalClose) await waitUntil(() => peer.closed(), 'the peer to see our close');
      await peer.write(fromHex('0102')).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(sink.lateEvents).toEqual([]);
      expect(sink.chunks).toEqual([]);
    });

    it('reports a hang-up by the far end once, as a TransportError naming the link', async () => {
      const { t, sink, peer } = await openPair();
      await peer.hangUp();
      await sink.untilClosed();
      expect(t.isOpen).toBe(false);
      expect(sink.closes).toHaveLength(1);
      const error = sink.closes[0];
      expect(isTransportError(error)).toBe(true);
      expect(['TRANSPORT_PEER_CLOSED', 'TRANSPORT_DISCONNECTED']).toContain((error as { code?: string }).code);
      expect(error?.message).toContain(t.description);
      await sink.close(); // closing an already lost link is fine and reports nothing more
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(sink.closes).toHaveLength(1);
      expect(sink.lateEvents).toEqual([]);
      const late = await t.write(fromHex('01')).then(() => undefined, (e: unknown) => e);
      expect(isTransportError(late, 'TRANSPORT_NOT_OPEN')).toBe(true);
    });

    it('rejects a write after close, or before open, with TRANSPORT_NOT_OPEN naming the link', async () => {
      fixture = await harness.setup();
      const t = fixture.transport;
      const before = await t.write(fromHex('01')).then(() => undefined, (e: unknown) => e);
      expect(isTransportError(before, 'TRANSPORT_NOT_OPEN')).toBe(true);
      expect((before as Error).message).toContain(t.description);
      await t.open();
      await fixture.peer();
      await t.close();
      const after = await t.write(fromHex('01')).then(() => undefined, (e: unknown) => e);
      expect(isTransportError(after, 'TRANSPORT_NOT_OPEN')).toBe(true);
      expect((after as Error).message).toBe(`cannot write to ${t.description}: the link is not open`);
    });

    it('refuses a second open while open', async () => {
      const { t } = await openPair();
      const second = await t.open().then(() => undefined, (e: unknown) => e);
      expect(isTransportError(second, 'TRANSPORT_ALREADY_OPEN')).toBe(true);
      expect(t.isOpen).toBe(true);
    });

    if (harness.missing) {
      const missing = harness.missing.bind(harness);
      it('fails to open something that is not there with TRANSPORT_OPEN_FAILED naming it', async () => {
        const { transport, name, teardown } = await missing();
        try {
          const sink = new Sink(transport);
          const error = await transport.open().then(() => undefined, (e: unknown) => e);
          expect(isTransportError(error, 'TRANSPORT_OPEN_FAILED')).toBe(true);
          expect((error as Error).message).toContain(name);
          expect(transport.isOpen).toBe(false);
          expect(sink.closes).toEqual([]); // a link that never opened never closes
          await transport.close();
          expect(sink.closes).toEqual([]);
        } finally {
          await teardown();
        }
      });
    }
  });
}
