import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../transport/manual-clock.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { contiguousPrefix, signItems } from '../../../src/gateway/forwarder/batch.js';
import { CommandIntake, peekCommandId } from '../../../src/gateway/forwarder/commands.js';
import { ForwarderError } from '../../../src/gateway/forwarder/errors.js';
import { Pacer } from '../../../src/gateway/forwarder/pacer.js';
import { StreamWindow } from '../../../src/gateway/forwarder/stream-window.js';
import type { OutboxItem } from '../../../src/store/index.js';
import { decodeCommandResponse, generateKeyPair, loadPrivateKey, loadPublicKey, openSignedBatch, signCommand } from '../../../src/wire/index.js';
import { ringOf, sampleRead, testSigner } from '../../../src/wire/test-helpers.js';

const settings = { maxInFlight: 3, refusalBackoffMs: { initial: 100, max: 400 }, ackTimeoutMs: { initial: 1_000, max: 4_000 } };

describe('StreamWindow', () => {
  it('limits the batches in flight and frees room on acks of their ranges only', () => {
    const w = new StreamWindow(settings);
    w.sent(1, 10, 0);
    w.sent(11, 20, 0);
    w.sent(21, 30, 0);
    expect(w.canSend(0)).toBe(false);
    expect(w.onAck({ result: 'stored', seqFrom: 11, seqTo: 20 }, 5)).toEqual({ kind: 'delete', seqFrom: 11, seqTo: 20 });
    expect(w.inFlight.map((b) => b.seqFrom)).toEqual([1, 21]);
    expect(w.canSend(5)).toBe(true);
    expect(w.cursor).toBe(30);
  });

  it('rewinds once on a burst of sequence-gap refusals, and again if the resend is lost', () => {
    const w = new StreamWindow(settings);
    w.sent(1, 5, 0);
    w.sent(6, 10, 0);
    w.sent(11, 15, 0);
    const gap = (seqFrom: number, seqTo: number) => ({ result: 'refused' as const, reason: 'sequence-gap' as const, expectedSeq: 1, seqFrom, seqTo });
    expect(w.onAck(gap(6, 10), 1)).toEqual({ kind: 'rewind', fromSeq: 1 });
    expect(w.cursor).toBe(0);
    w.sent(1, 5, 2);
    expect(w.onAck(gap(11, 15), 3)).toMatchObject({ kind: 'ignore' });
    // the resend answered: a later gap at 1 means it was lost as well
    expect(w.onAck({ result: 'duplicate', seqFrom: 1, seqTo: 5 }, 4)).toMatchObject({ kind: 'delete' });
    w.sent(6, 10, 5);
    expect(w.onAck({ ...gap(6, 10), expectedSeq: 6 }, 6)).toEqual({ kind: 'rewind', fromSeq: 6 });
  });

  it('pauses with a doubling, capped back-off on other refusals and restarts from the oldest', () => {
    const w = new StreamWindow(settings);
    const refuse = { result: 'refused' as const, reason: 'bad-signature' as const, seqFrom: 1, seqTo: 5 };
    w.sent(1, 5, 0);
    expect(w.onAck(refuse, 0)).toEqual({ kind: 'pause', until: 100, attempt: 1 });
    expect(w.canSend(99)).toBe(false);
    expect(w.canSend(100)).toBe(true);
    expect(w.cursor).toBe(0);
    expect(w.onAck(refuse, 100)).toMatchObject({ until: 300 });
    expect(w.onAck(refuse, 300)).toMatchObject({ until: 700 });
    expect(w.onAck(refuse, 700)).toMatchObject({ until: 1_100 }); // capped at 400
  });

  it('times out the oldest batch with a doubling timeout', () => {
    const w = new StreamWindow(settings);
    w.sent(1, 5, 0);
    expect(w.ackDeadline()).toBe(1_000);
    expect(w.checkAckTimeout(999)).toBe(false);
    expect(w.checkAckTimeout(1_000)).toBe(true);
    expect(w.inFlight).toHaveLength(0);
    w.sent(1, 5, 1_000);
    expect(w.ackDeadline()).toBe(3_000);
  });
});

describe('Pacer', () => {
  it('spaces sends so no 1 s window holds more than the limit', () => {
    const pacer = new Pacer(50);
    const times: number[] = [];
    for (let now = 0; times.length < 200; ) {
      const d = pacer.delay(now);
      if (d === 0) {
        pacer.record(now);
        times.push(now);
      } else now += d;
    }
    for (let i = 0; i < times.length; i++) expect(times.filter((t) => t >= times[i]! && t < times[i]! + 1_000).length).toBeLessThanOrEqual(50);
    expect(times[50]).toBe(1_000);
  });
});

