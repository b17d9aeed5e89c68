import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/shared/clock.js';
import { MeterBackoff } from '../../../src/gateway/polling/backoff.js';

describe('MeterBackoff', () => {
  let now = 0;
  const clock: Clock = { now: () => now, setTimeout: () => ({ id: 0 }), clearTimeout: () => undefined };

  it('doubles the wait with each failure up to the cap, probes when it is over, forgets on success', () => {
    const b = new MeterBackoff({ baseMs: 1000, capMs: 5000 }, clock);
    expect(b.decide('m')).toEqual({ action: 'normal' });
    const waits: number[] = [];
    for (let k = 0; k < 5; k++) {
      b.failed('m', 'METER_NO_ANSWER', 'connect');
      waits.push(b.state('m')!.nextAttemptAt - now);
      expect(b.decide('m')).toMatchObject({ action: 'skip', lastCode: 'METER_NO_ANSWER' });
      now = b.state('m')!.nextAttemptAt;
      expect(b.decide('m')).toEqual({ action: 'probe', failures: k + 1 });
    }
    expect(waits).toEqual([1000, 2000, 4000, 5000, 5000]);
    b.succeeded('m');
    expect(b.decide('m')).toEqual({ action: 'normal' });
  });

  it('refuses a policy that cannot work', () => {
    expect(() => new MeterBackoff({ baseMs: 0, capMs: 10 }, clock)).toThrow(expect.objectContaining({ code: 'POLL_BAD_CONFIG' }));
  });
});
