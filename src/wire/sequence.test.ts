import { describe, expect, it } from 'vitest';
import { isWireError } from './errors.js';
import { checkSequence } from './sequence.js';

describe('checkSequence', () => {
  it.each([
    // last, from, to, verdict
    [0, 1, 1, 'new'],
    [0, 1, 500, 'new'],
    [0, 2, 10, 'gap'], // the first batch of an epoch was lost
    [100, 101, 150, 'new'],
    [100, 101, 101, 'new'],
    [100, 50, 100, 'duplicate'], // exact redelivery of the last batch
    [100, 1, 1, 'duplicate'],
    [100, 100, 100, 'duplicate'],
    [100, 90, 120, 'overlap'], // re-batched after a crash
    [100, 100, 101, 'overlap'],
    [100, 1, 200, 'overlap'],
    [100, 102, 110, 'gap'],
    [100, 1000, 1000, 'gap'],
    [Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'new'],
  ] as const)('last %d, batch [%d, %d] → %s', (last, from, to, verdict) => {
    expect(checkSequence(last, from, to)).toBe(verdict);
  });

  it('refuses nonsense ranges with WIRE_MALFORMED', () => {
    for (const [last, from, to] of [
      [0, 0, 1],
      [0, 5, 4],
      [-1, 1, 1],
      [0, 1.5, 2],
      [0, 1, Number.NaN],
      [0, 1, Number.MAX_SAFE_INTEGER + 1],
    ] as const) {
      let err: unknown;
      try {
        checkSequence(last, from, to);
      } catch (e) {
        err = e;
      }
      expect(isWireError(err, 'WIRE_MALFORMED'), `${last} ${from} ${to}`).toBe(true);
    }
  });

  it('walks a realistic conversation: redelivery, crash re-batching, lost batch', () => {
    let last = 0;
    const step = (from: number, to: number) => {
      const v = checkSequence(last, from, to);
      if (v === 'new' || v === 'overlap') last = to;
      return v;
    };
    expect(step(1, 100)).toBe('new');
    expect(step(1, 100)).toBe('duplicate'); // QoS 1 redelivery
    expect(step(101, 200)).toBe('new');
    expect(step(151, 260)).toBe('overlap'); // gateway crashed and re-batched from its outbox
    expect(step(301, 400)).toBe('gap'); // 261–300 lost: refused, expectedSeq 261
    expect(last).toBe(260);
    expect(step(261, 300)).toBe('new');
    expect(step(301, 400)).toBe('new');
  });
});