function item(seq: number, payload: string, kind: 'read' | 'event' = 'read'): OutboxItem {
  return { seq, readId: `r${seq}`, kind, billing: false, payload, createdAt: 0, bytes: payload.length, sentAt: null, sendCount: 0 };
}

describe('signItems', () => {
  const signer = testSigner('GW-1');
  const read = (n: number) => JSON.stringify(sampleRead('GW-1', { meterId: `M-${n}` }));

  it('signs contiguous rows as one verifiable batch', () => {
    const bytes = signItems('reads', [item(7, read(7)), item(8, read(8))], 'ep-1', Date.UTC(2024, 6, 31), signer);
    const { batch } = openSignedBatch(bytes, ringOf(signer).lookup, { gatewayId: 'GW-1' });
    expect(batch).toMatchObject({ seqFrom: 7, seqTo: 8, epoch: 'ep-1', createdAt: '2024-07-31T00:00:00.000Z' });
  });

  it('cuts batches at holes left by retention', () => {
    expect(contiguousPrefix([item(3, '{}'), item(4, '{}'), item(6, '{}')]).map((i) => i.seq)).toEqual([3, 4]);
  });

  it('names the row that cannot be sent', () => {
    const bad = JSON.stringify({ ...sampleRead('GW-1', { meterId: 'M-9' }), value: '12,5' });
    const e = (() => {
      try {
        signItems('reads', [item(1, read(1)), item(2, bad)], 'ep-1', 0, signer);
      } catch (err) {
        return err;
      }
      throw new Error('no throw');
    })();
    expect(e).toBeInstanceOf(ForwarderError);
    expect(e).toMatchObject({ code: 'FORWARDER_BAD_ITEM', context: { seq: 2 } });
    expect(() => signItems('reads', [item(1, '{}', 'event')], 'ep-1', 0, signer)).toThrow(/kind 'event' in the reads outbox/);
  });
});

describe('CommandIntake', () => {
  const agg = generateKeyPair();
  const aggPrivate = loadPrivateKey(agg.privateKeyPem);
  const aggPublic = loadPublicKey(agg.publicKeyPem);
  const make = (clock = new ManualClock()) => {
    clock.advance(Date.UTC(2024, 6, 31, 10));
    return new CommandIntake({ gatewayId: 'GW-1', lookupKey: (id) => (id === agg.keyId ? aggPublic : undefined), clock, logger: silentLogger() });
  };
  const cmd = () =>
    signCommand(
      {
        id: randomUUID(),
        gatewayId: 'GW-1',
        issuedAt: '2024-07-31T09:59:00Z',
        expiresAt: '2024-07-31T10:14:00Z',
        command: { type: 'clock-sync', maxAdjustSeconds: 30 },
      },
      aggPrivate,
      agg.keyId,
    );

  it('answers ok:false with the error code when the handler throws, and when there is no handler', async () => {
    const intake = make();
    const none = decodeCommandResponse((await intake.receive(cmd()))!);
    expect(none).toMatchObject({ ok: false, error: { code: 'FORWARDER_NO_HANDLER' } });
    intake.setHandler(() => {
      throw new Error('bus busy');
    });
    const failed = decodeCommandResponse((await intake.receive(cmd()))!);
    expect(failed).toMatchObject({ ok: false, error: { code: 'FORWARDER_COMMAND_FAILED', message: 'bus busy' } });
  });

  it('refuses a command for another gateway', async () => {
    const intake = new CommandIntake({ gatewayId: 'GW-2', lookupKey: () => aggPublic, clock: new ManualClock(), logger: silentLogger() });
    let called = false;
    intake.setHandler(() => {
      called = true;
      return null;
    });
    const response = decodeCommandResponse((await intake.receive(cmd()))!);
    expect(response).toMatchObject({ ok: false, error: { code: 'WIRE_GATEWAY_MISMATCH' } });
    expect(called).toBe(false);
  });

  it('peeks an id only from a well-formed envelope', () => {
    expect(peekCommandId(cmd())).toMatch(/^[0-9a-f-]{36}$/);
    expect(peekCommandId(Buffer.from('{"payload":"bm90IGpzb24="}'))).toBeUndefined();
    expect(peekCommandId(Buffer.from([0xff, 0x00]))).toBeUndefined();
  });
});
