import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { settle } from '../../test/transport/manual-clock.js';
import { BusLock, BusRegistry } from './bus.js';
import { isTransportError } from './errors.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('BusLock', () => {
  it('serves waiters first in, first out, one at a time', async () => {
    const lock = new BusLock();
    const log: string[] = [];
    const gates = ['A', 'B', 'C', 'D'].map(() => deferred());
    const runs = ['A', 'B', 'C', 'D'].map((name, i) =>
      lock.run(async () => {
        log.push(`${name}+`);
        await gates[i]!.promise;
        log.push(`${name}-`);
        return name;
      }),
    );
    await settle();
    expect(log).toEqual(['A+']);
    expect(lock.waiting).toBe(3);
    gates[2]!.resolve(); // C's gate opening early changes nothing: C has not started
    gates[0]!.resolve();
    await settle();
    expect(log).toEqual(['A+', 'A-', 'B+']);
    gates[1]!.resolve();
    gates[3]!.resolve();
    expect(await Promise.all(runs)).toEqual(['A', 'B', 'C', 'D']);
    expect(log).toEqual(['A+', 'A-', 'B+', 'B-', 'C+', 'C-', 'D+', 'D-']);
    expect(lock.busy).toBe(false);
    expect(lock.waiting).toBe(0);
  });

  it('releases the bus when the holder throws or rejects, and passes the error on', async () => {
    const lock = new BusLock();
    const boom = new Error('meter did not answer');
    const first = lock.run(async () => {
      throw boom;
    });
    const second = lock.run(() => {
      throw new TypeError('sync throw');
    });
    const third = lock.run(async () => 'third ran');
    await expect(first).rejects.toBe(boom);
    await expect(second).rejects.toThrow('sync throw');
    await expect(third).resolves.toBe('third ran');
    expect(lock.busy).toBe(false);
  });

  it('hands over directly: a newcomer cannot overtake a waiter at release time', async () => {
    const lock = new BusLock();
    const gate = deferred();
    const log: string[] = [];
    const a = lock.run(async () => {
      await gate.promise;
      log.push('A');
    });
    const b = lock.run(async () => {
      log.push('B');
    });
    gate.resolve();
    const c = lock.run(async () => {
      log.push('C');
    });
    await Promise.all([a, b, c]);
    expect(log).toEqual(['A', 'B', 'C']);
  });

  it('lets a waiter give up through an AbortSignal without disturbing the others', async () => {
    const lock = new BusLock('bus /dev/ttyUSB0');
    const gate = deferred();
    const log: string[] = [];
    const holder = lock.run(() => gate.promise);
    const controller = new AbortController();
    const quitter = lock.run(async () => log.push('quitter'), { signal: controller.signal });
    const patient = lock.run(async () => log.push('patient'));
    await settle();
    controller.abort(new Error('poll cancelled'));
    const error = await quitter.then(() => undefined, (e: unknown) => e);
    expect(isTransportError(error, 'TRANSPORT_BUS_ABORTED')).toBe(true);
    expect((error as Error).message).toBe('gave up waiting for bus /dev/ttyUSB0');
    expect(lock.waiting).toBe(1);
    gate.resolve();
    await Promise.all([holder, patient]);
    expect(log).toEqual(['patient']);
    const already = await lock.run(async () => 1, { signal: AbortSignal.abort() }).then(() => undefined, (e: unknown) => e);
    expect(isTransportError(already, 'TRANSPORT_BUS_ABORTED')).toBe(true);
    expect(lock.busy).toBe(false);
  });

  it('never overlaps holders and starts them in request order, whatever they do (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ turns: fc.integer({ min: 0, max: 4 }), fails: fc.boolean() }), { maxLength: 30 }), async (tasks) => {
        const lock = new BusLock();
        const started: number[] = [];
        let inside = 0;
        let maxInside = 0;
        const runs = tasks.map((task, i) =>
          lock
            .run(async () => {
              inside++;
              maxInside = Math.max(maxInside, inside);
              started.push(i);
              for (let t = 0; t < task.turns; t++) await Promise.resolve();
              inside--;
              if (task.fails) throw new Error(`task ${i}`);
              return i;
            })
            .then(
              (v) => ({ ok: v }),
              (e: Error) => ({ failed: e.message }),
            ),
        );
        const results = await Promise.all(runs);
        expect(started).toEqual(tasks.map((_, i) => i));
        expect(maxInside).toBeLessThanOrEqual(1);
        expect(results).toEqual(tasks.map((t, i) => (t.fails ? { failed: `task ${i}` } : { ok: i })));
        expect(lock.busy).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('BusRegistry', () => {
  it('gives every poller of one port the same lock, however the port is named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chiso-bus-'));
    try {
      const device = join(dir, 'ttyUSB0');
      const byId = join(dir, 'usb-FTDI_FT232R_A50285BI-if00-port0');
      writeFileSync(device, '');
      symlinkSync(device, byId);
      const registry = new BusRegistry();
      const lock = registry.lockFor(device);
      expect(registry.lockFor(device)).toBe(lock);
      expect(registry.lockFor(byId)).toBe(lock);
      expect(registry.lockFor(join(dir, 'ttyUSB1'))).not.toBe(lock);
      expect(registry.size).toBe(2);
      expect(lock.name).toContain('ttyUSB0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keys by the path as given when the device does not exist (yet)', () => {
    const registry = new BusRegistry();
    expect(registry.lockFor('/dev/ttyCHISO-none')).toBe(registry.lockFor('/dev/ttyCHISO-none'));
    expect(registry.lockFor('/dev/ttyCHISO-none').name).toBe('bus /dev/ttyCHISO-none');
  });
});
