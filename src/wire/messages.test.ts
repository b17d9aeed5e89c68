import { describe, expect, it } from 'vitest';
import { decodeAck, encodeAck, type AckMessage } from './ack.js';
import { isWireError, type WireError } from './errors.js';
import { decodeHeartbeat, decodeStatus, encodeHeartbeat, encodeStatus, type HeartbeatMessage, type StatusMessage } from './status.js';

const enc = new TextEncoder();

function failure(fn: () => unknown): WireError {
  try {
    fn();
  } catch (e) {
    if (isWireError(e)) return e;
    throw e;
  }
  throw new Error('expected a WireError');
}

describe('status (birth / will)', () => {
  const birth: StatusMessage = {
    v: 1,
    gatewayId: 'GW1',
    state: 'online',
    reason: 'birth',
    version: '0.1.0',
    configHash: 'sha256:9f2c1d',
    at: '2024-07-31T00:00:00Z',
    keyId: '0123456789abcdef',
    backlog: { count: 1200, oldestAt: '2024-07-30T22:00:00Z', bytes: 734_000 },
  };

  it('round-trips birth and will', () => {
    expect(decodeStatus(encodeStatus(birth))).toEqual(birth);
    const will: StatusMessage = { v: 1, gatewayId: 'GW1', state: 'offline', reason: 'will', version: '0.1.0', configHash: 'x', at: '2024-07-31T00:00:00Z' };
    expect(decodeStatus(encodeStatus(will))).toEqual(will);
  });

  it('refuses wrong types and names the path', () => {
    const e = failure(() => decodeStatus(enc.encode(JSON.stringify({ ...birth, backlog: { ...birth.backlog, count: '1200' } }))));
    expect([e.code, e.context.path]).toEqual(['WIRE_MALFORMED', 'backlog.count']);
    expect(failure(() => decodeStatus(enc.encode(JSON.stringify({ ...birth, state: 'sleepy' })))).context.path).toBe('state');
    expect(failure(() => decodeStatus(enc.encode('{')))).toMatchObject({ code: 'WIRE_MALFORMED' });
    expect(failure(() => decodeStatus(enc.encode(JSON.stringify({ ...birth, v: 2 }))))).toMatchObject({ code: 'WIRE_UNSUPPORTED_VERSION' });
  });

  it('ignores unknown fields (tolerant reader within one version)', () => {
    expect(decodeStatus(enc.encode(JSON.stringify({ ...birth, futureField: 1 })))).toEqual(birth);
  });
});

describe('heartbeat', () => {
  it('round-trips', () => {
    const hb: HeartbeatMessage = { v: 1, gatewayId: 'GW1', at: '2024-07-31T00:01:00Z', uptimeSeconds: 86_400, meters: { total: 412, online: 409 } };
    expect(decodeHeartbeat(encodeHeartbeat(hb))).toEqual(hb);
    expect(failure(() => encodeHeartbeat({ ...hb, uptimeSeconds: -1 })).context.path).toBe('uptimeSeconds');
  });
});

describe('ack', () => {
  const stored: AckMessage = { v: 1, gatewayId: 'GW1', stream: 'reads', epoch: 'db-7f3a', seqFrom: 101, seqTo: 200, result: 'stored', storedCount: 100, at: '2024-07-31T00:00:01Z' };

  it('round-trips stored, duplicate and refusals', () => {
    expect(decodeAck(encodeAck(stored))).toEqual(stored);
    const dup: AckMessage = { ...stored, result: 'duplicate', storedCount: 0 };
    expect(decodeAck(encodeAck(dup))).toEqual(dup);
    const gap: AckMessage = { ...stored, result: 'refused', reason: 'sequence-gap', expectedSeq: 61, storedCount: 0, detail: 'expected 61' };
    expect(decodeAck(encodeAck(gap))).toEqual(gap);
  });

  it('enforces the rules between fields', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ result: 'refused', storedCount: 0 }, 'reason'],
      [{ reason: 'bad-signature' }, 'reason'],
      [{ result: 'duplicate', storedCount: 3 }, 'storedCount'],
      [{ storedCount: 101 }, 'storedCount'],
      [{ result: 'refused', reason: 'sequence-gap', storedCount: 0 }, 'expectedSeq'],
      [{ seqTo: 100 }, 'seqTo'],
      [{ stream: 'logs' }, 'stream'],
      [{ reason: 'because', result: 'refused', storedCount: 0 }, 'reason'],
    ];
    for (const [edit, path] of cases) {
      const e = failure(() => encodeAck({ ...stored, ...edit } as AckMessage));
      expect([e.code, e.context.path], JSON.stringify(edit)).toEqual(['WIRE_MALFORMED', path]);
    }
  });
});
